"""French dates: users type and read jj/mm/aaaa.

Why so forgiving: teachers type dates the way they write them on paper or in a
spreadsheet (``3/10/25``, ``03102025``, ``03.10.2025``); a bookkeeping tool used once a week
must read them all, and say precisely why it refuses one (« le 31/02/2026 n'existe pas »)
rather than erase it.
"""
from __future__ import annotations

import re
from datetime import date

from .errors import ValidationError

_DMY = re.compile(r"^(\d{1,2})\s*[/.\- ]\s*(\d{1,2})\s*[/.\- ]\s*(\d{4}|\d{2})$")
_COMPACT = re.compile(r"^(\d{2})(\d{2})(\d{4}|\d{2})$")
#: ISO, and the time some bank exports write after it (``2026-07-08T10:12:00``): read only
#: with ``time=True``.
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})([T ]\d{1,2}:\d{2}(?::\d{2})?)?$")

#: The years a cooperative's books can be about (two-digit years are 20xx).
FIRST_YEAR, LAST_YEAR = 1990, 2100


def parse_date(text: str, field: str = "date", *, compact: bool = True, time: bool = False) -> date:
    """``03/10/2025`` (also ``3/10/25``, ``03102025``, ``031025``, ``03.10.2025``,
    ``03-10-2025``, ISO ``2025-10-03``) → date; a French ``ValidationError`` otherwise.

    The one date parser of forms, the CLI, the cahier CSV and bank statements. Options for
    files a bank wrote rather than a person typed: ``compact=False`` refuses the digits-only
    forms (``031025`` is an amount or a number there, not a date); ``time=True`` reads an ISO
    date followed by a time (``2026-07-08T10:12:00``, the time ignored)."""
    s = (text or "").strip()
    if not s:
        raise ValidationError("la date est vide", field)
    m = _DMY.match(s) or (_COMPACT.match(s) if compact else None)
    if m:
        d, mth, y = (int(g) for g in m.groups())
        if len(m.group(3)) == 2:
            y += 2000
        shown = f"{d:02d}/{mth:02d}/{y:04d}"
    else:
        m = _ISO.match(s)
        if not m or (m.group(4) and not time):
            raise ValidationError(f"date « {_short(s)} » illisible : attendu jj/mm/aaaa (ex. 03/10/2025)",
                                  field)
        y, mth, d = (int(g) for g in m.groups()[:3])
        shown = f"{d:02d}/{mth:02d}/{y:04d}"
    if not FIRST_YEAR <= y <= LAST_YEAR:
        raise ValidationError(f"le {shown} est hors des années possibles ({FIRST_YEAR}–{LAST_YEAR})", field)
    try:
        return date(y, mth, d)
    except ValueError:
        raise ValidationError(f"le {shown} n'existe pas", field) from None


def format_date(d: date | None) -> str:
    """``date(2025, 10, 3)`` → ``03/10/2025``; ``""`` for none: the one French date format of
    pages, files and messages."""
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}" if d else ""


def _short(s: str, n: int = 40) -> str:
    return s if len(s) <= n else s[:n] + "…"
