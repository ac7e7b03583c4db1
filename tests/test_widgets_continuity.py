"""The dashboard across the year boundary (issue 12): a coop reads its previous exercices
read-only (cahier, Bilan, CRF), the Bilan shows the previous year's figures beside this
year's, and the pointage session and the relevé panel of the new year offer the earlier
years' lines the bank has not paid yet (no browser; SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import date

import pytest

from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
from retkoop_widgets.widgets.app import Dashboard
from tests.conftest import COOP, EX

NEW = "2026-2027"


def cheque(day, cents, number, libelle="Fournitures"):
    return EntryDraft(day, libelle, mode="chèque", cheque=number, bank_out=cents, ventilation=(V("6064", cents),))


def receipt(day, cents, libelle="Participation des familles"):
    return EntryDraft(day, libelle, mode="virement", bank_in=cents, ventilation=(V("7560", cents),))


@pytest.fixture
def two_years(books, clock):
    """2025-2026 closed with an August cheque the bank has not paid; 2026-2027 open."""
    old = books.record_entry(COOP, EX, cheque(date(2026, 8, 25), 4500, "4521045"))
    books.record_entry(COOP, EX, receipt(date(2025, 9, 10), 30000))
    books.close_exercice(COOP, EX)
    books.record_entry(COOP, NEW, receipt(date(2026, 9, 4), 2000, "Photos de classe"))
    return old


def test_a_previous_exercice_is_read_in_the_dashboard_read_only(books, two_years):
    d = Dashboard(books, COOP)
    assert d.ctx.exercice == NEW and d.header.exercice.options == (EX, NEW)
    assert d.banner.value == "" and not d.entry.form.valider.disabled
    d.header.exercice.value = EX
    assert "Lecture seule — Exercice 2025-2026 clos" in d.banner.value
    assert d.entry.form.valider.disabled
    d.tabs.selected_index = 1
    assert "2 écritures" in d.cahier.pageinfo.value
    assert "Fournitures" in d.cahier.table.value and "Photos de classe" not in d.cahier.table.value
    assert not d.cahier.month.disabled and d.cahier.session_btn.disabled  # read, not write
    d.tabs.selected_index = 5
    assert "255,00 €" in d.summary.summary.value  # 300 € − 45 €, that year's result
    assert "Exercice précédent" not in d.summary.summary.value  # its first year in Retkoop
    d.tabs.selected_index = 6
    assert not d.exports.crf.btn.disabled and not d.exports.cahier_pdf.btn.disabled
    # back to the current year: writable again, and its Bilan compares with 2025-2026
    d.header.exercice.value = NEW
    assert d.banner.value == "" and not d.entry.form.valider.disabled
    d.tabs.selected_index = 5
    shown = d.summary.summary.value
    assert "Exercice précédent 2025-2026" in shown and "<th class='n rk-prev'>2025-2026</th>" in shown
    assert "255,00 €" in shown
