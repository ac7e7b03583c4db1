"""Cheque alerts speak of gaps in the chequebook, once; cheques entered out of date order
are normal (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import date

from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
from tests.conftest import COOP, EX


def cheque(books, number: str, day: date, amount: int = 1000) -> None:
    books.record_entry(COOP, EX, EntryDraft(day, f"Achat chèque {number}", mode="chèque", cheque=number,
                                            bank_out=amount, ventilation=(V("6064", amount),)))


def test_a_back_dated_cheque_is_no_alert_and_a_gap_is_one(books):
    cheque(books, "1000236", date(2025, 10, 1))
    cheque(books, "1000237", date(2025, 10, 2))
    cheque(books, "1000239", date(2025, 10, 9))
    cheque(books, "1000238", date(2025, 9, 20))  # the invoice's date: before the others, no alert
    cheque(books, "1000243", date(2025, 10, 12))
    cheques = [a for a in books.alerts(COOP, EX) if a.code.startswith("cheque")]
    assert [a.message for a in cheques] == [
        "chèques 1000240 à 1000242 absents du cahier : annulés, perdus ou pas encore saisis ?"]
    cheque(books, "1000241", date(2025, 10, 13))
    messages = sorted(a.message for a in books.alerts(COOP, EX) if a.code.startswith("cheque"))
    assert messages == ["chèque 1000240 absent du cahier : annulé, perdu ou pas encore saisi ?",
                        "chèque 1000242 absent du cahier : annulé, perdu ou pas encore saisi ?"]


def test_ten_cheques_after_a_back_dated_one_give_no_alert(books):
    for i in range(10):
        cheque(books, str(4521010 + i), date(2025, 11, 1 + i))
    cheque(books, "4521020", date(2025, 10, 1))  # written last, dated by its invoice: first in the cahier
    assert [a for a in books.alerts(COOP, EX) if a.code.startswith("cheque")] == []


def test_a_new_chequebook_is_no_gap(books):
    cheque(books, "1000049", date(2025, 10, 1))
    cheque(books, "1000050", date(2025, 10, 2))
    cheque(books, "3412001", date(2025, 10, 9))  # the next chequebook
    cheque(books, "3412003", date(2025, 10, 10))
    assert [a.message for a in books.alerts(COOP, EX) if a.code.startswith("cheque")] == [
        "chèque 3412002 absent du cahier : annulé, perdu ou pas encore saisi ?"]
