"""Migration from a spreadsheet cahier (XLSX, ODS, CSV saved from it): the columns guessed
from their headers, a preview, then an all-or-nothing import with every problem located by
sheet, row and column. The workbooks are built here, in the layouts of
``shared/occe-reference.md`` (an AD's cahier sheet: a title row, headers over two rows with
merged cells, a « Report » row, monthly totals computed by formulas, amounts as numbers and
as French text, ventilation columns headed by an account code or words of its label)."""
from __future__ import annotations

import io
import json
from datetime import date

import pytest

from retkoop_widgets.domain.chart import default_chart
from retkoop_widgets.io import spreadsheet as sp

from tests.test_cli import run

COOP, EX = "AD76-0421", "2025-2026"
CHART = default_chart()

F = "formula"  # a cell ("formula", text, cached value)


def base_layout() -> dict:
    """Rows (1-based, columns A…) and merged ranges of an AD cahier sheet « Cahier »."""
    rows = {
        1: ["Cahier de comptabilité 2025-2026 — École des Tilleuls"],
        3: ["N° pièce", "Date", "Libellé", "N° chèque", "Banque", None, "Caisse", None, "Pointage", "Charges",
            None, None, "Produits", None, "Solde banque"],
        4: [None, None, None, None, "Entrée", "Sortie", "Entrée", "Sortie", None, 6064, "Cotisation",
            "61681 Assurance", "7560", "Dons", None],
        5: [None, None, "Report à nouveau", None, None, None, None, None, None, None, None, None, None, None,
            1842.37],
        6: ["R01", date(2025, 9, 12), "Participation des familles CP", None, 250, None, None, None, None, None,
            None, None, 250],
        7: ["D01", "03/10/2025", "Facture OCCE", "4521001", None, "174,50 €", None, None, "x", 9.5, 150, "15,00"],
        8: ["R02", date(2025, 10, 15), "Don de l'association des parents", None, None, None, "1 234,56", None,
            None, None, None, None, None, "1 234,56"],
        9: [None, None, "Total octobre", None, (F, "=SUM(E6:E8)", 250), (F, "=SUM(F6:F8)", 174.5)],
        10: ["D02", date(2025, 11, 5), "Fournitures de Noël", None, None, 63.5, None, None, None, 63.5],
        11: [None, None, None, None, (F, "=SUM(E6:E10)", 250), (F, "=SUM(F6:F10)", 238)],
    }
    merged = [(1, 1, 1, 8), (3, 1, 4, 1), (3, 2, 4, 2), (3, 3, 4, 3), (3, 4, 4, 4), (3, 5, 3, 6), (3, 7, 3, 8),
              (3, 9, 4, 9), (3, 10, 3, 12), (3, 13, 3, 14), (3, 15, 4, 15)]
    return {"rows": rows, "merged": merged}


def xlsx_bytes(layout: dict, sheet: str = "Cahier") -> bytes:
    import openpyxl
    wb = openpyxl.Workbook()
    info = wb.active
    info.title = "Informations"
    info.append(["Année scolaire", "2025-2026"])
    info.append(["Solde banque au 1er septembre", 1842.37])
    ws = wb.create_sheet(sheet)
    covered = {(r, c) for r1, c1, r2, c2 in layout["merged"] for r in range(r1, r2 + 1)
               for c in range(c1, c2 + 1) if (r, c) != (r1, c1)}
    for r, values in layout["rows"].items():
        for c, v in enumerate(values, start=1):
            if v is None or (r, c) in covered:
                continue
            ws.cell(r, c, v[1] if isinstance(v, tuple) else v)
    for r1, c1, r2, c2 in layout["merged"]:
        ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def ods_bytes(layout: dict, sheet: str = "Cahier") -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P
    doc = OpenDocumentSpreadsheet()
    info = Table(name="Informations")
    tr = TableRow()
    for text in ("Année scolaire", "2025-2026"):
        c = TableCell(valuetype="string")
        c.addElement(P(text=text))
        tr.addElement(c)
    info.addElement(tr)
    doc.spreadsheet.addElement(info)
    t = Table(name=sheet)
    spans = {(r1, c1): (r2 - r1 + 1, c2 - c1 + 1) for r1, c1, r2, c2 in layout["merged"]}
    covered = {(r, c) for r1, c1, r2, c2 in layout["merged"] for r in range(r1, r2 + 1)
               for c in range(c1, c2 + 1) if (r, c) != (r1, c1)}
    last = max(layout["rows"])
    width = max(len(v) for v in layout["rows"].values())
    for r in range(1, last + 1):
        tr = TableRow()
        values = layout["rows"].get(r, [])
        for c in range(1, width + 1):
            if (r, c) in covered:
                tr.addElement(CoveredTableCell())
                continue
            v = values[c - 1] if c <= len(values) else None
            kw = {}
            if (r, c) in spans:
                kw = {"numberrowsspanned": spans[r, c][0], "numbercolumnsspanned": spans[r, c][1]}
            if v is None:
                cell = TableCell(**kw)
            elif isinstance(v, tuple):
                formula = "of:=SUM([." + v[1][5:-1].replace(":", ":.") + "])"
                cell = TableCell(valuetype="float", value=str(v[2]), formula=formula, **kw)
                cell.addElement(P(text=str(v[2])))
            elif isinstance(v, date):
                cell = TableCell(valuetype="date", datevalue=v.isoformat(), **kw)
                cell.addElement(P(text=v.strftime("%d/%m/%Y")))
            elif isinstance(v, (int, float)):
                cell = TableCell(valuetype="float", value=str(v), **kw)
                cell.addElement(P(text=str(v)))
            else:
                cell = TableCell(valuetype="string", **kw)
                cell.addElement(P(text=v))
            tr.addElement(cell)
        t.addElement(tr)
    doc.spreadsheet.addElement(t)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def csv_bytes(layout: dict) -> bytes:
    """The sheet saved as CSV by the spreadsheet: merged cells become one cell and blanks."""
    lines = []
    for r in range(1, max(layout["rows"]) + 1):
        cells = []
        for v in layout["rows"].get(r, []):
            if isinstance(v, tuple):
                v = v[2]
            if isinstance(v, date):
                v = v.strftime("%d/%m/%Y")
            if isinstance(v, float):
                v = f"{v:.2f}".replace(".", ",")
            cells.append("" if v is None else str(v))
        lines.append(";".join(cells))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


EXPECTED_CHARGES = {"6064": "73.00", "6281": "150.00", "61681": "15.00"}
EXPECTED_PRODUITS = {"7560": "250.00", "7580": "1234.56"}


def crf(db_url) -> dict:
    return json.loads(run(db_url, "report", COOP, EX, "--format", "json").stdout)


def entries_count(db_url) -> int:
    return json.loads(run(db_url, "export", COOP, EX, "--format", "json").stdout)["ecritures"].__len__()


def assert_imported(db_url) -> None:
    c = crf(db_url)
    assert {a["compte"]: a["montant"] for a in c["charges"]} == EXPECTED_CHARGES
    assert {a["compte"]: a["montant"] for a in c["produits"]} == EXPECTED_PRODUITS
    assert c["solde_final"] == {"banque": "1854.37", "caisse": "1298.06", "total": "3152.43"}
    pieces = {e["piece"]: e for e in json.loads(run(db_url, "export", COOP, EX, "--format", "json").stdout)["ecritures"]}
    assert sorted(pieces) == ["D01", "D02", "R01", "R02"]
    assert pieces["D01"]["cheque"] == "4521001" and pieces["D01"]["pointage"]["pointe"] is True
    assert pieces["D01"]["date"] == "2025-10-03" and pieces["R01"]["date"] == "2025-09-12"


@pytest.fixture
def cli_db(db_url):
    run(db_url, "init")
    run(db_url, "ad", "add", "AD76", "--name", "OCCE Seine-Maritime")
    run(db_url, "coop", "add", COOP, "--name", "École des Tilleuls", "--ad", "AD76")
    run(db_url, "exercice", "open", COOP, EX, "--banque", "1842,37", "--caisse", "63,50")
    return db_url


# -- reading the grid and guessing the columns (no database) ------------------------------------
@pytest.mark.parametrize("kind", ["xlsx", "ods", "csv"])
def test_the_columns_of_an_ad_cahier_are_guessed_from_two_row_merged_headers(kind):
    data = {"xlsx": xlsx_bytes, "ods": ods_bytes, "csv": csv_bytes}[kind](base_layout())
    grid = sp.read_grid(data, f"cahier.{kind}")
    assert grid.kind == kind
    mapping = sp.guess_mapping(grid, CHART)
    assert mapping.sheet == (None if kind == "csv" else "Cahier")
    assert mapping.header_rows == (3, 4)
    roles = {c.letter: c.role for c in mapping.columns}
    assert roles == {"A": "piece", "B": "date", "C": "libelle", "D": "cheque", "E": "banque_entree",
                     "F": "banque_sortie", "G": "caisse_entree", "H": "caisse_sortie", "I": "pointe",
                     "J": "6064", "K": "6281", "L": "61681", "M": "7560", "N": "7580", "O": "ignorer"}
    # the preview skips the « Report » row and the totals, and shows the amounts as parsed
    rows = sp.preview(grid, mapping, CHART, n=5)
    assert [r["Ligne"] for r in rows] == [6, 7, 8, 10]
    d01 = rows[1]
    assert (d01["Pièce"], d01["Date"], d01["Banque sortie"], d01["Pointé"]) == ("D01", "03/10/2025", "174,50", "oui")
    assert d01["Ventilation"] == "6064 9,50 ; 6281 150,00 ; 61681 15,00"
    assert rows[2]["Caisse entrée"] == "1234,56" and rows[2]["Ventilation"] == "7580 1234,56"
    assert all(r["Problèmes"] == [] for r in rows)
    drafts, problems = sp.to_drafts(grid, mapping, CHART)
    assert problems == []
    where = "feuille Cahier, " if kind != "csv" else ""
    assert [w for w, _ in drafts][0] == f"{where}ligne 6 (pièce R01)"
    assert drafts[1][1].bank_out == 17450 and drafts[1][1].date == date(2025, 10, 3)


def test_a_mapping_round_trips_through_json_and_a_corrected_role_is_kept():
    grid = sp.read_grid(xlsx_bytes(base_layout()), "cahier.xlsx")
    mapping = sp.guess_mapping(grid, CHART)
    again = sp.Mapping.from_json(mapping.to_json())
    assert again == mapping
    fixed = sp.Mapping.from_json(mapping.with_role("N", "7410").to_json())
    assert fixed.role_of("7410").letter == "N"
    with pytest.raises(sp.ValidationError, match="colonne N : rôle « banque » inconnu"):
        sp.Mapping.from_json(mapping.to_json().replace('"role": "7580"', '"role": "banque"'))


def test_amounts_as_numbers_or_french_text_and_dates_as_dates_or_text():
    from decimal import Decimal
    for value, cents in ((Decimal("174.5"), 17450), (250, 25000), ("1 234,56", 123456), ("174,50 €", 17450),
                         ("1\u202f234,56", 123456), ("12,5 €", 1250), ("1234.56", 123456), (None, 0),
                         (Decimal("0.30000000000000004"), 30)):
        assert sp.cell_amount(sp.Cell(value), "Banque sortie") == cents, value
    for bad in ("12,3,4", "????", Decimal("1.234"), -5):
        with pytest.raises(sp.ValidationError, match="Banque sortie"):
            sp.cell_amount(sp.Cell(bad), "Banque sortie")
    assert sp.cell_date(sp.Cell("03/10/2025")) == date(2025, 10, 3)
    assert sp.cell_date(sp.Cell(date(2025, 10, 3))) == date(2025, 10, 3)
    assert sp.cell_date(sp.Cell(45933)) == date(2025, 10, 3)  # an Excel day number


def test_account_columns_by_code_or_label_words_and_the_refusals():
    assert sp.resolve_account(CHART, "62810008 Cotisation OCCE").code == "6281"
    assert sp.resolve_account(CHART, "Fournitures").code == "6064"
    assert sp.resolve_account(CHART, "Charges Photos").code == "6011"
    with pytest.raises(sp.ValidationError, match=r"plusieurs comptes \(6011 .*, 7071 .*\)"):
        sp.resolve_account(CHART, "Photos")
    with pytest.raises(sp.ValidationError, match="ne correspond à aucune colonne connue"):
        sp.resolve_account(CHART, "Remarques")
    assert sp.classify("Sortie", CHART)[0] == "?"  # never the account « Sorties, voyages »
    assert sp.classify("Caisse", CHART)[0] == "?"
    assert [sp.classify(h, CHART)[0] for h in ("N°", "Mode de paiement", "Date du relevé", "Bq Débit", "Situation")] \
        == ["piece", "mode", "pointe", "banque_sortie", "ignorer"]


# -- end to end through the command line, on SQLite and PostgreSQL ------------------------------
def test_xlsx_shows_the_columns_and_a_preview_and_imports_only_with_appliquer(cli_db, tmp_path):
    f = tmp_path / "cahier-2025.xlsx"
    f.write_bytes(xlsx_bytes(base_layout()))
    saved = tmp_path / "colonnes-ad76.json"
    p = run(cli_db, "import", COOP, EX, str(f), "--enregistrer-colonnes", str(saved))
    assert "feuille « Cahier », en-tête lignes 3 et 4" in p.stdout
    assert "E   « Banque Entrée » → Banque entrée" in p.stdout
    assert "K   « Charges Cotisation » → compte 6281 Cotisation OCCE (adhésion)" in p.stdout
    assert "ligne 7 : D01 03/10/2025 Facture OCCE — Banque sortie 174,50" in p.stdout
    assert "4 écritures prêtes. Rien n'a été importé" in p.stdout
    assert entries_count(cli_db) == 0
    assert json.loads(saved.read_text(encoding="utf-8"))["lignes_entete"] == [3, 4]
    p = run(cli_db, "import", COOP, EX, str(f), "--appliquer")
    assert "4 écritures importées dans AD76-0421 2025-2026" in p.stdout
    assert_imported(cli_db)


def test_ods_in_the_same_layout_imports_the_same_books(cli_db, tmp_path):
    f = tmp_path / "cahier.ods"  # the name says nothing: the content decides
    f.write_bytes(ods_bytes(base_layout()))
    p = run(cli_db, "import", COOP, EX, str(f), "--appliquer")
    assert "4 écritures importées" in p.stdout
    assert_imported(cli_db)


def test_a_csv_saved_from_the_workbook_goes_through_the_mapping(cli_db, tmp_path):
    f = tmp_path / "cahier.csv"
    f.write_bytes(csv_bytes(base_layout()))
    p = run(cli_db, "import", COOP, EX, str(f))
    assert "en-tête lignes 3 et 4" in p.stdout and entries_count(cli_db) == 0
    run(cli_db, "import", COOP, EX, str(f), "--appliquer")
    assert_imported(cli_db)


def test_an_unknown_or_ambiguous_header_is_located_and_a_corrected_mapping_imports(cli_db, tmp_path):
    layout = base_layout()
    layout["rows"][3] += ["Remarques", "Photos"]
    layout["rows"][7] += [None] * (15 - len(layout["rows"][7])) + ["payé par chèque", None]
    layout["merged"] += [(3, 16, 4, 16), (3, 17, 4, 17)]
    f = tmp_path / "cahier.xlsx"
    f.write_bytes(xlsx_bytes(layout))
    p = run(cli_db, "import", COOP, EX, str(f), "--appliquer", "--enregistrer-colonnes", str(tmp_path / "c.json"),
            check=False)
    assert p.returncode == 1, p.stdout
    assert "feuille Cahier, ligne 3, colonne P : « Remarques » ne correspond à aucune colonne connue" in p.stderr
    assert "feuille Cahier, ligne 3, colonne Q : « Photos » peut désigner plusieurs comptes (6011" in p.stderr
    assert "importées" not in p.stdout and entries_count(cli_db) == 0
    # the teacher (or the AD) corrects the saved columns, and the import goes through
    saved = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    for c in saved["colonnes"]:
        if c["colonne"] in ("P", "Q"):
            c["role"] = "ignorer" if c["colonne"] == "P" else "6011"
    (tmp_path / "c.json").write_text(json.dumps(saved, ensure_ascii=False), encoding="utf-8")
    p = run(cli_db, "import", COOP, EX, str(f), "--colonnes", str(tmp_path / "c.json"), "--appliquer")
    assert "4 écritures importées" in p.stdout
    assert_imported(cli_db)


def test_a_bad_amount_is_located_by_sheet_row_and_column_and_nothing_is_imported(cli_db, tmp_path):
    layout = base_layout()
    layout["rows"][12] = ["R03", date(2025, 11, 20), "Don", None, None, None, 10, None, None, None, None, None,
                          None, 9]
    layout["rows"][13] = [None, None, None]
    layout["rows"][14] = ["R04", date(2025, 11, 21), "Don", None, None, None, "12,3,4", None, None, None, None,
                          None, None, 10]
    f = tmp_path / "cahier.xlsx"
    f.write_bytes(xlsx_bytes(layout))
    p = run(cli_db, "import", COOP, EX, str(f), "--appliquer", check=False)
    assert p.returncode == 1
    assert "feuille Cahier, ligne 14, colonne G : Caisse entrée : « 12,3,4 »" in p.stderr
    assert "feuille Cahier, ligne 12 (pièce R03) : " in p.stderr and "il manque 1,00 €" in p.stderr
    assert "importées" not in p.stdout and entries_count(cli_db) == 0
    # the ODS of the same sheet says the same
    g = tmp_path / "cahier.ods"
    g.write_bytes(ods_bytes(layout))
    p = run(cli_db, "import", COOP, EX, str(g), "--appliquer", check=False)
    assert p.returncode == 1 and "feuille Cahier, ligne 14, colonne G : Caisse entrée : « 12,3,4 »" in p.stderr


def test_problems_only_the_database_sees_are_located_too_and_nothing_is_saved(cli_db, tmp_path):
    run(cli_db, "entry", "add", COOP, EX, "--date", "01/09/2025", "--libelle", "Déjà saisie", "--piece", "R02",
        "--banque-entree", "1", "-v", "7580=1")
    layout = base_layout()
    layout["rows"][10][1] = date(2026, 9, 5)  # after the exercice's end
    f = tmp_path / "cahier.xlsx"
    f.write_bytes(xlsx_bytes(layout))
    p = run(cli_db, "import", COOP, EX, str(f), "--appliquer", check=False)
    assert p.returncode == 1, p.stdout
    assert "feuille Cahier, ligne 8 (pièce R02)" in p.stderr
    assert "feuille Cahier, ligne 10 (pièce D02)" in p.stderr
    assert entries_count(cli_db) == 1  # only the entry typed before: none of the file's


def test_a_one_row_header_with_account_codes_as_numbers_and_a_date_as_excel_day_number():
    layout = {"rows": {
        1: ["Date", "Libellé", "Mode de paiement", "Bq débit", "Bq crédit", "Caisse crédit", 6281, "Subventions"],
        2: [45933, "Facture OCCE", "chq", "174,50", None, None, 174.5],
        3: ["15/10/25", "Subvention mairie", "virement", None, 500, None, None, "500,00 €"],
        4: [None, "Sous-total", None, 174.5, 500],
    }, "merged": []}
    grid = sp.read_grid(xlsx_bytes(layout), "cahier.xlsx")
    mapping = sp.guess_mapping(grid, CHART)
    assert mapping.header_rows == (1,)
    assert [c.role for c in mapping.columns] == ["date", "libelle", "mode", "banque_sortie", "banque_entree",
                                                 "caisse_entree", "6281", "7410"]
    drafts, problems = sp.to_drafts(grid, mapping, CHART)
    assert problems == []
    (w1, d1), (w2, d2) = drafts
    assert (w1, d1.date, d1.mode, d1.bank_out) == ("feuille Cahier, ligne 2", date(2025, 10, 3), "chèque", 17450)
    assert (d2.date, d2.bank_in, d2.ventilation[0].account) == (date(2025, 10, 15), 50000, "7410")
