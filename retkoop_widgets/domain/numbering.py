"""Pièce and cheque numbers: the next free one, never one already used.

A coop numbers its pièces either in one sequence (``001``, ``002``…) or in two
(``R001`` for receipts, ``D001`` for expenses), zero-padded so they sort. The service
allocates the number inside the write transaction that saves the entry, under a lock on
the exercice, so two sessions saving at once never get the same number.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Iterable

from .entry import RECEIPT

SINGLE, SPLIT = "unique", "RD"
WIDTH = 3
_NUM = re.compile(r"^([A-Za-z]*)(\d+)$")


@dataclass(frozen=True)
class DeletedPiece:
    """A pièce deleted from the books. Its number stays used (never handed out again) and
    the cahier shows it struck through, so the paper archive and the books keep matching."""
    piece: str
    entry_date: date | None
    libelle: str
    amount: int
    deleted_at: datetime
    deleted_by: str
    reason: str = ""

    def describe(self) -> str:
        why = f" ({self.reason})" if self.reason else ""
        return f"pièce {self.piece} supprimée le {self.deleted_at:%d/%m/%Y} par {self.deleted_by}{why}"


def series_prefix(numbering: str, kind: str) -> str:
    """'' for a single sequence; 'R' or 'D' (transfers count as D: money leaves a treasury)."""
    if numbering != SPLIT:
        return ""
    return "R" if kind == RECEIPT else "D"


def next_piece(used: Iterable[str], prefix: str = "") -> str:
    """The number after the highest one in ``prefix``'s series (``R007`` → ``R008``)."""
    return PieceAllocator(used).next(prefix)


class PieceAllocator:
    """The pièces used in an exercice, and the next free number of each series in O(1).

    Built once per write transaction (under the exercice lock); an import of thousands
    of entries allocates from it without rescanning every pièce each time.
    """

    def __init__(self, used: Iterable[str] = ()):
        self.used: set[str] = set()
        self._top: dict[str, tuple[int, int]] = {}  # prefix -> (highest number, width)
        for p in used:
            self.add(p)

    def __contains__(self, piece: str) -> bool:
        return piece in self.used

    def add(self, piece: str) -> None:
        self.used.add(piece)
        m = _NUM.match(piece.strip())
        if m:
            prefix = m.group(1).upper()
            top, width = self._top.get(prefix, (0, WIDTH))
            self._top[prefix] = (max(top, int(m.group(2))), max(width, len(m.group(2))))

    def next(self, prefix: str = "") -> str:
        top, width = self._top.get(prefix.upper(), (0, WIDTH))
        return f"{prefix}{top + 1:0{width}d}"


def next_cheque(used: Iterable[str]) -> str:
    """The cheque after the highest one used (keeping leading zeros), or '' if none yet."""
    best = None
    for c in used:
        c = (c or "").strip()
        if c.isdigit() and (best is None or int(c) > int(best)):
            best = c
    if best is None:
        return ""
    return f"{int(best) + 1:0{len(best)}d}"


@lru_cache(maxsize=65536)
def sort_key(piece: str) -> tuple:
    """Natural order: ``D2`` before ``D10``."""
    m = _NUM.match(piece.strip())
    if m:
        return (m.group(1).upper(), int(m.group(2)), piece)
    return (piece, 0, piece)
