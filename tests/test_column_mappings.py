"""Spreadsheet column mappings saved for an AD in the database (issue 12, migration 0012):
the AD saves a mapping under a name, its coops' imports offer it (service, CLI), others may
not save, names and JSON are checked in French; on the fake, SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from retkoop_widgets.domain.actor import Actor
from retkoop_widgets.domain.chart import default_chart
from retkoop_widgets.domain.errors import Forbidden, NotFound, ValidationError
from retkoop_widgets.io import spreadsheet as sp

from conftest import COOP, EX

CHART = default_chart()


def a_mapping() -> sp.Mapping:
    return sp.Mapping("Cahier", (3, 4), (sp.Column("A", "N° pièce", "piece"), sp.Column("B", "Date", "date"),
                                         sp.Column("C", "Libellé", "libelle"),
                                         sp.Column("E", "Banque Entrée", "banque_entree"),
                                         sp.Column("M", "7560", "7560")))


def test_an_ad_saves_a_mapping_and_its_coops_imports_offer_it(svc):
    books = svc
    books.add_ad("AD27", "OCCE Eure")
    books.add_coop("AD27-0001", "École de l'Eure", "AD27")
    assert books.column_mappings(COOP) == {}
    assert books.save_column_mapping("ad76", "  Cahier  OCCE 76 ", a_mapping()) is False
    assert books.column_mappings(COOP) == {"Cahier OCCE 76": a_mapping()}
    assert books.column_mapping(COOP, "Cahier OCCE 76") == a_mapping()
    assert books.column_mappings("AD27-0001") == {}  # another AD's coops do not see it
    # saved again under the same name: replaced, audited
    changed = a_mapping().with_role("M", "ignorer")
    assert books.save_column_mapping("AD76", "Cahier OCCE 76", changed) is True
    assert books.column_mapping(COOP, "Cahier OCCE 76").role_of("ignorer").letter == "M"
    with pytest.raises(NotFound, match=r"pas de colonnes enregistrées sous le nom « Autre » pour l'AD de "
                                       r"AD76-0421 \(enregistrées : « Cahier OCCE 76 »\)"):
        books.column_mapping(COOP, "Autre")


def test_only_the_ad_saves_and_names_are_checked(svc):
    books = svc
    prof = books.as_user(Actor("prof", "mandataire", coop=COOP))
    with pytest.raises(Forbidden, match="seule l'AD le peut"):
        prof.save_column_mapping("AD76", "Mes colonnes", a_mapping())
    assert prof.column_mappings(COOP) == {}
    admin = books.as_user(Actor("ad76", "admin-ad", ad="AD76"))
    admin.save_column_mapping("AD76", "Cahier AD", a_mapping())
    assert list(prof.column_mappings(COOP)) == ["Cahier AD"]  # the mandataire reads it
    with pytest.raises(ValidationError, match="donnez un nom"):
        books.save_column_mapping("AD76", "   ", a_mapping())
    with pytest.raises(ValidationError, match="trop long"):
        books.save_column_mapping("AD76", "x" * 101, a_mapping())
    with pytest.raises(ValidationError, match="caractère interdit"):
        books.save_column_mapping("AD76", "a\x00b", a_mapping())
    with pytest.raises(NotFound, match="AD « AD99 » inconnue"):
        books.save_column_mapping("AD99", "x", a_mapping())


def test_the_cli_saves_for_the_ad_and_reuses_by_name(db_url, tmp_path):
    from tests.test_cli import run
    from tests.test_spreadsheet_import import assert_imported, base_layout, entries_count, xlsx_bytes
    run(db_url, "init")
    run(db_url, "ad", "add", "AD76", "--name", "OCCE Seine-Maritime")
    run(db_url, "coop", "add", COOP, "--name", "École des Tilleuls", "--ad", "AD76")
    run(db_url, "coop", "add", "AD76-0500", "--name", "École du Port", "--ad", "AD76")
    run(db_url, "exercice", "open", COOP, EX, "--banque", "1842,37", "--caisse", "63,50")
    run(db_url, "exercice", "open", "AD76-0500", EX, "--banque", "0", "--caisse", "0")
    f = tmp_path / "cahier.xlsx"
    f.write_bytes(xlsx_bytes(base_layout()))
    p = run(db_url, "import", "AD76-0500", EX, str(f), "--enregistrer-colonnes", "Cahier OCCE 76", check=False)
    assert "colonnes enregistrées pour l'AD AD76 sous le nom « Cahier OCCE 76 »" in p.stdout, p.stdout + p.stderr
    # another coop of the AD imports with it, by name
    p = run(db_url, "import", COOP, EX, str(f), "--colonnes", "Cahier OCCE 76", "--appliquer")
    assert "colonnes enregistrées par l'AD sous le nom « Cahier OCCE 76 »" in p.stdout
    assert "4 écritures importées" in p.stdout
    assert_imported(db_url)
    p = run(db_url, "import", COOP, EX, str(f), "--colonnes", "Inconnues", check=False)
    assert p.returncode == 1 and "pas de colonnes enregistrées sous le nom « Inconnues »" in p.stderr
    assert entries_count(db_url) == 4
