"""Bank statements as CFONB 120: the French banks' fixed-width « relevé de compte sur
support informatique » (Comité français d'organisation et de normalisation bancaires),
which banks give associations through EBICS or their business online banking.

Records of 120 characters, one per line (some files have no line breaks: the records
follow each other), the record code in columns 1–2:

* ``01`` ancien solde — the balance before the statement's first operation;
* ``04`` mouvement — one operation;
* ``05`` complément — more libellé for the ``04`` above it (any number of them);
* ``07`` nouveau solde — the balance after the last operation.

Columns used (1-based, inclusive), the same in every record: 3–7 bank code, 12–16 branch,
17–19 currency (``EUR``), 20 number of decimals of the amounts, 22–32 account number,
35–40 date (JJMMAA: the balance's date in 01/07, the operation's in 04), 91–104 amount.
In a ``04``: 33–34 interbank operation code (``01`` a cheque paid), 49–79 libellé,
105–120 reference. In a ``05``: 46–48 qualifier, 49–118 the complement.

The amount is 14 characters, digits whose *last* character carries the sign and the last
digit: ``{`` ``A``–``I`` = +0 … +9, ``}`` ``J``–``R`` = −0 … −9 (``0000000000635}``
with 2 decimals is −63,50 €; ``0000000000041B`` is +4,12 €).

Checked, beyond each record's form: every ``04``/``05`` sits between a ``01`` and its
``07`` of the same account; a file holds one account; and ancien solde + movements =
nouveau solde for each statement — a file cut short or a line lost is refused.
"""
from __future__ import annotations

import re
from datetime import date

from ..domain.errors import Location, Problem, ValidationError
from ..domain.money import format_eur
from ..domain.statement import Balance, Statement, StatementLine, cheque_numbers
from .text_files import Decoded, line_of

WIDTH = 120
_SIGNS = {**{c: (1, d) for d, c in enumerate("{ABCDEFGHI")}, **{c: (-1, d) for d, c in enumerate("}JKLMNOPQR")}}
_CODES = {"01": "ancien solde", "04": "mouvement", "05": "complément", "07": "nouveau solde"}
#: Qualifiers of a 05 whose text is libellé (others — amounts, rates, codes — are not).
_TEXT_QUALIFIERS = {"LIB", "LCC", "LC2", "LCS", "NPY", "NBE", "NPO", "NBU", "RCN", "REF", "MMO", ""}


def records(text: str) -> list[tuple[int, str]]:
    """The records with their line numbers: one per line, or cut every 120 characters in
    a file without line breaks (its "line" is then the record's rank)."""
    rows = text.splitlines()
    if len(rows) == 1 and len(rows[0]) > WIDTH and len(rows[0]) % WIDTH == 0:
        one = rows[0]
        return [(i + 1, one[i * WIDTH:(i + 1) * WIDTH]) for i in range(len(one) // WIDTH)]
    return [(n, r) for n, r in enumerate(rows, start=1) if r.strip()]


def amount(field: str, decimals: int) -> int:
    """Signed cents of a 14-character CFONB amount; ``ValueError`` when it is not one."""
    field = field.strip()
    if len(field) < 2 or not field[:-1].isdigit() or field[-1] not in _SIGNS:
        raise ValueError(field)
    sign, last = _SIGNS[field[-1]]
    units = int(field[:-1]) * 10 + last
    if decimals > 2:
        scale = 10 ** (decimals - 2)
        if units % scale:
            raise ValueError(field)
        return sign * (units // scale)
    return sign * units * 10 ** (2 - decimals)


def _date(field: str) -> date:
    if not re.fullmatch(r"\d{6}", field):
        raise ValueError(field)
    return date(2000 + int(field[4:6]), int(field[2:4]), int(field[0:2]))


def parse_cfonb(decoded: Decoded, source: str = "le relevé") -> Statement:
    """Read a CFONB 120 statement (see the module docstring); every problem at once, each
    with its line, in French; nothing partial."""
    problems: list[Problem] = []
    lines: list[list] = []  # [line_no, date, libellé, cents]
    opening: Balance | None = None
    closing: Balance | None = None
    account = ""
    current: Balance | None = None  # the 01 of the statement being read
    moved = 0  # sum of its movements
    seen = 0  # problems when it opened: more since, and its sum cannot be checked
    last_movement_ok = False
    orphan = False  # a record outside a statement was reported: not the ones after it too
    for n, rec in records(decoded.text):
        where = Location(n)
        rec = rec.rstrip("\r\n")
        if len(rec) > WIDTH:
            problems.append(Problem(f"enregistrement de {len(rec)} caractères : le format CFONB en a {WIDTH}",
                                    "fichier", where))
            continue
        rec = rec.ljust(WIDTH)  # trailing blanks lost by an editor or a transfer
        code = rec[0:2]
        if code not in _CODES:
            problems.append(Problem(f"code d'enregistrement « {code} » inconnu (attendu 01, 04, 05 ou 07)",
                                    "fichier", where))
            continue
        acct = f"{rec[2:7]} {rec[11:16]} {rec[21:32].strip()}"
        if account and acct != account and code in ("01", "04"):
            problems.append(Problem(f"autre compte ({acct}) que celui du début du fichier ({account}) : exportez "
                                    "le compte de la coopérative seul", "fichier", where))
            continue
        account = account or acct
        if code == "05":
            if not last_movement_ok:
                if current is None and not orphan:
                    orphan = True
                    problems.append(Problem("complément (05) hors d'un relevé : il manque l'ancien solde (01) "
                                            "avant", "fichier", where))
                continue  # the complement of a refused or missing movement: nothing more to say
            qualifier = rec[45:48].strip().upper()
            extra = " ".join(rec[48:118].split())
            if extra and qualifier in _TEXT_QUALIFIERS:
                lines[-1][2] = f"{lines[-1][2]} {extra}".strip()
            continue
        last_movement_ok = False
        currency = rec[16:19]
        if currency.strip() and currency != "EUR":
            problems.append(Problem(f"montants en « {currency} » : le compte d'une coopérative est en euros (EUR)",
                                    "montant", where))
            continue
        try:
            decimals = int(rec[19])
        except ValueError:
            problems.append(Problem(f"nombre de décimales « {rec[19]} » illisible (colonne 20)", "montant", where))
            continue
        local: list[Problem] = []
        try:
            day = _date(rec[34:40])
        except ValueError:
            day = None
            local.append(Problem(f"date « {rec[34:40]} » illisible ou inexistante (colonnes 35–40, attendu "
                                 "JJMMAA)", "date", where))
        try:
            cents = amount(rec[90:104], decimals)
        except ValueError:
            cents = None
            local.append(Problem(f"montant « {rec[90:104].strip()} » illisible (colonnes 91–104 : chiffres, le "
                                 "dernier caractère portant le signe, ex. 0000000000635})", "montant", where))
        problems.extend(local)
        if code == "01":
            if current is not None:
                problems.append(Problem("ancien solde (01) alors que le relevé précédent n'est pas terminé par un "
                                        "nouveau solde (07)", "fichier", where))
            current, moved = (Balance(day, cents, "opening", n) if not local else Balance(date.min, 0, "opening", n)), 0
            seen, orphan = len(problems), False
            if opening is None and not local:
                opening = current
            continue
        if current is None:
            if not orphan:
                orphan = True
                problems.append(Problem(f"{_CODES[code]} ({code}) hors d'un relevé : il manque l'ancien solde (01) "
                                        "avant", "fichier", where))
            continue
        if code == "04":
            if local:
                continue
            if cents == 0:
                problems.append(Problem("montant nul : une opération du relevé a un montant", "montant", where))
                continue
            libelle = " ".join(rec[48:79].split())
            reference = rec[104:120].strip()
            if rec[32:34] == "01" and reference.isdigit() and reference.lstrip("0") \
                    and not cheque_numbers(libelle):
                libelle = f"{libelle} — chèque n° {reference.lstrip('0')}" if libelle else \
                    f"chèque n° {reference.lstrip('0')}"
            lines.append([n, day, libelle, cents])
            moved += cents
            last_movement_ok = True
            continue
        # code == "07": the statement ends
        if not local:
            if len(problems) == seen and current.cents + moved != cents:
                problems.append(Problem(
                    f"nouveau solde {format_eur(cents)} ≠ ancien solde {format_eur(current.cents)} "
                    f"(ligne {current.line_no}) + mouvements {format_eur(moved, plus=True)} = "
                    f"{format_eur(current.cents + moved)} : une opération manque ou est de trop", "montant", where))
            closing = Balance(day, cents, "closing", n)
        current = None
    if current is not None:
        problems.append(Problem("relevé incomplet : pas de nouveau solde (07) après l'ancien solde : le fichier "
                                "est-il complet ?", "fichier", Location(current.line_no)))
    if not lines and not problems and opening is None:
        problems.append(Problem(f"{source} ne contient aucun relevé (enregistrement 01)", "fichier"))
    if problems:
        problems.sort(key=lambda p: line_of(p.where))
        raise ValidationError(problems)
    return Statement(tuple(StatementLine(n, d, lib, c) for n, d, lib, c in lines), decoded.encoding, "", 0,
                     opening=opening, closing=closing, format="CFONB 120")
