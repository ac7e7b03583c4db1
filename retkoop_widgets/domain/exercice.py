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


#: What a person may type for an exercice: two years separated by ``-``, ``/``, an en or
#: em dash or ``_``, spaces anywhere around them; each year with four digits or two
#: (``25-26``, ``2025-26``: 20xx). Everything else is refused.
_TYPED = re.compile(r"\s*([0-9]{4}|[0-9]{2})\s*[-/\u2013\u2014_]\s*([0-9]{4}|[0-9]{2})\s*")
_CANONICAL = re.compile(r"([0-9]{4})-([0-9]{4})")
FIRST_YEAR, LAST_YEAR = 2000, 2100


def normalise_exercice_name(name: str) -> str:
    """The one name of an exercice, ``2025-2026``, from what a person typed
    (``2025/2026``, `` 2025 - 2026 ``, ``2025–2026``, ``2025-26``, ``25-26``).

    Every entry point (CLI arguments, dashboard, ``Books`` calls) goes through it, so one
    school year never gets two names (two exercices for one period would carry the wrong
    opening balance into the next year). Refuses anything else in French."""
    text = name if isinstance(name, str) else ""
    m = _TYPED.fullmatch(text)
    if not m:
        raise ValidationError(
            f"exercice « {_shown(text)} » invalide : attendu deux années consécutives, ex. 2025-2026",
            "exercice")
    first, second = (int(g) + 2000 if len(g) == 2 else int(g) for g in m.groups())
    if second != first + 1:
        raise ValidationError(
            f"exercice « {_shown(text)} » invalide : attendu deux années consécutives, ex. 2025-2026",
            "exercice")
    if not FIRST_YEAR <= first <= LAST_YEAR:
        raise ValidationError(f"exercice « {_shown(text)} » hors des années possibles "
                              f"({FIRST_YEAR}-{FIRST_YEAR + 1} à {LAST_YEAR}-{LAST_YEAR + 1})", "exercice")
    return f"{first}-{second}"


def _shown(text: str) -> str:
    from .text import printable
    return printable(text[:40]) + ("…" if len(text) > 40 else "")


def parse_name(name: str) -> tuple[date, date]:
    """``2025-2026`` → (2025-09-01, 2026-08-31).

    Only the normalised name is accepted (what ``normalise_exercice_name`` returns and
    the database stores); ``2025/2026`` is refused with the name to use, so no caller can
    store or look up a second name for one year."""
    if isinstance(name, str) and _CANONICAL.fullmatch(name):
        y = int(name[:4])
        if int(name[5:]) == y + 1 and FIRST_YEAR <= y <= LAST_YEAR:
            return date(y, 9, 1), date(y + 1, 8, 31)
    canonical = normalise_exercice_name(name)  # raises for what is not an exercice at all
    raise ValidationError(f"exercice « {_shown(name)} » : écrivez-le {canonical}", "exercice")


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

    def already_exists_message(self) -> str:
        """Why ``open_exercice`` refuses to open this exercice again, by its state (a
        closed one is not « déjà ouvert »)."""
        if self.state == CLOSED:
            return (f"l'exercice {self.name} de {self.coop} est clos : il ne peut pas être ouvert à "
                    "nouveau (un exercice clos ne se rouvre pas)")
        if self.state == SUBMITTED:
            return (f"l'exercice {self.name} de {self.coop} existe déjà et il est soumis (verrouillé) : "
                    "seule l'AD peut le rouvrir")
        return f"l'exercice {self.name} de {self.coop} est déjà ouvert"

    def to(self, state: str) -> "Exercice":
        if state not in _TRANSITIONS[self.state]:
            raise ValidationError(
                f"l'exercice {self.name} est {STATE_LABELS[self.state]} : impossible de le "
                f"passer à l'état « {STATE_LABELS[state]} »", "etat")
        return replace(self, state=state)
