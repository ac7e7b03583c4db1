"""Exports: cahier CSV round trip through the books, JSON shape, Beancount checked by bean-check."""
import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from retkoop_widgets.domain.crf import crf_json
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
from retkoop_widgets.io import export_beancount, export_cahier, export_json, parse_cahier

from conftest import COOP, EX

BEAN_CHECK = Path(sys.executable).with_name("bean-check")
COPY = "AD76-9999"


def _year(books) -> None:
    """A year with every shape of line: splits, actions, a split across two actions,
    two lines on one account, transfers both ways, pointage with and without a date,
    awkward text (quotes, semicolons, accents), cheques, bank and cash together."""
    drafts = [
        EntryDraft(date(2025, 9, 12), "Participation volontaire des familles — CP", tiers='Familles "CP"',
                   mode="chèque", bank_in=25000, ventilation=(V("7560", 25000),), pointed=True,
                   statement_date=date(2025, 9, 30)),
        EntryDraft(date(2025, 9, 15), "Participation; classe de CE1", tiers="Familles CE1", mode="espèces",
                   cash_in=18500, ventilation=(V("7560", 18500),)),
        EntryDraft(date(2025, 9, 19), "Remise d'espèces en banque", bank_in=18500, cash_out=18500,
                   pointed=True),
        EntryDraft(date(2025, 10, 3), "Facture OCCE : cotisation, assurance, A&E", tiers="OCCE 76",
                   mode="chèque", cheque="4521001", bank_out=17450,
                   ventilation=(V("62810008", 15000), V("61681", 1500), V("6181", 950)),
                   pointed=True, statement_date=date(2025, 10, 31)),
        EntryDraft(date(2025, 10, 10), "Sortie au musée", tiers="Musée des Beaux-Arts", mode="chèque",
                   cheque="4521002", bank_out=32000,
                   ventilation=(V("6251", 20000, "Classe verte"), V("6257", 7000, "Classe verte"),
                                V("6251", 5000, "Musée"))),
        EntryDraft(date(2025, 10, 10), "Fournitures (deux tickets)", tiers="Cultura", mode="carte",
                   bank_out=3000, ventilation=(V("6064", 1000), V("6064", 2000))),
        EntryDraft(date(2025, 11, 6), "Subvention municipale projet lecture", tiers="Mairie",
                   mode="virement", bank_in=60000, ventilation=(V("7410", 60000, "Lecture"),)),
        EntryDraft(date(2025, 12, 15), "Marché de Noël", mode="espèces", cash_in=36420,
                   ventilation=(V("7080", 30000), V("7580", 6420))),
        EntryDraft(date(2026, 1, 8), "Retrait pour la caisse", bank_out=5000, cash_in=5000),
        EntryDraft(date(2026, 3, 2), "Kermesse : recettes", bank_in=10000, cash_in=4550,
                   ventilation=(V("7080", 14550),)),
        EntryDraft(date(2026, 8, 31), "Frais de tenue de compte", mode="prélèvement", bank_out=1200,
                   ventilation=(V("6270", 1200),)),
    ]
    for d in drafts:
        books.record_entry(COOP, EX, d)


def _crf_without_coop(books, coop):
    data = crf_json(books.crf(coop, EX))
    assert data.pop("coop") == coop
    return data


def test_csv_export_then_import_into_a_new_coop_gives_the_same_crf(books):
    _year(books)
    chart = books.chart(COOP)
    text = export_cahier(books.entries(COOP, EX), chart)
    assert text.startswith("\ufeffPièce;Date;Libellé;Tiers;Mode;N° chèque;Banque entrée;")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    books.add_coop(COPY, "Copie", "AD76")
    books.open_exercice(COPY, EX, 184237, 6350)
    books.import_drafts(COPY, EX, parse_cahier(text.encode("utf-8"), chart), source="copie.csv")
    assert _crf_without_coop(books, COPY) == _crf_without_coop(books, COOP)
    # and the copy exports to the very same file
    assert export_cahier(books.entries(COPY, EX), chart) == text
    # the split across two actions survived as two ventilation groups
    museum = next(e for e in books.entries(COPY, EX) if e.libelle == "Sortie au musée")
    assert sorted(museum.ventilation_for_display()) == [
        ("6251", 5000, "Musée"), ("6251", 20000, "Classe verte"), ("6257", 7000, "Classe verte")]


def test_csv_export_looks_like_a_cahier(books):
    _year(books)
    text = export_cahier(books.entries(COOP, EX), books.chart(COOP))
    lines = text.lstrip("\ufeff").split("\r\n")
    header = lines[0].split(";")
    assert header[11] == "Action"
    assert "6281 Cotisation OCCE (adhésion)" in header and "7560 Participation volontaire des familles" in header
    invoice = next(line for line in lines if "Facture OCCE" in line).split(";")
    assert invoice[:11] == ["004", "03/10/2025", "Facture OCCE : cotisation, assurance, A&E", "OCCE 76",
                            "chèque", "4521001", "", "174,50", "", "", "31/10/2025"]
    assert invoice[header.index("6281 Cotisation OCCE (adhésion)")] == "150,00"
    assert '"Participation; classe de CE1"' in text and '"Familles ""CP"""' in text
    transfer = next(line for line in lines if "Remise d'espèces" in line).split(";")
    assert transfer[6:11] == ["185,00", "", "", "185,00", "oui"]


def test_json_export_shape(books):
    _year(books)
    ex = books.exercice(COOP, EX)
    data = export_json(COOP, ex, books.entries(COOP, EX))
    json.dumps(data)  # serialisable as is
    assert (data["coop"], data["exercice"]) == (COOP, EX)
    assert data["report_a_nouveau"] == {"banque": "1842.37", "caisse": "63.50", "total": "1905.87"}
    ecritures = data["ecritures"]
    assert len(ecritures) == 11
    invoice = next(e for e in ecritures if e["piece"] == "004")
    assert invoice == {
        "piece": "004", "date": "2025-10-03", "libelle": "Facture OCCE : cotisation, assurance, A&E",
        "tiers": "OCCE 76", "mode": "chèque", "cheque": "4521001", "type": "depense", "montant": "174.50",
        "mouvements": {"banque_entree": "0.00", "banque_sortie": "174.50", "caisse_entree": "0.00",
                       "caisse_sortie": "0.00"},
        "ventilation": [{"compte": "6281", "montant": "150.00", "action": ""},
                        {"compte": "61681", "montant": "15.00", "action": ""},
                        {"compte": "6181", "montant": "9.50", "action": ""}],
        "pointage": {"pointe": True, "date_releve": "2025-10-31"}}
    transfer = next(e for e in ecritures if e["libelle"] == "Retrait pour la caisse")
    assert transfer["type"] == "transfert" and transfer["ventilation"] == []
    assert transfer["mouvements"]["banque_sortie"] == transfer["mouvements"]["caisse_entree"] == "50.00"
    assert [e["date"] for e in ecritures] == sorted(e["date"] for e in ecritures)


def _bean_check(tmp_path, text: str) -> subprocess.CompletedProcess:
    path = tmp_path / "journal.beancount"
    path.write_text(text, encoding="utf-8")
    return subprocess.run([str(BEAN_CHECK), "-C", str(path)], capture_output=True, text=True, timeout=120)


def test_beancount_export_passes_bean_check_with_exact_closing_balances(books, tmp_path):
    _year(books)
    crf = books.crf(COOP, EX)
    journal = export_beancount(crf, books.entries(COOP, EX), books.chart(COOP))
    result = _bean_check(tmp_path, journal)
    assert result.returncode == 0, result.stdout + result.stderr
    balances = dict(re.findall(r"^2026-09-01 balance (Assets:\w+)\s+(-?\d+\.\d\d) ~ 0\.001 EUR$", journal, re.M))
    expected_bank = 184237 + 25000 + 18500 - 17450 - 32000 - 3000 + 60000 - 5000 + 10000 - 1200
    expected_cash = 6350 + 18500 - 18500 + 36420 + 5000 + 4550
    assert crf.closing_bank == expected_bank and crf.closing_cash == expected_cash
    assert balances == {"Assets:Banque": f"{expected_bank // 100}.{expected_bank % 100:02d}",
                        "Assets:Caisse": f"{expected_cash // 100}.{expected_cash % 100:02d}"}
    assert 'piece: "004"' in journal and "Expenses:6281  150.00 EUR" in journal


@pytest.mark.parametrize("account", ["Banque", "Caisse"])
def test_bean_check_fails_when_a_closing_balance_is_one_cent_off(books, tmp_path, account):
    _year(books)
    crf = books.crf(COOP, EX)
    journal = export_beancount(crf, books.entries(COOP, EX), books.chart(COOP))
    cents = crf.closing_bank if account == "Banque" else crf.closing_cash
    right = f"balance Assets:{account}  {cents // 100}.{cents % 100:02d} ~ 0.001 EUR"
    wrong_cents = cents + 1
    wrong = f"balance Assets:{account}  {wrong_cents // 100}.{wrong_cents % 100:02d} ~ 0.001 EUR"
    assert right in journal
    result = _bean_check(tmp_path, journal.replace(right, wrong))
    assert result.returncode != 0
    assert "Balance failed" in result.stdout + result.stderr


def test_demo_year_round_trips_through_csv(db_url, clock):
    """The lead's demo year (cash count and subsidies aside, which the cahier does not carry)."""
    from retkoop_widgets.demo import DEMO_COOP, DEMO_EXERCICE, seed_demo
    from retkoop_widgets.services import Books
    books = Books(db_url, "test", today=clock.today, now=clock.now)
    seed_demo(books, extra_coops=False)
    chart = books.chart(DEMO_COOP)
    text = export_cahier(books.entries(DEMO_COOP, DEMO_EXERCICE), chart)
    ex = books.exercice(DEMO_COOP, DEMO_EXERCICE)
    books.add_coop("AD76-9998", "Copie de la démo", "AD76")
    books.open_exercice("AD76-9998", DEMO_EXERCICE, ex.opening_bank, ex.opening_cash)
    books.import_drafts("AD76-9998", DEMO_EXERCICE, parse_cahier(text, chart))
    a, b = crf_json(books.crf(DEMO_COOP, DEMO_EXERCICE)), crf_json(books.crf("AD76-9998", DEMO_EXERCICE))
    keys = ["report_a_nouveau", "charges", "produits", "rubriques", "total_charges", "total_produits",
            "resultat", "solde_final", "rapprochement"]
    assert {k: a[k] for k in keys} == {k: b[k] for k in keys}
    assert len(books.entries("AD76-9998", DEMO_EXERCICE)) == len(books.entries(DEMO_COOP, DEMO_EXERCICE)) > 20


def test_totals_by_coop_equal_each_crf_account_table(books):
    from retkoop_widgets.services.aggregates import as_crf_amount, totals_by_coop
    _year(books)
    books.add_coop("AD76-0500", "Autre école", "AD76")
    books.open_exercice("AD76-0500", EX, 0, 0)
    books.record_entry("AD76-0500", EX, EntryDraft(date(2025, 9, 20), "Dons", bank_in=12345,
                                                   ventilation=(V("7580", 12345),)))
    books.add_ad("AD27", "OCCE Eure")
    books.add_coop("AD27-0101", "École de l'Eure", "AD27")
    books.open_exercice("AD27-0101", EX, 0, 0)
    books.record_entry("AD27-0101", EX, EntryDraft(date(2025, 9, 20), "Dons", bank_in=500,
                                                   ventilation=(V("7580", 500),)))
    rows = totals_by_coop(books, ad="AD76")
    assert {r.coop for r in rows} == {COOP, "AD76-0500"}
    for coop in (COOP, "AD76-0500"):
        crf = books.crf(coop, EX)
        expected = {a.code: a.amount for a in crf.charges + crf.produits}
        mine = {r.account: as_crf_amount(r) for r in rows if r.coop == coop and r.account not in ("512", "530")}
        assert mine == expected
        treasury = {r.account: r.amount for r in rows if r.coop == coop and r.account in ("512", "530")}
        ex = books.exercice(coop, EX)
        assert ex.opening_bank + treasury.get("512", 0) == crf.closing_bank
        assert ex.opening_cash + treasury.get("530", 0) == crf.closing_cash
    assert {r.coop for r in totals_by_coop(books.engine)} == {COOP, "AD76-0500", "AD27-0101"}
