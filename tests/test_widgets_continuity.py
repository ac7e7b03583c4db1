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
    paid = books.record_entry(COOP, EX, receipt(date(2025, 9, 10), 30000))
    books.point([paid.id], date(2025, 9, 30))
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


def test_the_new_years_pointage_session_offers_last_years_cheque_until_pointed(books, clock, two_years):
    """A cheque of 25/08/2026, in 2025-2026 (closed), cashed in October: ticked in the
    October session of 2026-2027, its balance counted; then no longer offered."""
    old = two_years
    clock.day = date(2026, 10, 20)
    d = Dashboard(books, COOP)
    d.tabs.selected_index = 1
    c = d.cahier
    c.session_btn.value = True
    s = c.session
    s.date.value = date(2026, 10, 14)
    assert [(e.id, getattr(e, "exercice", "")) for _cb, e in s.checks][-1] == (old.id, EX)
    carried_cb = s.checks[-1][0]
    assert "rk-pcarried" in carried_cb._dom_classes and "exercice 2025-2026" in carried_cb.description
    assert not carried_cb.disabled
    opening = books.exercice(COOP, NEW).opening_bank
    assert opening == 184237 + 30000 - 4500
    # the bank on 14/10: the cheque and this year's receipt went through
    # (the opening balance already counts the cheque as spent; the bank held it until October)
    s.balance.value = "2 117,37"
    assert opening + 2000 == 211737
    assert "Différence restante" in s.summary.value and "rk-bad" in s.summary.value  # nothing ticked yet
    for cb, _e in s.checks:
        cb.value = True
    assert "rapproché" in s.summary.value and "rk-good" in s.summary.value
    s.valider.click()
    assert "2 lignes pointées sur le relevé du 14/10/2026" in s.status.value
    assert (books.entry(old.id).pointed, books.entry(old.id).statement_date) == (True, date(2026, 10, 14))
    [audit] = [a for a in books.audit_log(COOP) if a["action"] == "point" and a["object"] == f"entry {old.id}"]
    assert audit["exercice"] == EX and "pointage après la fin de l'exercice 2025-2026" in audit["reason"]
    assert s.checks == []  # pointed: no longer offered
    assert books.crf(COOP, NEW).outstanding_previous == ()


def test_a_locked_years_line_is_not_tickable_on_a_statement_before_its_end(books, clock, two_years):
    """The lock is per line: a statement dated on or before 2025-2026's end cannot point its
    cheque (its CRF would change), the box says why."""
    old = two_years
    d = Dashboard(books, COOP)
    d.tabs.selected_index = 1
    c = d.cahier
    c.session_btn.value = True
    s = c.session
    s.date.value = date(2026, 8, 31)
    assert s.checks == []  # nothing of 2026-2027 by then, and the old cheque is not tickable
    boxes = [w for w in s.list.children if "rk-pcarried" in w._dom_classes]
    assert len(boxes) == 1 and boxes[0].disabled and old.piece in boxes[0].description
    [why] = [w for w in s.list.children if "rk-plocked" in w._dom_classes]
    assert "L’exercice 2025-2026 est clos" in why.value and "relevé daté après le 31/08/2026" in why.value
    s.date.value = date(2026, 9, 15)
    assert [e.id for _cb, e in s.checks][-1] == old.id


STATEMENT = ("Date;Libellé;Montant\n"
             "28/08/2026;CHEQUE N° 4521046;-12,00\n"
             "12/10/2026;CHEQUE N° 4521045;-45,00\n").encode("utf-8")


def _upload(w, name, content: bytes):
    from datetime import datetime, timezone
    w.value = ({"name": name, "type": "text/csv", "size": len(content), "content": memoryview(content),
                "last_modified": datetime.now(timezone.utc)},)


def test_the_releve_panel_locks_per_pair(books, clock):
    """Two cheques of a closed 2025-2026 on one statement: the one on a line of 28/08 (before
    the end: its CRF would change) is shown, not tickable; the one cashed on 12/10 is ticked
    and pointed — before, one locked pair made every earlier pair untickable."""
    late = books.record_entry(COOP, EX, cheque(date(2026, 8, 25), 4500, "4521045"))
    early = books.record_entry(COOP, EX, cheque(date(2026, 8, 26), 1200, "4521046", "Colle"))
    books.close_exercice(COOP, EX)
    clock.day = date(2026, 10, 20)
    d = Dashboard(books, COOP, NEW)
    d.tabs.selected_index = 1
    d.cahier.statement_btn.value = True
    r = d.cahier.statement
    _upload(r.upload, "octobre.csv", STATEMENT)
    assert [p.entry.id for _cb, p in r.checks] == [late.id]
    rows = [w for w in r.matches.children if hasattr(w, "children")]
    locked_row = next(w for w in rows if "CHEQUE N° 4521046" in w.children[1].value)
    assert not isinstance(locked_row.children[0], __import__("ipywidgets").Checkbox)
    assert "rien à pointer" in r.summary.value and "2 de l’exercice 2025-2026" in r.summary.value
    assert not r.apply_btn.disabled and r.apply_btn.description == "Pointer la ligne cochée"
    r.apply_btn.click()
    assert books.entry(late.id).statement_date == date(2026, 10, 12) and not books.entry(early.id).pointed
