"""The exercice: a school year from 1 September to 31 August, and its life cycle.

States: ``ouvert`` → ``soumis`` (CRF submitted, books locked) → ``rouvert`` by the AD
(with a traced reason) → ``soumis`` again … → ``clos`` (closing balances carried
forward as the next exercice's opening). Only ``ouvert`` and ``rouvert`` accept writes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from .errors import LockedExercice, ValidationError

OPEN, SUBMITTED, REOPENED, CLOSED = "ouvert", "soumis", "rouvert", "clos"
WRITABLE = (OPEN, REOPENED)
STATE_LABELS = {OPEN: "ouvert", SUBMITTED: "soumis (verrouillé)", REOPENED: "rouvert par l'AD",
                CLOSED: "clos"}
_TRANSITIONS = {OPEN: {SUBMITTED, CLOSED}, SUBMITTED: {REOPENED, CLOSED},
                REOPENED: {SUBMITTED, CLOSED}, CLOSED: set()}


def parse_name(name: str) -> tuple[date, date]:
    """``2025-2026`` → (2025-09-01, 2026-08-31); refuses anything else in French."""
    m = re.fullmatch(r"\s*(\d{4})\s*[-/]\s*(\d{4})\s*", name or "")
    if not m or int(m.group(2)) != int(m.group(1)) + 1:
        raise ValidationError(
            f"exercice « {name} » invalide : attendu deux années consécutives, ex. 2025-2026",
            "exercice")
    y = int(m.group(1))
    if not 2000 <= y <= 2100:
        raise ValidationError(f"exercice « {name} » hors des années possibles", "exercice")
    return date(y, 9, 1), date(y + 1, 8, 31)


def name_for(day: date) -> str:
    """The exercice a date belongs to: 15/10/2025 → ``2025-2026``; 15/06/2026 → ``2025-2026``."""
    y = day.year if day.month >= 9 else day.year - 1
    return f"{y}-{y + 1}"


def next_name(name: str) -> str:
    start, _ = parse_name(name)
    return f"{start.year + 1}-{start.year + 2}"


@dataclass(frozen=True)
class Exercice:
    coop: str
    name: str
    opening_bank: int = 0
    opening_cash: int = 0
    state: str = OPEN
    id: int | None = None
    version: int = 1

    @property
    def start(self) -> date:
        return parse_name(self.name)[0]

    @property
    def end(self) -> date:
        return parse_name(self.name)[1]

    @property
    def opening_total(self) -> int:
        return self.opening_bank + self.opening_cash

    @property
    def writable(self) -> bool:
        return self.state in WRITABLE

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def require_writable(self) -> None:
        if not self.writable:
            raise LockedExercice(
                f"L'exercice {self.name} est {STATE_LABELS[self.state]} : aucune modification "
                "n'est possible. Seule l'AD peut le rouvrir.")

    def to(self, state: str) -> "Exercice":
        if state not in _TRANSITIONS[self.state]:
            raise ValidationError(
                f"l'exercice {self.name} est {STATE_LABELS[self.state]} : impossible de le "
                f"passer à l'état « {STATE_LABELS[state]} »", "etat")
        return replace(self, state=state)
