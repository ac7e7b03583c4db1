"""Arrêté de caisse: counting the cash box note by note and coin by coin."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .errors import Problem, ValidationError
from .money import format_eur

# All euro notes and coins, in cents, largest first (7 notes, 8 coins).
NOTES = (50000, 20000, 10000, 5000, 2000, 1000, 500)
COINS = (200, 100, 50, 20, 10, 5, 2, 1)
DENOMINATIONS = NOTES + COINS


def denomination_label(cents: int) -> str:
    if cents >= 100:
        kind = "billet" if cents in NOTES else "pièce"
        return f"{kind} de {cents // 100} €"
    return f"pièce de {cents} c"


@dataclass(frozen=True)
class CashCount:
    date: date
    counts: dict[int, int]  # denomination (cents) -> number
    book_balance: int  # the cash balance of the books at that date
    author: str = ""
    id: int | None = None
    recorded_at: datetime | None = None
    comment: str = ""

    @property
    def total(self) -> int:
        return sum(d * n for d, n in self.counts.items())

    @property
    def gap(self) -> int:
        """Counted minus book: negative when cash is missing."""
        return self.total - self.book_balance

    def verdict(self) -> str:
        if self.gap == 0:
            return "Caisse juste"
        return f"Écart de {format_eur(abs(self.gap))} ({'excédent' if self.gap > 0 else 'manque'})"


def make_count(day: date | None, counts: dict[int, int], book_balance: int, author: str = "",
               comment: str = "") -> CashCount:
    problems = []
    if day is None:
        problems.append(Problem("la date de l'arrêté de caisse est obligatoire", "date"))
    clean: dict[int, int] = {}
    for d, n in counts.items():
        if d not in DENOMINATIONS:
            problems.append(Problem(f"coupure de {d} centimes inconnue", "coupures"))
            continue
        if not isinstance(n, int) or n < 0:
            problems.append(Problem(f"{denomination_label(d)} : le nombre doit être un entier positif ou nul", "coupures"))
            continue
        if n > 100000:
            problems.append(Problem(f"{denomination_label(d)} : {n} est invraisemblable", "coupures"))
            continue
        if n:
            clean[d] = n
    if problems:
        raise ValidationError(problems)
    return CashCount(day, clean, book_balance, author, comment=comment)
