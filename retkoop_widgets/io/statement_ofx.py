"""Bank statements as OFX: 1.x (SGML, ``OFXHEADER:100``) and 2.x (XML, ``<?OFX
OFXHEADER="200"?>``), the « Money / Quicken » download of French online banking.

Why ``ofxtools``: OFX's header, its two syntaxes, its optional SGML end tags, its
character sets and its typed values (``20261108120000[+1:CET]``, ``-63,50``) are what a
maintained parser gets right; we read its element tree and convert each value with its
types. What is ours: the location of every problem (the line of the element), the refusals
in French, strictness where a statement must be exact (an amount in cents, a date that
exists, a file that is complete), and the mapping to ``domain.statement`` records.

Read: the bank statements (``STMTRS``; card statements ``CCSTMTRS`` too) of ONE account;
each ``STMTTRN`` is a line (``DTPOSTED`` the date — as written, before any time zone —,
``TRNAMT`` the signed amount, ``NAME`` and ``MEMO`` the libellé, ``CHECKNUM`` appended as
« chèque n° … » when the libellé does not already name it); ``LEDGERBAL`` is the closing
balance as of its ``DTASOF``. OFX prints no opening balance.
"""
from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree as ET

from ofxtools.header import OFXHeaderError, parse_header
from ofxtools.models.base import Aggregate
from ofxtools.Parser import ParseError, TreeBuilder
from ofxtools.Types import DateTime, OFXSpecError

from ..domain.errors import Location, Problem, ValidationError
from ..domain.statement import Balance, Statement, StatementLine, cheque_numbers
from .text_files import line_of

_STATEMENTS = ("STMTRS", "CCSTMTRS")


class _LocatingBuilder(TreeBuilder):
    """ofxtools' tree builder, remembering where each element starts (ofxtools' elements
    carry no position) and refusing an end tag that closes another aggregate than the one
    open (ofxtools' builder pops whatever is on top)."""

    def __init__(self) -> None:
        super().__init__()
        self.pos = 0
        self.starts: dict[int, int] = {}  # id(element) -> offset in the body
        self.open: list[str] = []
        builder = self
        regex = TreeBuilder.regex

        class _Tracking:  # ofxtools' feed() iterates self.regex.finditer: note each match's offset
            @staticmethod
            def finditer(data: str):
                for m in regex.finditer(data):
                    builder.pos = m.start()
                    yield m

        self.regex = _Tracking()  # type: ignore[assignment]

    def start(self, tag, attrs):  # noqa: D102
        elem = super().start(tag, attrs)
        self.starts[id(elem)] = self.pos
        self.open.append(tag)
        return elem

    def end(self, tag):  # noqa: D102
        if not self.open:
            raise _Broken(f"</{tag}> ferme une balise qui n'est pas ouverte")
        if self.open[-1] != tag:
            raise _Broken(f"</{tag}> ferme <{self.open[-1]}> : une balise de fin manque ou est de trop")
        self.open.pop()
        return super().end(tag)


class _Broken(Exception):
    """A structure problem found by ``_LocatingBuilder``, in French."""


def _refuse(message: str, line: int | None = None, field: str = "fichier") -> ValidationError:
    return ValidationError(Problem(message, field, Location(line) if line else ""))


def _fix_charset(raw: bytes) -> bytes:
    """An OFX 1.x file whose header says Windows-1252 but whose bytes are UTF-8 (some banks
    do that): re-encoded so that « Chèque » is not read « ChÃ¨que »."""
    head = raw[:400].upper()
    if not head.lstrip().startswith(b"OFXHEADER") or b"CHARSET:UTF-8" in head or b"ENCODING:UTF-8" in head:
        return raw
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
    if text.isascii():
        return raw
    return text.encode("cp1252", errors="replace")


def parse_ofx(raw: bytes, source: str = "le relevé") -> Statement:
    """Read an OFX 1.x or 2.x statement (see the module docstring). Every problem is raised
    at once as one ``ValidationError``, each with its line, in French."""
    raw = _fix_charset(raw.lstrip(b"\xef\xbb\xbf"))
    try:
        header, body = parse_header(io.BytesIO(raw))
    except (OFXHeaderError, ValueError, UnicodeDecodeError):
        raise _refuse("en-tête OFX illisible (OFXHEADER, VERSION, CHARSET…) : le fichier est-il complet ?",
                      1) from None
    codec = getattr(header, "codec", "utf-8")
    try:
        text = raw.decode(codec)
    except (LookupError, UnicodeDecodeError):
        text = raw.decode("cp1252", errors="replace")
    # Where the body starts in the file: the header's lines come before it.
    offset_lines = text[:max(0, len(text) - len(body))].count("\n")

    def line(pos: int) -> int:
        return offset_lines + body[:pos].count("\n") + 1

    version = int(getattr(header, "version", 102) or 102)
    fmt = "OFX 2.x" if version >= 200 else "OFX 1.x"
    last = offset_lines + body.count("\n") + 1
    if not re.search(r"</OFX>", body, re.I):
        raise _refuse("fichier OFX incomplet : la balise de fin </OFX> manque (téléchargement interrompu ?)", last)
    builder = _LocatingBuilder()
    try:
        builder.feed(body)
        root = builder.close()
    except _Broken as exc:
        raise _refuse(f"structure OFX invalide : {exc}", line(builder.pos)) from None
    except (ParseError, AssertionError, IndexError):
        raise _refuse("structure OFX invalide : texte ou balise inattendu ici", line(builder.pos)) from None
    if builder.open:
        raise _refuse(f"structure OFX invalide : <{builder.open[-1]}> n'est jamais fermée", last)

    def at(elem: ET.Element) -> int:
        return line(builder.starts.get(id(elem), 0))

    statements = [el for tag in _STATEMENTS for el in root.iter(tag)]
    if not statements:
        raise _refuse(f"{source} est un fichier OFX sans relevé de compte (pas de <STMTRS>) : exportez les "
                      "opérations du compte", 1)
    accounts = {(el.findtext(".//ACCTID") or "").strip() for el in statements}
    if len(accounts) > 1:
        raise _refuse(f"{source} contient les relevés de {len(accounts)} comptes ({', '.join(sorted(accounts))}) : "
                      "exportez le compte de la coopérative seul", at(statements[1]))
    problems: list[Problem] = []
    lines: list[StatementLine] = []
    closings: list[Balance] = []
    for st in statements:
        cur = (st.findtext("CURDEF") or "EUR").strip().upper()
        if cur != "EUR":
            problems.append(Problem(f"relevé en {cur} : le compte d'une coopérative est en euros", "fichier",
                                    Location(at(st))))
            continue
        for trn in st.iter("STMTTRN"):
            got = _transaction(trn, at, problems)
            if got is not None:
                lines.append(got)
        for bal in st.iter("LEDGERBAL"):
            got_bal = _balance(bal, at, problems)
            if got_bal is not None:
                closings.append(got_bal)
    if not lines and not problems and not closings:
        problems.append(Problem(f"{source} ne contient aucune opération", "fichier"))
    if problems:
        problems.sort(key=lambda p: line_of(p.where))
        raise ValidationError(problems)
    closing = max(closings, key=lambda b: (b.day, b.line_no)) if closings else None
    return Statement(tuple(lines), codec, "", 0, opening=None, closing=closing, format=fmt)


def _text(elem: ET.Element, tag: str) -> tuple[str, ET.Element | None]:
    child = elem.find(tag)
    return ((child.text or "").strip() if child is not None else ""), child


def _day(raw: str, what: str, where: str, problems: list[Problem]) -> date | None:
    """The date as written (``20261108``, ``20261108120000[+1:CET]``): its first eight
    digits, once ofxtools has accepted the whole value. A time zone never moves the day."""
    try:
        DateTime().convert(raw)
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
    except (OFXSpecError, ValueError, TypeError):
        problems.append(Problem(f"{what} « {raw} » illisible ou inexistante (attendu AAAAMMJJ, ex. 20261108)",
                                "date", where))
        return None


def _cents(raw: str, what: str, where: str, problems: list[Problem]) -> int | None:
    """Cents of an OFX amount (``-63.50``, ``-63,50``, ``+4.1``); refused when it is not a
    number or has more than two decimals."""
    try:
        value = Decimal(raw.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        problems.append(Problem(f"{what} « {raw} » n'est pas un montant (attendu ex. -63.50)", "montant", where))
        return None
    cents = value * 100
    if not value.is_finite() or cents != cents.to_integral_value():
        problems.append(Problem(f"{what} « {raw} » a plus de deux décimales (les montants sont au centime)",
                                "montant", where))
        return None
    return int(cents)


def _transaction(trn: ET.Element, at, problems: list[Problem]) -> StatementLine | None:
    where = Location(at(trn))
    local: list[Problem] = []
    raw_day, day_el = _text(trn, "DTPOSTED")
    raw_amount, amount_el = _text(trn, "TRNAMT")
    day = cents = None
    if not raw_day:
        local.append(Problem("opération sans date (<DTPOSTED> manque)", "date", where))
    else:
        day = _day(raw_day, "date <DTPOSTED>", Location(at(day_el)), local)
    if not raw_amount:
        local.append(Problem("opération sans montant (<TRNAMT> manque)", "montant", where))
    else:
        cents = _cents(raw_amount, "montant <TRNAMT>", Location(at(amount_el)), local)
        if cents == 0:
            local.append(Problem(f"montant <TRNAMT> « {raw_amount} » nul : une opération du relevé a un montant",
                                 "montant", Location(at(amount_el))))
    if not local:
        try:  # the rest of the element through ofxtools' model (types, required elements)
            Aggregate.from_etree(trn)
        except Exception as exc:  # noqa: BLE001 — ofxtools raises several kinds; each is a refusal here
            local.append(Problem(f"opération OFX invalide : élément obligatoire manquant ou valeur mal formée"
                                 f"{_elements(exc)}", "fichier", where))
    problems.extend(local)
    if local:
        return None
    name, _ = _text(trn, "NAME")
    memo, _ = _text(trn, "MEMO")
    parts = [" ".join(t.split()) for t in (name, memo) if t.strip()]
    libelle = " — ".join(dict.fromkeys(parts))
    checknum, _ = _text(trn, "CHECKNUM")
    number = checknum.lstrip("0")
    if number and number not in cheque_numbers(libelle):
        libelle = f"{libelle} — chèque n° {checknum}" if libelle else f"chèque n° {checknum}"
    return StatementLine(at(trn), day, libelle, cents)


def _balance(bal: ET.Element, at, problems: list[Problem]) -> Balance | None:
    local: list[Problem] = []
    raw_amount, amount_el = _text(bal, "BALAMT")
    raw_day, day_el = _text(bal, "DTASOF")
    where = Location(at(bal))
    if not raw_amount or not raw_day:
        local.append(Problem("solde <LEDGERBAL> incomplet (<BALAMT> et <DTASOF> attendus)", "solde", where))
    else:
        cents = _cents(raw_amount, "solde <BALAMT>", Location(at(amount_el)), local)
        day = _day(raw_day, "date du solde <DTASOF>", Location(at(day_el)), local)
    problems.extend(local)
    if local:
        return None
    return Balance(day, cents, "closing", at(bal))


def _elements(exc: BaseException) -> str:
    """The OFX element names an ofxtools error mentions (``STMTTRN.fitid`` → ``<FITID>``),
    to say where without repeating its English."""
    names = dict.fromkeys(m.upper() for m in re.findall(r"\b[A-Z]{3,}\.([a-z]+)", str(exc)))
    return f" ({', '.join(f'<{n}>' for n in names)})" if names else ""
