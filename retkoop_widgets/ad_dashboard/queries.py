"""What an AD needs to see of each of its coops, computed through ``Books`` only.

Why through ``Books``: the acting AD user's ``Actor`` is checked on every call, so this
overview cannot leak another AD's coops even if asked for them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..domain.exercice import STATE_LABELS, SUBMITTED
from ..services.books import Books


@dataclass(frozen=True)
class CoopState:
    code: str
    name: str
    exercice: str | None
    state: str | None  # exercice state (ouvert, soumis, rouvert, clos)
    bank: int | None
    cash: int | None
    last_entry: date | None
    last_pointage: date | None
    last_cash_count: date | None
    alerts: int
    training: bool = False

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, "aucun exercice") if self.state else "aucun exercice"

    @property
    def locked(self) -> bool:
        return self.state == SUBMITTED


def coop_state(books: Books, coop: dict) -> CoopState:
    ex = books.current_exercice(coop["code"])
    if ex is None:
        return CoopState(coop["code"], coop["name"], None, None, None, None, None, None, None, 0,
                         coop.get("training", False))
    entries = books.entries(coop["code"], ex.name)
    bank, cash = books.balances(coop["code"], ex.name)
    counts = books.cash_counts(coop["code"], ex.name)
    pointed = [e.statement_date for e in entries if e.pointed and e.statement_date]
    return CoopState(
        code=coop["code"], name=coop["name"], exercice=ex.name, state=ex.state, bank=bank, cash=cash,
        last_entry=max((e.date for e in entries), default=None),
        last_pointage=max(pointed, default=None),
        last_cash_count=max((c.date for c in counts), default=None),
        alerts=len(books.alerts(coop["code"], ex.name)),
        training=coop.get("training", False))


def ad_overview(books: Books, ad: str | None = None) -> list[CoopState]:
    """Every coop the acting user may read (of ``ad`` if given), with its state."""
    return [coop_state(books, c) for c in books.coops(ad, include_training=False)]
