"""Cash counts (arrêtés de caisse): the coins and notes counted against the books."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from ..domain.cash import CashCount, make_count
from ..domain.errors import ValidationError
from ..domain.ledger import balances_at
from .guard import reading, writing

if TYPE_CHECKING:  # pragma: no cover
    from .books import Books


def record_cash_count(books: "Books", coop: str, name: str, day: date, counts: dict[int, int],
                      comment: str = "") -> CashCount:
    with writing(books, coop, name) as w:
        ex = w.exercice
        if day and not ex.contains(day):
            raise ValidationError(f"la date {day:%d/%m/%Y} est hors de l'exercice {name}", "date")
        if day and day > books.today():
            raise ValidationError("un arrêté de caisse ne peut pas être daté dans le futur", "date")
        _, cash = balances_at(ex, w.repo.entries(ex.id), day)
        count = make_count(day, counts, cash, books.actor.login, comment)
        saved = w.repo.add_cash_count(ex.id, replace(count, comment=comment, recorded_at=books.now()))
        w.audit("create", "cash_count", saved.id,
                after={"date": day.isoformat(), "compte": count.total, "solde_livre": cash, "ecart": count.gap})
    return replace(count, id=saved.id, recorded_at=saved.recorded_at)


def cash_counts(books: "Books", coop: str, name: str) -> list[CashCount]:
    with reading(books, coop, name) as r:
        return r.repo.cash_counts(r.exercice.id)
