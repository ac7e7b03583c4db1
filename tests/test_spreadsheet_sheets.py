"""Workbooks that keep the cahier on several sheets (issue 12, ``shared/occe-reference.md``):
Comptacoop's « Produits » and « Charges » sheets (date, libellé, total, then the
ventilation), or « Banque » and « Caisse » sheets with bare « Entrée » / « Sortie »
columns. Each sheet is mapped, the bare columns read with the sheet's name, and the whole
workbook imports as ONE cahier, in date order, all or nothing."""
from __future__ import annotations

import io
from datetime import date

from retkoop_widgets.domain.chart import default_chart
from retkoop_widgets.io import spreadsheet as sp

from tests.test_cli import run

COOP, EX = "AD76-0421", "2025-2026"
CHART = default_chart()


def workbook(sheets: dict[str, list[list]]) -> bytes:
    import openpyxl
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


COMPTACOOP = {
    "Paramétrage": [["Année scolaire", "2025-2026"], ["Type de banque", "Crédit Mutuel"],
                    ["Solde banque au 01/09", 1842.37], ["Solde caisse au 01/09", 63.5]],
    "Produits": [["Produits de l'exercice"], [],
                 ["Date", "Libellé", "Total", "7560", "7410"],
                 [date(2025, 9, 12), "Participation des familles", 250, 250, None],
                 [date(2025, 10, 20), "Subvention mairie", "800,00", None, "800,00"]],
    "Charges": [["Charges de l'exercice"], [],
                ["Date", "Libellé", "N° chèque", "Total", "6064", "6281"],
                [date(2025, 9, 15), "Crayons", "4521001", 45.5, 45.5, None],
                [date(2025, 10, 3), "Cotisation OCCE", None, 150, None, 150]],
}

BANK_AND_CASH = {
    "Banque": [["Date", "Libellé", "Entrée", "Sortie", "7560", "6064"],
               [date(2025, 9, 12), "Participation des familles", 250, None, 250, None],
               [date(2025, 9, 20), "Fournitures", None, 30, None, 30]],
    "Caisse": [["Date", "Libellé", "Entrée", "Sortie", "7560", "6064"],
               [date(2025, 9, 12), "Vente de gâteaux", 42, None, 42, None],
               [date(2025, 9, 13), "Farine", None, 8.4, None, 8.4]],
}


def test_comptacoop_produits_and_charges_sheets_make_one_cahier():
    grid = sp.read_grid(workbook(COMPTACOOP), "comptacoop.xlsx")
    maps = sp.guess_mappings(grid, CHART)
    assert [m.sheet for m in maps] == ["Produits", "Charges"]
    assert {c.header: c.role for c in maps[0].columns}["Total"] == "banque_entree"
    assert {c.header: c.role for c in maps[1].columns}["Total"] == "banque_sortie"
    drafts, problems = sp.to_drafts_many(grid, maps, CHART)
    assert problems == []
    assert [(d.date, d.libelle, d.bank_in, d.bank_out) for _w, d in drafts] == [
        (date(2025, 9, 12), "Participation des familles", 25000, 0),
        (date(2025, 9, 15), "Crayons", 0, 4550),
        (date(2025, 10, 3), "Cotisation OCCE", 0, 15000),
        (date(2025, 10, 20), "Subvention mairie", 80000, 0)]
    assert drafts[1][0].startswith("feuille Charges")  # every line says where it comes from
    # the single-sheet guess still takes the first cahier sheet only
    assert sp.guess_mapping(grid, CHART).sheet == "Produits"


def test_bank_and_cash_sheets_read_their_bare_columns_by_the_sheets_name():
    grid = sp.read_grid(workbook(BANK_AND_CASH), "cahier.xlsx")
    maps = sp.guess_mappings(grid, CHART)
    assert [{c.header: c.role for c in m.columns}["Sortie"] for m in maps] == ["banque_sortie", "caisse_sortie"]
    drafts, problems = sp.to_drafts_many(grid, maps, CHART)
    assert problems == []
    assert [(d.libelle, d.bank_in, d.bank_out, d.cash_in, d.cash_out) for _w, d in drafts] == [
        ("Participation des familles", 25000, 0, 0, 0), ("Vente de gâteaux", 0, 0, 4200, 0),
        ("Farine", 0, 0, 0, 840), ("Fournitures", 0, 3000, 0, 0)]


def test_a_problem_on_any_sheet_is_located_and_nothing_is_imported():
    sheets = {k: [list(r) for r in v] for k, v in BANK_AND_CASH.items()}
    sheets["Caisse"][2][3] = "huit euros"
    grid = sp.read_grid(workbook(sheets), "cahier.xlsx")
    drafts, problems = sp.to_drafts_many(grid, sp.guess_mappings(grid, CHART), CHART)
    assert drafts == [] and len(problems) >= 1
    assert str(problems[0]).startswith("feuille Caisse, ligne 3, colonne D")


def test_the_cli_imports_a_comptacoop_workbook_as_one_cahier(db_url, tmp_path):
    import json
    run(db_url, "init")
    run(db_url, "ad", "add", "AD76", "--name", "OCCE Seine-Maritime")
    run(db_url, "coop", "add", COOP, "--name", "École des Tilleuls", "--ad", "AD76")
    run(db_url, "exercice", "open", COOP, EX, "--banque", "1842,37", "--caisse", "63,50")
    f = tmp_path / "comptacoop.xlsx"
    f.write_bytes(workbook(COMPTACOOP))
    p = run(db_url, "import", COOP, EX, str(f), "--appliquer")
    assert "colonnes reconnues sur 2 feuilles (importées comme un seul cahier, par date)" in p.stdout
    assert "aperçu des 2 premières écritures de la feuille « Charges »" in p.stdout
    assert "4 écritures importées" in p.stdout
    crf = json.loads(run(db_url, "report", COOP, EX, "--format", "json").stdout)
    assert crf["solde_final"]["banque"] == "2696.87"  # 1 842,37 + 250 + 800 − 45,50 − 150
    assert [e["libelle"] for e in json.loads(run(db_url, "export", COOP, EX, "--format", "json").stdout)
            ["ecritures"]] == ["Participation des familles", "Crayons", "Cotisation OCCE", "Subvention mairie"]
