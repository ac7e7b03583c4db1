"""French formatting for printed reports: amounts ``1 234,56``, dates ``jj/mm/aaaa``, HTML escaping.

Amounts reuse ``domain.money.format_eur`` (narrow no-break space between thousands, as
French typography wants), so the PDF and the dashboard print the same figures.
"""
from __future__ import annotations

import html
from datetime import date, datetime

from ..domain.dates import format_date
from ..domain.money import format_eur


def num(cents: int | None, *, blank_zero: bool = False) -> str:
    """``123456`` → ``1 234,56`` (no currency sign: table columns say « € » once)."""
    if cents is None or (blank_zero and cents == 0):
        return ""
    return format_eur(cents, symbol=False)


def eur(cents: int) -> str:
    return format_eur(cents)


def day(d: date | datetime | None) -> str:
    return format_date(d)


def esc(text) -> str:
    return html.escape(str(text or ""), quote=True)


MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
