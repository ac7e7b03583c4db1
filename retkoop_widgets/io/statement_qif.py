"""Bank statements as QIF (Quicken Interchange Format), still offered by several French
banks beside OFX.

A QIF bank file is a ``!Type:Bank`` (or ``!Type:CCard``, ``!Type:Cash``) line, then records
of one-letter lines ended by ``^``::

    !Type:Bank
    D08/11/2026
    T-63,50
    N4521010
    PCHEQUE 4521010
    MGoûter
    ^

Read: ``D`` the date, ``T`` (or ``U``) the signed amount, ``P`` (payee) and ``M`` (memo)
the libellé, ``N`` the cheque number when it is one (appended as « chèque n° … » when the
libellé does not name it). Other letters (``C`` cleared, ``L`` category, ``A`` address,
splits ``S``/``E``/``$``) are ignored. Dates are French, day first (``08/11/2026``,
``08/11/26``, ``8.11.2026``; ISO too) — the QIF of a French bank, not Quicken US's
``11/08'26``. QIF prints no balances. Strict as the CSV: every problem located by line.
"""
from __future__ import annotations

from ..domain.errors import Location, Problem, ValidationError
from ..domain.money import parse_amount
from ..domain.statement import Statement, StatementLine, cheque_numbers
from .statement_csv import bank_date
from .text_files import Decoded, line_of

_BANK_TYPES = ("bank", "ccard", "cash", "oth a", "oth l")


def parse_qif(decoded: Decoded, source: str = "le relevé") -> Statement:
    """Read a QIF bank statement (see the module docstring); every problem at once, each
    with its line, in French; nothing partial."""
    problems: list[Problem] = []
    lines: list[StatementLine] = []
    record: dict[str, list[str]] = {}
    start = 0
    in_bank = False
    n = 0
    for n, raw in enumerate(decoded.text.splitlines(), start=1):
        text = raw.strip()
        if not text:
            continue
        if text.startswith("!"):
            if record:
                problems.append(Problem("opération non terminée par « ^ » avant « " + text + " »", "fichier",
                                        Location(start)))
                record = {}
            head = text[1:].lower()
            if head.startswith("type:"):
                kind = head[5:].strip()
                in_bank = kind in _BANK_TYPES
                if not in_bank:
                    problems.append(Problem(f"section « {text} » : un relevé bancaire QIF est de type !Type:Bank",
                                            "fichier", Location(n)))
            continue  # !Option:…, !Account, !Clear:…: nothing to read
        if text == "^":
            if record and in_bank:
                got = _record(record, start, problems)
                if got is not None:
                    lines.append(got)
            record = {}
            continue
        if not record:
            start = n
        record.setdefault(text[0].upper(), []).append(text[1:].strip())
    if record:
        problems.append(Problem("dernière opération non terminée par « ^ » : le fichier est-il complet ?", "fichier",
                                Location(start)))
    if not lines and not problems:
        problems.append(Problem(f"{source} ne contient aucune opération", "fichier"))
    if problems:
        problems.sort(key=lambda p: line_of(p.where))
        raise ValidationError(problems)
    return Statement(tuple(lines), decoded.encoding, "", 0, format="QIF")


def _record(record: dict[str, list[str]], start: int, problems: list[Problem]) -> StatementLine | None:
    where = Location(start)
    local: list[Problem] = []
    raw_day = (record.get("D") or [""])[0]
    raw_amount = (record.get("T") or record.get("U") or [""])[0]
    day = cents = None
    if not raw_day:
        local.append(Problem("opération sans date (ligne « D » attendue)", "date", where))
    else:
        day = bank_date(raw_day.replace("'", "/").replace(" ", ""))
        if day is None:
            local.append(Problem(f"date « {raw_day} » illisible ou inexistante (attendu jj/mm/aaaa, ex. 08/11/2026)",
                                 "date", where))
    if not raw_amount:
        local.append(Problem("opération sans montant (ligne « T » attendue)", "montant", where))
    else:
        try:
            cents = parse_amount(raw_amount, "montant", allow_negative=True, allow_zero=True)
        except ValidationError as err:
            local.extend(p.located(where) for p in err.problems)
        if cents == 0:
            local.append(Problem(f"montant « {raw_amount} » nul : une opération du relevé a un montant",
                                 "montant", where))
            cents = None
    problems.extend(local)
    if local:
        return None
    parts = [" ".join(t.split()) for key in ("P", "M") for t in record.get(key, ()) if t.strip()]
    libelle = " — ".join(dict.fromkeys(parts))
    number = (record.get("N") or [""])[0]
    if number.isdigit() and number.lstrip("0") and number.lstrip("0") not in cheque_numbers(libelle):
        libelle = f"{libelle} — chèque n° {number}" if libelle else f"chèque n° {number}"
    return StatementLine(start, day, libelle, cents)
