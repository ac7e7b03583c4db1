"""Issue 12, defects 1–5: no silent loss on import, one name per exercice, the same French
refusal on SQLite and PostgreSQL for every hostile text, impossible pointages, messages
that point the right way. Storage tests run on both databases; CLI tests run the real
``retkoop`` in a subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

import pytest
from sqlalchemy import text

from retkoop_widgets.domain.chart import default_chart
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V, build_entry
from retkoop_widgets.domain.errors import Conflict, ValidationError
from retkoop_widgets.domain.exercice import parse_name
from retkoop_widgets.io.cahier_csv import parse_cahier

from conftest import COOP, EX

CHART = default_chart()
RETKOOP = [sys.executable, "-m", "retkoop_widgets.cli"]
ISSUE_HEADER = "Pièce;Date;Banque entrée;Banque sortie;7560;6064;Libellé;Tiers"


def run(db_url, *args, check=True):
    env = dict(os.environ, RETKOOP_DB_URL=db_url)
    p = subprocess.run(RETKOOP + list(args), capture_output=True, text=True, env=env, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"retkoop {' '.join(args)} → {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


@pytest.fixture
def cli_db(db_url):
    run(db_url, "init")
    run(db_url, "ad", "add", "AD76", "--name", "OCCE Seine-Maritime")
    run(db_url, "coop", "add", COOP, "--name", "École des Tilleuls", "--ad", "AD76")
    run(db_url, "exercice", "open", COOP, EX, "--banque", "1000", "--caisse", "0")
    return db_url


def _refusal(exc_info) -> list[str]:
    return [str(p) for p in exc_info.value.problems]


# -- 1. rows silently lost ----------------------------------------------------------------
UNCLOSED_LAST_COLUMN = (ISSUE_HEADER + "\n"
                        'R10;12/09/2025;250,00;;250,00;;Participation CP;"Familles\n'
                        "D10;15/09/2025;;174,50;;174,50;Achat crayons;Super U\n")


def test_a_quote_left_open_in_the_last_column_is_refused_naming_its_line():
    with pytest.raises(ValidationError) as info:
        parse_cahier(UNCLOSED_LAST_COLUMN, CHART)
    (msg,) = _refusal(info)
    assert msg.startswith("ligne 2 (pièce R10) : colonne 8 « Tiers » : un guillemet")
    assert "jamais fermé" in msg


def test_a_quote_left_open_mid_file_is_refused_not_a_misleading_zero_amount():
    text_ = (ISSUE_HEADER + "\n"
             "R10;12/09/2025;250,00;;250,00;;Participation CP;Familles\n"
             'D10;15/09/2025;;174,50;;174,50;"Achat crayons;Super U\n'
             "D11;16/09/2025;;10,00;;10,00;Colle;Super U\n"
             'D12;17/09/2025;;20,00;;20,00;"Ciseaux";"Bureau Vallée"\n')
    with pytest.raises(ValidationError) as info:
        parse_cahier(text_, CHART)
    msgs = _refusal(info)
    assert len(msgs) == 1 and msgs[0].startswith("ligne 3 (pièce D10) : colonne 7 « Libellé » : un guillemet")
    assert not any("nul" in m for m in msgs)


def test_a_quote_left_open_at_the_end_of_the_file_and_a_field_spanning_lines_are_refused():
    at_eof = ISSUE_HEADER + '\nR10;12/09/2025;250,00;;250,00;;"Participation CP;Familles'
    with pytest.raises(ValidationError) as info:
        parse_cahier(at_eof, CHART)
    assert _refusal(info)[0].startswith("ligne 2 (pièce R10) : colonne 7 « Libellé » : un guillemet")
    spanning = (ISSUE_HEADER + "\r\n"
                'R10;12/09/2025;250,00;;250,00;;"Participation\r\nCP";Familles\r\n'
                "D10;15/09/2025;;174,50;;174,50;Achat crayons;Super U\r\n")
    with pytest.raises(ValidationError) as info:
        parse_cahier(spanning, CHART)
    (msg,) = _refusal(info)
    assert msg.startswith("ligne 2 (pièce R10) : colonne 7 « Libellé » : le texte entre guillemets")
    assert "continue jusqu'à la ligne 3" in msg


def test_the_issue_file_imports_nothing_from_the_cli(cli_db, tmp_path):
    f = tmp_path / "cahier.csv"
    f.write_text(UNCLOSED_LAST_COLUMN, encoding="utf-8")
    p = run(cli_db, "import", COOP, EX, str(f), check=False)
    assert p.returncode == 1 and "ligne 2 (pièce R10)" in p.stderr and "guillemet" in p.stderr
    assert "importées" not in p.stdout
    assert run(cli_db, "export", COOP, EX, "--format", "json").stdout.count('"piece"') == 0


# -- 2. one name per exercice ---------------------------------------------------------------
@pytest.mark.parametrize("typed", ["2025-2026", "2025/2026", " 2025-2026 ", "2025 - 2026", "2025–2026",
                                   "2025-26", "25-26", "25/26"])
def test_every_way_to_write_a_school_year_gives_one_name(typed):
    from retkoop_widgets.domain.exercice import normalise_exercice_name
    assert normalise_exercice_name(typed) == "2025-2026"


@pytest.mark.parametrize("typed", ["2025-2027", "2025", "2025-2026-2027", "", "exercice 2025", "2025_2026x",
                                   "١٢٣٤-١٢٣٥", "2025\x00-2026"])
def test_what_is_not_a_school_year_is_refused_in_french(typed):
    from retkoop_widgets.domain.exercice import normalise_exercice_name
    with pytest.raises(ValidationError, match="exercice « .* » invalide : attendu deux années consécutives"):
        normalise_exercice_name(typed)


def test_books_refuse_a_second_name_for_an_open_year(books):
    for typed in ("2025/2026", " 2025-2026 ", "2025 - 2026"):  # Books normalises: the one year is open
        with pytest.raises(Conflict, match="l'exercice 2025-2026 de AD76-0421 est déjà ouvert"):
            books.open_exercice(COOP, typed, 1200, 0)
    assert [e.name for e in books.exercices(COOP)] == [EX]
    with pytest.raises(ValidationError, match="écrivez-le 2025-2026"):
        parse_name("2025/2026")


def test_the_database_holds_one_name_per_year(books):
    """Even a writer that skips the domain cannot store a second name for a year."""
    for bad in ("2025/2026", "2025 2026", "2025-2027", "25-26"):
        with pytest.raises(Exception) as info:
            with books.engine.begin() as c:
                c.execute(text("INSERT INTO exercice (coop_code, name, opening_bank, opening_cash, state, version) "
                               "VALUES (:coop, :name, 0, 0, 'ouvert', 1)"), {"coop": COOP, "name": bad})
        assert "ck_exercice_name" in str(info.value)
    assert [e.name for e in books.exercices(COOP)] == [EX]


def test_a_second_name_cannot_carry_the_wrong_opening_balance(cli_db):
    """The issue's scenario: ``exercice open C 2025/2026`` beside ``2025-2026``, closing both
    carried 12,00 € into 2026-2027 instead of 1 000,00 €."""
    p = run(cli_db, "exercice", "open", COOP, "2025/2026", "--banque", "12", check=False)
    assert p.returncode == 1 and "l'exercice 2025-2026 de AD76-0421 est déjà ouvert" in p.stderr
    p = run(cli_db, "exercice", "open", COOP, "2025 - 2026", "--banque", "12", check=False)
    assert p.returncode == 1 and "déjà ouvert" in p.stderr
    out = run(cli_db, "entry", "add", COOP, " 2025/2026 ", "--date", "12/09/2025", "--libelle", "Don",
              "--banque-entree", "100", "-v", "7580=100").stdout
    assert "pièce 001" in out
    out = run(cli_db, "exercice", "close", COOP, "2025/2026").stdout
    assert "exercice 2025-2026 clos ; report à nouveau sur 2026-2027 : banque 1 100,00 €" in out
    p = run(cli_db, "exercice", "close", COOP, "2025-2026", check=False)
    assert p.returncode == 1
    crf = json.loads(run(cli_db, "report", COOP, "26-27", "--format", "json").stdout)
    assert crf["report_a_nouveau"]["banque"] == "1100.00"


def _migrated_to(url: str, revision: str) -> None:
    from alembic import command
    from retkoop_widgets.storage.db import get_engine
    from retkoop_widgets.storage.schema import alembic_config
    engine = get_engine(url)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision) if revision != "head" else command.upgrade(cfg, "head")


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migration.sqlite3'}"
        return
    if os.environ.get("RETKOOP_SKIP_PG") == "1":
        pytest.skip("RETKOOP_SKIP_PG=1")
    from conftest import _drop_database, create_pg_database
    name = f"retkoop_test_m7_{os.getpid()}"
    url = create_pg_database(name)
    yield url
    _drop_database(name)


def test_migration_0007_normalises_stored_names_and_refuses_two_exercices_for_one_year(fresh_url):
    from retkoop_widgets.services import Books
    from retkoop_widgets.storage.db import get_engine
    from retkoop_widgets.storage.schema import upgrade
    engine = get_engine(fresh_url)
    upgrade(engine)
    _migrated_to(fresh_url, "0006")
    with engine.begin() as c:
        c.execute(text("INSERT INTO ad (code, name) VALUES ('AD76', 'x')"))
        c.execute(text("INSERT INTO coop (code, name, ad_code, numbering, training) VALUES "
                       "('C1', 'x', 'AD76', 'unique', false), ('C2', 'x', 'AD76', 'unique', false)"))
        c.execute(text("INSERT INTO exercice (coop_code, name, opening_bank, opening_cash, state, version) VALUES "
                       "('C1', '2025/2026', 100000, 0, 'ouvert', 1), ('C2', '2025-2026', 500, 0, 'ouvert', 1), "
                       "('C2', '2025 - 26', 1200, 0, 'ouvert', 1)"))
        c.execute(text("INSERT INTO audit_log (at, actor, action, coop_code, exercice, object_type, object_id, reason) "
                       "VALUES (CURRENT_TIMESTAMP, 't', 'open', 'C1', '2025/2026', 'exercice', '1', '')"))
    with pytest.raises(RuntimeError) as info:
        upgrade(engine)
    assert "la coopérative C2 a deux exercices pour 2025-2026 : « 2025-2026 »" in str(info.value)
    with engine.begin() as c:  # a person merges C2's two exercices (here: drops the empty one)
        c.execute(text("DELETE FROM exercice WHERE coop_code = 'C2' AND name = '2025 - 26'"))
    upgrade(engine)
    with engine.connect() as c:
        assert c.execute(text("SELECT name FROM exercice WHERE coop_code = 'C1'")).scalar_one() == "2025-2026"
        assert c.execute(text("SELECT exercice FROM audit_log WHERE coop_code = 'C1'")).scalar_one() == "2025-2026"
    assert Books(engine, "system").exercice("C1", "2025-2026").opening_bank == 100000
    engine.dispose()


# -- 3. the same refusal on both databases --------------------------------------------------
def test_domain_limits_are_the_column_lengths():
    from retkoop_widgets.domain.text import LIMITS
    from retkoop_widgets.storage import orm
    columns = {"piece": orm.EntryRow.piece, "libelle": orm.EntryRow.libelle, "tiers": orm.EntryRow.tiers,
               "mode": orm.EntryRow.mode, "cheque": orm.EntryRow.cheque, "action": orm.PostingRow.action,
               "account": orm.PostingRow.account, "exercice": orm.ExerciceRow.name,
               "ad_code": orm.AdRow.code, "ad_name": orm.AdRow.name, "coop_code": orm.CoopRow.code,
               "coop_name": orm.CoopRow.name, "grantor": orm.SubsidyRow.grantor,
               "grantor_type": orm.SubsidyRow.grantor_type, "subsidy_object": orm.SubsidyRow.object,
               "designation": orm.DurableGoodRow.designation, "location": orm.DurableGoodRow.location}
    assert {k: c.property.columns[0].type.length for k, c in columns.items()} == LIMITS


HOSTILE = [
    ({"tiers": "T" * 201}, "le tiers dépasse 200 caractères (201)"),
    ({"libelle": "L" * 201}, "le libellé dépasse 200 caractères (201)"),
    ({"piece": "P" * 21}, "le numéro de pièce dépasse 20 caractères (21)"),
    ({"cheque": "1" * 25}, "le numéro de chèque dépasse 20 caractères (25)"),
    ({"cheque": "١٢٣٤"}, "le numéro de chèque « ١٢٣٤ » ne doit contenir que des chiffres"),
    ({"action": "A" * 101}, "ventilation ligne 1 : l'action dépasse 100 caractères (101)"),
    ({"libelle": "Facture\x00OCCE"}, "le libellé contient un caractère interdit (U+0000 (NUL))"),
    ({"tiers": "OCCE\x00"}, "le tiers contient un caractère interdit (U+0000 (NUL))"),
    ({"action": "Noël\x00"}, "ventilation ligne 1 : l'action contient un caractère interdit (U+0000 (NUL))"),
    ({"piece": "D\x0001"}, "le numéro de pièce contient un caractère interdit (U+0000 (NUL))"),
    ({"libelle": "Facture\nOCCE"}, "le libellé contient un caractère interdit (U+000A (saut de ligne))"),
    ({"libelle": "Facture \x1b[31mOCCE"}, "le libellé contient un caractère interdit (U+001B (échappement))"),
    ({"tiers": "\u202eECCO"}, "le tiers contient un caractère interdit (U+202E (RIGHT-TO-LEFT OVERRIDE))"),
    ({"libelle": "Facture \ud800"}, "le libellé contient un caractère interdit (U+D800)"),
]


@pytest.mark.parametrize("hostile,message", HOSTILE, ids=[m[:40] for _, m in HOSTILE])
def test_hostile_text_gets_the_same_french_refusal_on_both_databases(books, hostile, message):
    fields = dict(date=date(2025, 10, 3), libelle="Facture OCCE", piece="D01", tiers="OCCE 76", mode="chèque",
                  cheque="4521001", bank_out=17450)
    hostile = dict(hostile)
    action = hostile.pop("action", "")
    fields.update(hostile)
    draft = EntryDraft(**fields, ventilation=(V("6281", 17450, action),))
    with pytest.raises(ValidationError) as info:
        books.record_entry(COOP, EX, draft)
    assert [p.message for p in info.value.problems if p.message.startswith(message)], info.value.problems
    assert books.entries(COOP, EX) == []


def test_the_longest_accepted_texts_are_stored_on_both_databases(books):
    e = books.record_entry(COOP, EX, EntryDraft(
        date(2025, 10, 3), "L" * 200, piece="P" * 20, tiers="T" * 200, mode="chèque", cheque="1" * 20,
        bank_out=100, ventilation=(V("6281", 100, "A" * 100),)))
    (stored,) = books.entries(COOP, EX)
    assert (stored.libelle, stored.piece, stored.tiers, stored.cheque) == (e.libelle, e.piece, e.tiers, e.cheque)
    assert stored.ventilation[0].action == "A" * 100


def test_a_nul_byte_or_a_long_tiers_in_a_cahier_is_refused_in_french_by_the_cli(cli_db, tmp_path):
    f = tmp_path / "cahier.csv"
    f.write_bytes((ISSUE_HEADER + "\r\nR10;12/09/2025;250,00;;250,00;;Participation\x00CP;Familles\r\n"
                   f"R11;13/09/2025;10,00;;10,00;;Don;{'T' * 250}\r\n").encode("utf-8"))
    p = run(cli_db, "import", COOP, EX, str(f), check=False)
    assert p.returncode == 1, p.stdout
    assert "ligne 2 (pièce R10) : le libellé contient un caractère interdit (U+0000 (NUL))" in p.stderr
    assert "ligne 3 (pièce R11) : le tiers dépasse 200 caractères (250)" in p.stderr
    assert "DataError" not in p.stderr and "erreur inattendue" not in p.stderr
    p = run(cli_db, "entry", "add", COOP, EX, "--date", "03/10/2025", "--libelle", "Facture", "--cheque", "1" * 25,
            "--mode", "chèque", "--banque-sortie", "10", "-v", "6281=10", check=False)
    assert p.returncode == 1 and "le numéro de chèque dépasse 20 caractères (25)" in p.stderr


# -- 4. impossible pointages ----------------------------------------------------------------
def test_build_entry_refuses_a_pointage_before_the_line_or_years_later():
    base = EntryDraft(date(2025, 10, 3), "Facture", bank_out=100, ventilation=(V("6281", 100),), piece="D1",
                      pointed=True)
    for statement, words in ((date(2025, 10, 2), "est antérieur à l'écriture du 03/10/2025"),
                             (date(2099, 12, 31), "est plus de 13 mois après l'écriture du 03/10/2025")):
        with pytest.raises(ValidationError, match=words):
            build_entry(EntryDraft(**{**base.__dict__, "statement_date": statement}), CHART)
    # a cheque of August cashed a year and eight days later, on the statement of the month after: fine
    late = EntryDraft(**{**base.__dict__, "date": date(2025, 8, 28), "statement_date": date(2026, 9, 30)})
    assert build_entry(late, CHART).statement_date == date(2026, 9, 30)
    with pytest.raises(ValidationError, match="daté dans le futur"):
        build_entry(late, CHART, today=date(2026, 9, 15))


def test_impossible_pointages_are_refused_by_the_import_and_entry_add(cli_db, tmp_path):
    f = tmp_path / "cahier.csv"
    f.write_text("Pièce;Date;Libellé;Banque entrée;7560;Pointé\n"
                 "R01;12/09/2025;Participation;250,00;250,00;01/09/2025\n"
                 "R02;13/09/2025;Participation;10,00;10,00;31/12/2099\n"
                 "R03;14/09/2025;Participation;10,00;10,00;30/09/2025\n", encoding="utf-8")
    p = run(cli_db, "import", COOP, EX, str(f), check=False)
    assert p.returncode == 1
    assert "ligne 2 (pièce R01) : le relevé du 01/09/2025 est antérieur à l'écriture du 12/09/2025" in p.stderr
    assert "ligne 3 (pièce R02) : le relevé du 31/12/2099 est plus de 13 mois après" in p.stderr
    assert "ligne 4" not in p.stderr
    for pointe in ("01/09/2025", "31/12/2099"):
        p = run(cli_db, "entry", "add", COOP, EX, "--date", "12/09/2025", "--libelle", "Don", "--banque-entree",
                "100", "-v", "7580=100", "--pointe", pointe, check=False)
        assert p.returncode == 1 and f"le relevé du {pointe}" in p.stderr
    assert run(cli_db, "export", COOP, EX, "--format", "json").stdout.count('"piece"') == 0


# -- 5. messages ----------------------------------------------------------------------------
def _import_audits(url: str) -> int:
    from retkoop_widgets.storage.db import get_engine
    with get_engine(url).connect() as c:
        return c.execute(text("SELECT COUNT(*) FROM audit_log WHERE action = 'import'")).scalar_one()


def test_a_header_only_file_is_refused_and_leaves_no_audit_row(cli_db, tmp_path):
    f = tmp_path / "vide.csv"
    f.write_text(ISSUE_HEADER + "\r\n;;;;;;;\r\n", encoding="utf-8")
    p = run(cli_db, "import", COOP, EX, str(f), check=False)
    assert p.returncode == 1 and "aucune écriture dans le fichier vide.csv" in p.stderr
    assert "0 écritures importées" not in p.stdout
    assert _import_audits(cli_db) == 0


def test_a_directory_or_a_missing_file_is_named_in_french(cli_db, tmp_path):
    p = run(cli_db, "import", COOP, EX, str(tmp_path), check=False)
    assert p.returncode == 1 and f"fichier « {tmp_path} » est un dossier, pas un fichier" in p.stderr
    assert "erreur inattendue" not in p.stderr and "IsADirectoryError" not in p.stderr
    missing = tmp_path / "absent.csv"
    p = run(cli_db, "import", COOP, EX, str(missing), check=False)
    assert p.returncode == 1 and f"fichier « {missing} » introuvable" in p.stderr


def test_many_bad_lines_print_the_first_fifty_and_a_count(cli_db, tmp_path):
    f = tmp_path / "faux.csv"
    f.write_text(ISSUE_HEADER + "\n" + "".join(f"R{i};31/02/2025;1,00;;1,00;;Don;X\n" for i in range(1, 1201)),
                 encoding="utf-8")
    p = run(cli_db, "import", COOP, EX, str(f), check=False)
    assert p.returncode == 1
    listed = [ln for ln in p.stderr.splitlines() if ln.startswith("  - ")]
    assert len(listed) == 50 and listed[0].startswith("  - ligne 2 (pièce R1) : date « 31/02/2025 »")
    assert "… et 1150 autres problèmes" in p.stderr


def test_opening_a_closed_exercice_again_says_it_is_closed(cli_db):
    run(cli_db, "exercice", "close", COOP, EX)
    p = run(cli_db, "exercice", "open", COOP, EX, check=False)
    assert p.returncode == 1 and "l'exercice 2025-2026 de AD76-0421 est clos" in p.stderr
    assert "déjà ouvert" not in p.stderr


def test_entry_list_escapes_control_characters_stored_before_the_rules(cli_db):
    run(cli_db, "entry", "add", COOP, EX, "--date", "12/09/2025", "--libelle", "Don", "--banque-entree", "100",
        "-v", "7580=100")
    from retkoop_widgets.storage.db import get_engine
    with get_engine(cli_db).begin() as c:  # what an older version let through
        c.execute(text("UPDATE entry SET libelle = :l"), {"l": "Don\x1b[2J\x07 ok"})
    out = run(cli_db, "entry", "list", COOP, EX).stdout
    assert "\x1b" not in out and "\x07" not in out and "Don\\x1b[2J\\x07 ok" in out


def test_a_cahier_in_utf16_without_bom_is_refused_clearly():
    data = (ISSUE_HEADER + "\r\nR10;12/09/2025;250,00;;250,00;;Participation;Familles\r\n").encode("utf-16-le")
    with pytest.raises(ValidationError, match="UTF-16 sans marque"):
        parse_cahier(data, CHART)
    assert len(parse_cahier(b"\xff\xfe" + data, CHART)) == 1


# -- 6. the SQLite write lock -------------------------------------------------------------
@pytest.mark.slow  # waits SQLite's 30 s busy timeout
def test_a_writer_blocked_by_a_long_sqlite_import_gets_a_french_message(tmp_path):
    """Another process holds SQLite's write lock (as a 400,000-line import does for ~70 s):
    a writer waits the 30 s busy timeout, then is refused in French, nothing saved."""
    import sqlite3
    path = tmp_path / "retkoop.sqlite3"
    url = f"sqlite:///{path}"
    run(url, "init")
    run(url, "ad", "add", "AD76", "--name", "OCCE Seine-Maritime")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        p = run(url, "coop", "add", COOP, "--name", "École des Tilleuls", "--ad", "AD76", check=False)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert p.returncode == 1
    assert "la base de données est occupée par une autre opération" in p.stderr
    assert "database is locked" not in p.stderr and "erreur inattendue" not in p.stderr
    assert "AD76-0421" not in run(url, "coop", "list").stdout
