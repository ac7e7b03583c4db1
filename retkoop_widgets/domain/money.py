"""Money as integer cents: strict parsing of what French users type, and formatting.

Floats never touch an amount. ``parse_amount`` accepts the forms people really type
(``1 234,56``, ``1234.56``, ``12,5``, thousands separated by a space, a no-break space
or a narrow no-break space, an optional ``€``) and refuses everything else with a French
sentence saying what is wrong.
"""
from __future__ import annotations

import re
from decimal import Decimal

from .errors import ValidationError

MAX_CENTS = 10_000_000 * 100  # 10 000 000 € : beyond that a typing slip is certain
_SPACES = "\u0020\u00a0\u202f\u2009"
_GROUPED = re.compile(r"^\d{1,3}(?:[ ]\d{3})+$")
_GROUPED_DOT = re.compile(r"^\d{1,3}(?:\.\d{3}){2,}$")  # 1.234.567 (unambiguous)


def parse_amount(text: str | int | Decimal | None, field: str = "montant", *,
                 allow_zero: bool = False, allow_empty: bool = False,
                 allow_negative: bool = False) -> int:
    """Parse a user-typed amount into cents.

    Returns 0 for an empty input when ``allow_empty``. Raises ``ValidationError``
    (French, naming ``field``) for anything ambiguous or absurd.
    """
    if isinstance(text, bool):
        raise ValidationError(f"{_label(field)} : montant invalide", field)
    if isinstance(text, int):
        cents = text * 100
        return _check_range(cents, field, allow_zero, allow_negative, str(text))
    if isinstance(text, Decimal):
        q = text * 100
        if q != q.to_integral_value():
            raise ValidationError(
                f"{_label(field)} : « {text} » a plus de deux décimales", field)
        return _check_range(int(q), field, allow_zero, allow_negative, str(text))
    raw = "" if text is None else str(text)
    s = raw.strip().strip(_SPACES)
    if s.endswith("€"):
        s = s[:-1].rstrip(_SPACES)
    elif s.startswith("€"):
        s = s[1:].lstrip(_SPACES)
    if s.upper().endswith("EUR"):
        s = s[:-3].rstrip(_SPACES)
    if not s:
        if allow_empty:
            return 0
        raise ValidationError(f"{_label(field)} : le montant est vide", field)
    negative = False
    if s[0] in "+-−":
        if s[0] != "+" and not allow_negative:
            raise ValidationError(
                f"{_label(field)} : « {raw.strip()} » — pas de signe ici : indiquez "
                "le sens (entrée ou sortie) plutôt qu'un montant négatif", field)
        if s[0] == "+" and not allow_negative:
            raise ValidationError(
                f"{_label(field)} : « {raw.strip()} » — pas de signe ici, "
                "saisissez le montant seul", field)
        negative = s[0] != "+"
        s = s[1:].lstrip(_SPACES)
    for sp in _SPACES[1:]:
        s = s.replace(sp, " ")
    if "," in s and "." in s:
        # "1.234,56" (dot thousands) is accepted; "1,234.56" is English: refuse, it is ambiguous.
        if s.rfind(",") > s.rfind("."):
            intpart, dec = s.rsplit(",", 1)
            if not re.fullmatch(r"\d{1,3}(\.\d{3})+", intpart):
                raise _bad(raw, field)
            intpart = intpart.replace(".", "")
        else:
            raise ValidationError(
                f"{_label(field)} : « {raw.strip()} » est ambigu — utilisez la virgule "
                "pour les centimes (ex. 1 234,56)", field)
    elif "," in s:
        if s.count(",") > 1:
            raise _bad(raw, field)
        intpart, dec = s.split(",")
    elif "." in s:
        if _GROUPED_DOT.match(s):
            intpart, dec = s.replace(".", ""), ""
        elif s.count(".") > 1:
            raise _bad(raw, field)
        else:
            intpart, dec = s.split(".")
    else:
        intpart, dec = s, ""
    if " " in intpart:
        if not _GROUPED.match(intpart):
            raise ValidationError(
                f"{_label(field)} : « {raw.strip()} » — les espaces ne peuvent séparer "
                "que des groupes de trois chiffres", field)
        intpart = intpart.replace(" ", "")
    if intpart == "" and dec != "":
        intpart = "0"
    if not intpart.isdigit() or not intpart.isascii() or (dec and not (dec.isdigit() and dec.isascii())):
        raise _bad(raw, field)
    if len(dec) > 2:
        raise ValidationError(
            f"{_label(field)} : « {raw.strip()} » a plus de deux décimales "
            "(les montants sont au centime)", field)
    if len(intpart) > 12:
        raise _absurd(raw, field)
    cents = int(intpart) * 100 + int((dec + "00")[:2])
    if negative:
        cents = -cents
    return _check_range(cents, field, allow_zero, allow_negative, raw.strip())


def _check_range(cents: int, field: str, allow_zero: bool, allow_negative: bool, shown: str) -> int:
    if cents == 0 and not allow_zero:
        raise ValidationError(f"{_label(field)} : le montant ne peut pas être nul", field)
    if cents < 0 and not allow_negative:
        raise ValidationError(
            f"{_label(field)} : « {shown} » — le montant doit être positif", field)
    if abs(cents) > MAX_CENTS:
        raise _absurd(shown, field)
    return cents


def _label(field: str) -> str:
    return field[:1].upper() + field[1:] if field else "Montant"


def _bad(raw: str, field: str) -> ValidationError:
    return ValidationError(
        f"{_label(field)} : « {raw.strip()} » n'est pas un montant (exemples valides : "
        "1 234,56 — 12,5 — 1234.56)", field)


def _absurd(raw: str, field: str) -> ValidationError:
    return ValidationError(
        f"{_label(field)} : « {raw.strip()} » dépasse 10 000 000 € — vérifiez la saisie", field)


def format_eur(cents: int, *, symbol: bool = True, plus: bool = False, nbsp: bool = False) -> str:
    """``123456`` → ``1 234,56 €``.

    Plain spaces by default, so messages read and compare the same everywhere (terminal,
    CSV, tests); ``nbsp=True`` gives the typographic form (narrow no-break space between
    thousands, no-break space before €) for HTML and PDF, where a line must not break
    inside an amount.
    """
    sign = "-" if cents < 0 else ("+" if plus and cents > 0 else "")
    units, rest = divmod(abs(cents), 100)
    grouped = f"{units:,}".replace(",", "\u202f" if nbsp else " ")
    text = f"{sign}{grouped},{rest:02d}"
    if not symbol:
        return text
    return f"{text}{chr(0xa0) if nbsp else ' '}€"


def format_plain(cents: int) -> str:
    """``123456`` → ``1234,56``: for CSV cells, where a spreadsheet must read it back."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    return f"{sign}{units},{rest:02d}"


def to_decimal_str(cents: int) -> str:
    """``123456`` → ``"1234.56"``: the public JSON form (a string, dot, two decimals)."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    return f"{sign}{units}.{rest:02d}"


def from_decimal_str(text: str) -> int:
    """Inverse of ``to_decimal_str`` (for machine formats only; users go through ``parse_amount``)."""
    d = Decimal(text)
    q = d * 100
    if q != q.to_integral_value():
        raise ValueError(f"more than two decimals: {text!r}")
    return int(q)
