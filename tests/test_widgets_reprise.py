"""« Reprendre un cahier tableur » in the dashboard (no browser; SQLite and PostgreSQL): the
columns guessed from the workbook's headers, corrected by the teacher, a preview, then an
all-or-nothing import with every problem located."""
from __future__ import annotations

import pytest

from retkoop_widgets.widgets.app import Dashboard
from tests.conftest import COOP, EX
from tests.test_spreadsheet_import import base_layout as ad_layout, xlsx_bytes


@pytest.fixture
def panel(books):
    d = Dashboard(books, COOP, EX)
    d.tabs.selected_index = 1
    d.cahier.reprise_btn.value = True
    return d, d.cahier.reprise


def roles(p):
    return {c.letter: c.role for c in p.mapping.columns}


def test_a_workbook_is_guessed_previewed_and_imported(panel, books):
    d, p = panel
    assert d.cahier.statement_box.children == (p.box,)
    p.load("cahier-2025.xlsx", xlsx_bytes(ad_layout()))
    assert roles(p)["B"] == "date" and roles(p)["J"] == "6064"
    assert "Facture OCCE" in p.preview.value and "174,50" in p.preview.value
    assert not p.apply_btn.disabled
    p.apply_btn.click()
    assert "importées depuis cahier-2025.xlsx" in p.status.value
    assert sorted(e.libelle for e in books.entries(COOP, EX))[:2] == ["Don de l'association des parents",
                                                                      "Facture OCCE"]
    assert "Facture OCCE" in d.cahier.table.value  # the cahier shows them at once


def test_a_wrong_column_is_corrected_and_a_bad_file_imports_nothing(panel, books):
    d, p = panel
    layout = ad_layout()
    layout["rows"][7][9] = "neuf euros"  # J7: an amount nobody can read
    p.load("cahier.xlsx", xlsx_bytes(layout))
    p.apply_btn.click()
    assert "Rien n’a été importé" in p.status.value and "ligne 7, colonne J" in p.status.value
    assert books.entries(COOP, EX) == []
    pick = next(w.children[1] for w in p.columns.children[1:] if "<b>J</b>" in w.children[0].value)
    pick.value = "ignorer"  # the teacher says: not an account column
    assert roles(p)["J"] == "ignorer"


def test_a_file_that_is_no_spreadsheet_is_refused_in_french(panel):
    _d, p = panel
    p.load("photo.xlsx", b"GIF89a not a workbook")
    assert "rk-ko" in p.status.value and p.apply_btn.disabled and not p.columns.children


def test_the_ads_saved_columns_are_offered_and_replace_the_guess(panel, books):
    """A mapping the AD saved (``Books.save_column_mapping``) is offered once the file is
    read; choosing it replaces the guessed columns, the guess comes back on request."""
    d, p = panel
    p.load("cahier.xlsx", xlsx_bytes(ad_layout()))
    assert p.saved_box.layout.display == "none"  # nothing saved yet
    books.save_column_mapping("AD76", "Cahier OCCE 76", p.mapping.with_role("J", "ignorer"))
    p.load("cahier.xlsx", xlsx_bytes(ad_layout()))
    assert p.saved_box.layout.display == "" and [v for _l, v in p.saved.options] == ["", "Cahier OCCE 76"]
    assert roles(p)["J"] == "6064"  # the guess until the teacher picks the AD's columns
    p.saved.value = "Cahier OCCE 76"
    assert roles(p)["J"] == "ignorer" and "Facture OCCE" in p.preview.value
    p.saved.value = ""
    assert roles(p)["J"] == "6064"


def test_a_workbook_on_two_sheets_is_checked_sheet_by_sheet_and_imported_as_one_cahier(panel, books):
    """Comptacoop: « Produits » and « Charges » sheets, each with its columns; one import."""
    from tests.test_spreadsheet_sheets import COMPTACOOP, workbook
    _d, p = panel
    p.load("comptacoop.xlsx", workbook(COMPTACOOP))
    assert p.sheet_box.layout.display == "" and p.sheet_pick.options == ("Produits", "Charges")
    assert p.mapping.sheet == "Produits" and roles(p)["C"] == "banque_entree"
    assert "Participation des familles" in p.preview.value
    p.sheet_pick.value = "Charges"
    assert p.mapping.sheet == "Charges" and roles(p)["D"] == "banque_sortie" and "Crayons" in p.preview.value
    p.apply_btn.click()
    assert "4 écritures importées depuis comptacoop.xlsx" in p.status.value, p.status.value
    assert [e.libelle for e in books.entries(COOP, EX)] == ["Participation des familles", "Crayons",
                                                           "Cotisation OCCE", "Subvention mairie"]
    assert p.sheet_box.layout.display == "none"
