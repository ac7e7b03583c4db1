"""Bank statements (relevés) exported as CSV by online banking, and their matching
against the cahier's unpointed bank lines.

Why this exists: the incumbent tool has no statement import and no automatic matching,
so a mandataire ticks a year of bank lines one by one. Here the file the bank gives is
read, each of its lines is paired with the cahier line it most likely is, and the
mandataire only reviews the proposal before one atomic ``Books.point``.

Why liberal in form and strict in amounts: every French bank exports a slightly
different CSV (separator, encoding, preamble lines with the account number and the
period, ``Montant`` or ``Débit``/``Crédit``, newest line first or last), and none of
that is the teacher's fault, so every such form is read. An amount, though, is never
guessed: a cell that is not exactly a French amount is a refusal with its line number,
and matching only ever pairs *equal* amounts.

Pure Python: no SQLAlchemy, no ipywidgets, no I/O. Entries are taken by duck typing
(``.id``, ``.piece``, ``.date``, ``.libelle``, ``.bank`` in signed cents, ``.cheque``),
so ``domain.entry.Entry`` works and so do light test doubles.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, Iterable, Sequence

from .chart import fold
from .errors import Problem, ValidationError
from .money import format_eur, parse_amount
from .numbering import sort_key

# -- limits and windows ------------------------------------------------------------------
#: A coop's statement is a few hundred lines; beyond this the file is not a statement.
MAX_CHARS = 5_000_000
#: Preamble rows looked through for the header (account number, period, balances…).
MAX_PREAMBLE = 60
#: A statement line may be dated this many days *before* its cahier line (a date typed a
#: little late in the cahier) …
EARLY_DAYS = 3
#: … and this many days after it (a cheque cashed weeks later, a deposit credited late).
LATE_DAYS = 90
#: A French cheque may be cashed for one year and eight days: a cheque-number match may
#: be that late.
CHEQUE_LATE_DAYS = 373

REASON_CHEQUE = "chèque n° {}"
REASON_CLOSE = "même montant, date proche"
#: A pair with a line of the previous exercice still unpointed at its end (a cheque of
#: late August cashed in September): point it, enter nothing.
REASON_EARLIER = "pièce {piece} de l'exercice {name}, non pointée au {end:%d/%m} ({why})"
#: The same when the previous exercice no longer accepts writes (submitted, closed): it
#: cannot be pointed any more, and above all must not be entered again.
REASON_EARLIER_LOCKED = "déjà au cahier de {name} ({state}) : rien à saisir, rien à pointer ici ({why})"
HINT_DEBIT = "à saisir dans le cahier ? (frais bancaires, prélèvement…)"
HINT_CREDIT = "à saisir dans le cahier ? (virement reçu, intérêts…)"
HINT_NEXT = "opération de l'exercice suivant ({name}) : à saisir dans cet exercice-là"
HINT_PREVIOUS = ("opération de l'exercice précédent ({name}) : à saisir dans cet exercice-là s'il y manque, "
                 "pas dans celui-ci")


# -- records -----------------------------------------------------------------------------
@dataclass(frozen=True)
class StatementLine:
    """One operation of the statement. ``amount_cents`` is signed from the bank's point of
    view of the coop's money: + a credit (money into the bank), − a debit."""

    line_no: int
    date: date
    libelle: str
    amount_cents: int


@dataclass(frozen=True)
class Statement:
    """A parsed statement: its lines in file order and how the file was read."""

    lines: tuple[StatementLine, ...]
    encoding: str = "utf-8"
    delimiter: str = ";"
    header_line: int = 1

    @property
    def credits(self) -> int:
        return sum(ln.amount_cents for ln in self.lines if ln.amount_cents > 0)

    @property
    def debits(self) -> int:
        """Total of the debits, as a positive number of cents."""
        return -sum(ln.amount_cents for ln in self.lines if ln.amount_cents < 0)

    @property
    def first_date(self) -> date | None:
        return min((ln.date for ln in self.lines), default=None)

    @property
    def last_date(self) -> date | None:
        """The latest date of the statement (banks list newest first or last)."""
        return max((ln.date for ln in self.lines), default=None)


# -- parsing -----------------------------------------------------------------------------
_DELIMITERS = (";", "\t", ",")
_DELIMITER_NAMES = {";": "point-virgule", "\t": "tabulation", ",": "virgule"}
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?$")
_LIBELLE_KEYS = {"detail", "details", "description", "intitule", "operation", "operations",
                 "natureoperation", "naturedeloperation", "nature", "designation", "typeoperation",
                 "informationscomplementaires", "infos", "reference", "referenceoperation"}
_VALUE_DATE_KEYS = {"valeur", "datevaleur", "datedevaleur"}
_SKIP_ROW = ("solde", "total", "ancien solde", "nouveau solde", "sous total", "report")


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(header.replace("\ufeff", "")))


def _role(header: str) -> str | None:
    """What a header cell names: ``date``, ``value_date``, ``libelle``, ``amount``,
    ``debit``, ``credit`` or nothing we read (Solde, Catégorie, Référence…)."""
    k = _key(header)
    if not k:
        return None
    if k in _VALUE_DATE_KEYS or (k.startswith("date") and "valeur" in k):
        return "value_date"
    if k.startswith("date") and len(k) <= 32:
        return "date"
    if k.startswith("montant"):
        if "franc" in k:
            return None  # the old francs column of some exports: never read
        if "debit" in k:
            return "debit"
        if "credit" in k:
            return "credit"
        return "amount"
    if k.startswith("debit"):
        return "debit"
    if k.startswith("credit"):
        return "credit"
    if k.startswith("libelle") or k in _LIBELLE_KEYS or k.startswith("detail"):
        return "libelle"
    return None


@dataclass
class _Columns:
    date: int | None = None
    value_date: int | None = None
    libelle: tuple[int, ...] = ()
    amount: int | None = None
    debit: int | None = None
    credit: int | None = None
    width: int = 0

    @property
    def day(self) -> int | None:
        """The operation date when there is one: the cahier is kept by operation date."""
        return self.date if self.date is not None else self.value_date


def _columns(cells: list[str]) -> tuple[_Columns, list[str]] | None:
    """The header's columns if ``cells`` is a header row (a date column plus a libellé or
    an amount column), with the complaints about it; ``None`` when it is not a header."""
    cols = _Columns(width=len(cells))
    labels: list[int] = []
    dup: list[str] = []
    for i, raw in enumerate(cells):
        role = _role(raw)
        if role is None:
            continue
        if role == "libelle":
            labels.append(i)
        elif getattr(cols, role) is None:
            setattr(cols, role, i)
        elif role == "amount":
            dup.append(f"deux colonnes Montant (colonnes {cols.amount + 1} et {i + 1}) : laquelle lire ?")
        elif role in ("debit", "credit"):
            dup.append(f"deux colonnes {'Débit' if role == 'debit' else 'Crédit'} "
                       f"(colonnes {getattr(cols, role) + 1} et {i + 1}) : laquelle lire ?")
        # a second date column of the same kind is ignored: the first one is read
    cols.libelle = tuple(labels)
    if cols.day is None or not (labels or cols.amount is not None or cols.debit is not None
                                or cols.credit is not None):
        return None
    problems = list(dup)
    if not labels:
        problems.append("pas de colonne Libellé (attendu « Libellé », « Libellé opération », « Détail »…)")
    if cols.amount is None:
        if cols.debit is None and cols.credit is None:
            problems.append("pas de colonne de montant : attendu « Montant », ou « Débit » et « Crédit »")
        elif cols.debit is None:
            problems.append("une colonne Crédit mais pas de colonne Débit")
        elif cols.credit is None:
            problems.append("une colonne Débit mais pas de colonne Crédit")
    return cols, problems


def _decode(data: bytes | bytearray | memoryview | str) -> tuple[str, str]:
    """Text and the name of its encoding. UTF-8 (with or without BOM) first, then
    Windows-1252, which most banks still export."""
    if isinstance(data, str):
        return (data[1:] if data.startswith("\ufeff") else data), "texte"
    raw = bytes(data)
    if raw.startswith(b"PK\x03\x04"):
        raise ValidationError(Problem("ce fichier est un classeur (Excel, LibreOffice) : exportez le relevé "
                                      "au format CSV depuis votre banque en ligne", "fichier"))
    if raw.startswith(b"%PDF"):
        raise ValidationError(Problem("ce fichier est un PDF : il faut l'export CSV du relevé (banque en "
                                      "ligne, « télécharger les opérations » au format CSV)", "fichier"))
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ValidationError(Problem("le fichier n'est ni en UTF-8 ni en Windows-1252 (caractère illisible) : "
                                      "est-ce bien l'export CSV du relevé ?", "fichier", f"ligne {line}")) from None


def _rows(text: str, delimiter: str) -> tuple[list[tuple[int, list[str]]], Problem | None]:
    """Every row with the number of the line where it starts (a quoted libellé may span
    lines), and the first unreadable row if any."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    rows: list[tuple[int, list[str]]] = []
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return rows, None
        except csv.Error as exc:
            return rows, Problem(f"ligne illisible ({exc}) : un guillemet n'est pas fermé ?", "fichier",
                                 f"ligne {start}")
        rows.append((start, cells))
        start = reader.line_num + 1


def _find_header(rows: list[tuple[int, list[str]]]):
    for idx, (_lineno, cells) in enumerate(rows[:MAX_PREAMBLE]):
        found = _columns(cells)
        if found is not None:
            return idx, found
    return None


def _score(cols: _Columns) -> int:
    return sum(x is not None for x in (cols.date, cols.value_date, cols.amount, cols.debit, cols.credit)) \
        + len(cols.libelle)


def parse_date(text: str) -> date:
    """``08/07/2026``, ``8/7/2026``, ``08-07-2026``, ``08.07.2026``, ``08/07/26`` (20xx) and
    ISO ``2026-07-08`` (a time after it is ignored); ``ValueError`` otherwise."""
    s = text.strip()
    m = _DMY.match(s)
    if m:
        d, mth, y = int(m.group(1)), int(m.group(2)), m.group(3)
        year = 2000 + int(y) if len(y) == 2 else int(y)
        return date(year, mth, d)
    m = _ISO.match(s)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    raise ValueError(s)


def parse_statement(data: bytes | bytearray | memoryview | str, source: str = "le relevé") -> Statement:
    """Read a bank statement CSV into ``StatementLine`` records.

    Accepted: ``;``, tab or ``,`` separator (the one under which a header row is found);
    UTF-8 with or without BOM, else Windows-1252 (UTF-16 with a BOM too); any number of
    preamble rows (account number, period, balances) before the header row, which is the
    first row naming a date column and a libellé or amount column; columns found by name,
    accents and case optional, in any order, others ignored (Solde, Catégorie…):

    * date: ``Date``, ``Date opération``…; ``Date de valeur`` is read only when there is
      no operation date (the cahier is kept by the date of the operation);
    * libellé: ``Libellé``, ``Libellé opération``, ``Détail``, ``Description``… — several
      such columns are joined with `` — `` (a cheque number may sit in any of them);
    * amount: ``Montant`` (signed), or ``Débit`` and ``Crédit`` (a debit written with or
      without its minus sign; an empty or zero cell is "nothing in this column").

    Rows whose first cell starts with Solde / Total / Report (balance and total lines), the
    header row repeated, and blank rows are skipped; a row with a libellé only (no date, no amount) continues the
    libellé of the operation above it. Every other problem — a date or an amount that is
    not one, a zero amount, a row with more cells than the header — is collected, located
    (``ligne 12``), and raised at once as one ``ValidationError``; nothing partial returns.
    """
    text, encoding = _decode(data)
    if len(text) > MAX_CHARS:
        raise ValidationError(Problem(f"{source} est trop gros ({len(text) // 1_000_000} millions de caractères) "
                                      "pour un relevé de coopérative : est-ce le bon fichier ?", "fichier"))
    if not text.strip():
        raise ValidationError(Problem(f"{source} est vide", "fichier"))
    best = None
    for delim in _DELIMITERS:
        rows, err = _rows(text, delim)
        found = _find_header(rows)
        if found is None:
            continue
        idx, (cols, header_problems) = found
        candidate = (_score(cols), -_DELIMITERS.index(delim))
        if best is None or candidate > best[0]:
            best = (candidate, delim, rows, err, idx, cols, header_problems)
    if best is None:
        raise ValidationError(Problem(
            f"aucune ligne d'en-tête trouvée dans {source} : il faut une ligne de titres avec une colonne "
            "Date, une colonne Libellé et une colonne Montant (ou Débit et Crédit), par exemple "
            "« Date;Libellé;Montant »", "en-tête"))
    _, delim, rows, err, idx, cols, header_problems = best
    header_line = rows[idx][0]
    where = f"ligne {header_line} (en-tête)"
    problems = [Problem(p, "en-tête", where) for p in header_problems]
    if problems:
        raise ValidationError(problems)
    lines: list[list[Any]] = []  # [line_no, date, libellé, cents], made immutable at the end
    last_ok = False  # whether the row above was an operation read without problem
    for lineno, cells in rows[idx + 1:]:
        if any(c.strip() for c in cells):
            last_ok = _read_row(lineno, cells, cols, delim, lines, problems, last_ok)
    if err is not None:
        problems.append(err)
    if not lines and not problems:
        problems.append(Problem(f"aucune opération après la ligne d'en-tête (ligne {header_line})", "fichier"))
    if problems:
        problems.sort(key=lambda p: _line_of(p.where))
        raise ValidationError(problems)
    return Statement(tuple(StatementLine(n, d, lib, c) for n, d, lib, c in lines), encoding, delim, header_line)


def _line_of(where: str) -> int:
    m = re.match(r"ligne (\d+)", where)
    return int(m.group(1)) if m else 0


def _read_row(lineno: int, cells: list[str], cols: _Columns, delim: str, lines: list[list[Any]],
              problems: list[Problem], last_ok: bool) -> bool:
    """Read one non-blank row; True when it added an operation (or continued one)."""
    def cell(i: int | None) -> str:
        return cells[i].strip() if i is not None and i < len(cells) else ""

    where = f"ligne {lineno}"
    raw_day = cell(cols.day)
    texts: list[str] = []
    for i in cols.libelle:
        t = " ".join(cell(i).split())
        if t and t not in texts:
            texts.append(t)
    libelle = " — ".join(texts)
    money = [cell(i) for i in (cols.amount, cols.debit, cols.credit) if i is not None]
    first = next((c.strip() for c in cells if c.strip()), "")
    if not raw_day and not any(money):
        # Text only: the libellé of the operation above, continued (or a title row, or the
        # tail of a row already refused — nothing to read in it either way).
        if libelle and last_ok:
            lines[-1][2] = f"{lines[-1][2]} {libelle}".strip()
        return last_ok
    if not _looks_like_date(raw_day) and (_is_skip(first) or _columns(cells) is not None):
        return False  # a balance or total row, or the header repeated (one per page in some exports)
    local: list[Problem] = []
    if len(cells) > cols.width and any(c.strip() for c in cells[cols.width:]):
        hint = (" : une virgule décimale dans un fichier séparé par des virgules ? (mettez les montants "
                "entre guillemets)" if delim == "," else " : un séparateur de trop dans un libellé ?")
        local.append(Problem(f"{len(cells)} cellules pour {cols.width} colonnes d'en-tête{hint}", "fichier", where))
    day = None
    if not raw_day:
        local.append(Problem("la date est vide (attendu jj/mm/aaaa)", "date", where))
    else:
        try:
            day = parse_date(raw_day)
        except ValueError:
            local.append(Problem(f"date « {raw_day} » illisible ou inexistante (attendu jj/mm/aaaa, "
                                 "ex. 08/07/2026)", "date", where))
    cents = _amount(cols, cell, where, local)
    problems.extend(local)
    if not local and day is not None and cents is not None:
        lines.append([lineno, day, libelle, cents])
        return True
    return False


def _is_skip(first_cell: str) -> bool:
    f = " ".join(re.sub(r"[^a-z0-9 ]", " ", fold(first_cell)).split())
    return any(f.startswith(w) for w in _SKIP_ROW)


def _looks_like_date(text: str) -> bool:
    try:
        parse_date(text)
        return True
    except ValueError:
        return False


def _amount(cols: _Columns, cell, where: str, local: list[Problem]) -> int | None:
    def read(raw: str, label: str) -> int | None:
        try:
            return parse_amount(raw, label, allow_empty=True, allow_zero=True, allow_negative=True)
        except ValidationError as err:
            local.extend(p.located(where) for p in err.problems)
            return None

    if cols.amount is not None:
        raw = cell(cols.amount)
        if not raw:
            local.append(Problem("le montant est vide", "montant", where))
            return None
        cents = read(raw, "montant")
        if cents == 0:
            local.append(Problem(f"montant « {raw} » nul : une opération du relevé a un montant", "montant", where))
            return None
        return cents
    raw_d, raw_c = cell(cols.debit), cell(cols.credit)
    debit = read(raw_d, "débit") if raw_d else 0
    credit = read(raw_c, "crédit") if raw_c else 0
    if debit is None or credit is None:
        return None
    if credit < 0:
        local.append(Problem(f"Crédit « {raw_c} » négatif : une sortie d'argent va dans la colonne Débit",
                             "montant", where))
        return None
    if debit and credit:
        local.append(Problem(f"débit ({raw_d}) et crédit ({raw_c}) remplis sur la même ligne : "
                             "une opération est l'un ou l'autre", "montant", where))
        return None
    if not debit and not credit:
        local.append(Problem("ni débit ni crédit sur cette ligne", "montant", where))
        return None
    return credit if credit else -abs(debit)


# -- matching ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Pair:
    """A statement line and the cahier line proposed for it. ``days`` is the statement
    date minus the cahier date (a cheque cashed 5 days after it was written: 5).
    ``exercice`` is empty for a line of the exercice worked in, else the name of the
    (previous) exercice the cahier line belongs to."""

    line: StatementLine
    entry: Any
    reason: str
    days: int
    exercice: str = ""


@dataclass(frozen=True)
class Unmatched:
    """A statement line with no cahier line, and a French hint of what to do."""

    line: StatementLine
    hint: str


@dataclass(frozen=True)
class Matching:
    """The proposal, for the mandataire to review before anything is pointed.

    Every statement line is in exactly one of ``pairs``, ``earlier_pairs``, ``already``,
    ``unmatched`` and ``ignored``; every unpointed entry given is in exactly one of
    ``pairs`` (its ``entry``) and ``remaining``, and every unpointed entry of the previous
    exercice in exactly one of ``earlier_pairs`` and ``earlier_remaining``.
    ``earlier_exercice`` names that previous exercice (``2025-2026``; empty when none was
    given);
    ``earlier_locked`` says it accepts no writes any more, so its pairs are for
    information only ("rien à saisir, rien à pointer ici"). ``credits``/``debits``
    (positive cents) and the dates are the whole statement's, ignored lines included."""

    pairs: tuple[Pair, ...]
    unmatched: tuple[Unmatched, ...]
    ignored: tuple[StatementLine, ...]
    remaining: tuple[Any, ...]
    already: tuple[Pair, ...] = ()
    credits: int = 0
    debits: int = 0
    first_date: date | None = None
    last_date: date | None = None
    earlier_pairs: tuple[Pair, ...] = ()
    earlier_remaining: tuple[Any, ...] = ()
    earlier_exercice: str = ""
    earlier_locked: bool = False

    @property
    def line_count(self) -> int:
        return (len(self.pairs) + len(self.earlier_pairs) + len(self.already) + len(self.unmatched)
                + len(self.ignored))

    @property
    def pointable(self) -> tuple[Pair, ...]:
        """The pairs the mandataire may tick: this exercice's, then the previous one's
        when it still accepts writes."""
        return self.pairs + (() if self.earlier_locked else self.earlier_pairs)


_CHEQUE = re.compile(r"\b(?:cheque|chq|ch)\b\.?\s*(?:emis\s+|paye\s+)?"
                     r"(?:(?:n|no|num|numero)\b\s*[°o.:]?\s*|n°\s*|#\s*)?(\d{3,12})\b")


def fold_text(text: str) -> str:
    """Lower case, no accents, spaces collapsed: how libellés and patterns compare."""
    return " ".join(fold(text or "").split())


def cheque_numbers(libelle: str) -> frozenset[str]:
    """Cheque numbers written in a statement libellé (``CHQ 4521001``, ``CHEQUE N° 0004521001``,
    ``Chèque n°4521001``), without leading zeros. A *remise* (deposit) of cheques carries a
    slip number, not a cheque number: none is read from it."""
    f = fold_text(libelle)
    if "remise" in f:
        return frozenset()
    return frozenset(_norm_cheque(m.group(1)) for m in _CHEQUE.finditer(f)) - {""}


def _norm_cheque(text: str | None) -> str:
    digits = re.sub(r"\D", "", text or "")
    return digits.lstrip("0")


def match(lines: Sequence[StatementLine], unpointed: Iterable[Any], *, ignore: Iterable[str] = (),
          pointed: Iterable[Any] = (), exercice: Any = None, earlier: Iterable[Any] = (),
          earlier_pointed: Iterable[Any] = (), previous: Any = None) -> Matching:
    """Propose, for each statement line, the unpointed cahier bank line it is.

    ``unpointed``/``pointed``: the bank lines of the exercice worked in. ``exercice``
    (anything with ``.name``, ``.start``, ``.end``, e.g. ``domain.exercice.Exercice``)
    places the statement's lines in time; ``earlier``/``earlier_pointed``: the bank lines
    of the previous exercice, ``previous`` that exercice (``.name``, ``.end``,
    ``.writable``, ``.state``). Why the previous year at all: an exercice ends on 31
    August, but a cheque written on 25 August is cashed in September and shows on a
    statement imported while working in the next exercice — it must be recognised as
    already in last year's cahier, or it gets entered twice.

    Rules, in order — the mandataire reviews every proposal, so a rule must be one a
    person would apply and explain:

    1. **Ignored lines.** A line whose libellé contains one of ``ignore`` (substring,
       case and accents ignored, blank patterns skipped) is set aside: the automatic sweep
       lines between a postal-bank account and the AD's account ("VIREMENT AUTOMATIQUE
       OCCE"), which are not the coop's operations.
    2. **Exact amounts only.** A line and an entry can pair only if the statement amount
       equals the entry's bank movement to the cent, sign included. Never approximately:
       a 63,50 € line is not a 63,05 € cheque.
    3. **Cheque number wins.** A cheque number read from the libellé (``CHQ 4521001``,
       ``CHEQUE N° 4521001``; see ``cheque_numbers``) equal to an entry's cheque number
       (leading zeros ignored), with the same amount, pairs them — if the statement date
       is not more than 3 days before the cahier date nor more than a year and 8 days
       after it (how long a French cheque stays valid). Reason: ``chèque n° …``.
    4. **Otherwise the closest date.** Among the entries with the same amount whose date
       is at most 3 days after and at most 90 days before the statement line's, the one
       whose date is closest. A line that names a cheque number never pairs with an entry
       that carries a *different* cheque number. Reason: ``même montant, date proche``.
    5. **One-to-one, deterministic.** An entry pairs with at most one line and a line with
       at most one entry. Pairs are made closest first (ties: pièce in natural order, then
       entry id, then statement date and line number); then, if a line is left alone while
       a re-pairing would give every line involved an entry within the rules, that
       re-pairing is made (augmenting paths), so the proposal pairs as many lines as the
       rules allow. The result does not depend on the order of the inputs.
    6. **The previous exercice's unpointed lines, after.** Lines left over by rules 2–5
       are matched, by the same rules 2–5, against ``earlier`` (the previous exercice's
       unpointed bank lines) and listed in ``earlier_pairs`` with the exercice in the
       reason (``pièce 045 de l'exercice 2025-2026, non pointée au 31/08 (chèque n° …)``).
       Only after: a line of the exercice worked in is never taken away by last year's,
       and adding ``earlier`` never changes ``pairs``. When ``previous`` is not writable
       (submitted, closed) these pairs cannot be pointed any more: the reason says
       ``déjà au cahier de 2025-2026 (soumis) : rien à saisir, rien à pointer ici`` and
       ``earlier_locked`` is set.
    7. **Already pointed.** Lines left over are matched, by the same rules, against
       ``pointed`` (the entries already ticked: a statement overlapping the previous one),
       then against ``earlier_pointed`` (last year's ticked lines: a statement straddling
       31 August), and listed in ``already`` — nothing to do, and above all nothing to
       enter again.
    8. **The rest.** Lines still alone are ``unmatched``, each with a hint, the first that
       applies: a cheque whose number is in the cahier (either exercice) with another
       amount; an unpaired entry of the same amount (either exercice) carrying another
       cheque number, or too far in time; a sweep line to ignore; when ``exercice`` is
       given, a line dated after its end (``opération de l'exercice suivant (2026-2027) :
       à saisir dans cet exercice-là``) or before its start (``exercice précédent``);
       else "à saisir dans le cahier ?". Unpointed entries not paired are ``remaining``
       (and ``earlier_remaining``), in cahier order: the reconciliation table's
       candidates.
    """
    unpointed = [e for e in unpointed if e.bank]
    pointed = [e for e in pointed if e.bank]
    earlier = [e for e in earlier if e.bank]
    earlier_pointed = [e for e in earlier_pointed if e.bank]
    prev_name = previous.name if previous is not None else _previous_name(exercice)
    locked = previous is not None and not previous.writable
    patterns = [p for p in (fold_text(x) for x in ignore) if p]
    kept: list[StatementLine] = []
    ignored: list[StatementLine] = []
    for ln in lines:
        (ignored if patterns and any(p in fold_text(ln.libelle) for p in patterns) else kept).append(ln)
    pairs, left = _assign(kept, unpointed)
    earlier_pairs, left = _assign(left, earlier)
    prev_end = previous.end if previous is not None else (
        exercice.start - timedelta(days=1) if exercice is not None else None)
    earlier_pairs = [replace(p, exercice=prev_name or "précédent",
                             reason=_earlier_reason(p, prev_name, prev_end, previous if locked else None))
                     for p in earlier_pairs]
    already, left = _assign(left, pointed)
    already_earlier, left = _assign(left, earlier_pointed)
    already += [replace(p, exercice=prev_name or "précédent") for p in already_earlier]
    taken = {id(p.entry) for p in pairs + earlier_pairs}
    remaining = sorted((e for e in unpointed if id(e) not in taken), key=_entry_key)
    earlier_remaining = sorted((e for e in earlier if id(e) not in taken), key=_entry_key)
    own = {id(e) for e in unpointed + pointed}
    unmatched = [Unmatched(ln, _hint(ln, remaining + earlier_remaining, unpointed + pointed + earlier + earlier_pointed,
                                     exercice, prev_name, own))
                 for ln in left]
    all_days = [ln.date for ln in lines]
    return Matching(
        pairs=tuple(sorted(pairs, key=lambda p: _line_key(p.line))),
        unmatched=tuple(sorted(unmatched, key=lambda u: _line_key(u.line))),
        ignored=tuple(sorted(ignored, key=_line_key)),
        remaining=tuple(remaining),
        already=tuple(sorted(already, key=lambda p: _line_key(p.line))),
        credits=sum(ln.amount_cents for ln in lines if ln.amount_cents > 0),
        debits=-sum(ln.amount_cents for ln in lines if ln.amount_cents < 0),
        first_date=min(all_days, default=None), last_date=max(all_days, default=None),
        earlier_pairs=tuple(sorted(earlier_pairs, key=lambda p: _line_key(p.line))),
        earlier_remaining=tuple(earlier_remaining),
        earlier_exercice=(prev_name or "précédent") if (previous is not None or earlier or earlier_pointed) else "",
        earlier_locked=locked)


def _previous_name(exercice: Any) -> str:
    if exercice is None:
        return ""
    y = exercice.start.year
    return f"{y - 1}-{y}"


def _next_name(exercice: Any) -> str:
    y = exercice.end.year
    return f"{y}-{y + 1}"


def _earlier_reason(p: Pair, name: str, end: date | None, locked: Any) -> str:
    if locked is not None:
        return REASON_EARLIER_LOCKED.format(name=name, state=locked.state, why=p.reason)
    if end is None:  # no exercice given at all: say what is known
        return f"pièce {p.entry.piece} de l'exercice précédent, non pointée ({p.reason})"
    return REASON_EARLIER.format(piece=p.entry.piece, name=name, end=end, why=p.reason)


def _line_key(ln: StatementLine) -> tuple:
    return (ln.date, ln.line_no, ln.amount_cents, ln.libelle)


def _entry_key(e: Any) -> tuple:
    return (e.date, sort_key(e.piece or ""), e.id if e.id is not None else -1)


def _days(ln: StatementLine, e: Any) -> int:
    return (ln.date - e.date).days


def _in_window(ln: StatementLine, e: Any, late: int) -> bool:
    return -EARLY_DAYS <= _days(ln, e) <= late


def _edge_key(ln: StatementLine, e: Any) -> tuple:
    return (abs(_days(ln, e)), sort_key(e.piece or ""), e.id if e.id is not None else -1, _line_key(ln))


def _assign(lines: Sequence[StatementLine], entries: Sequence[Any]) -> tuple[list[Pair], list[StatementLine]]:
    """Pairs by rules 2–5 and the lines left alone (in ``_line_key`` order)."""
    lines = sorted(lines, key=_line_key)
    by_amount: dict[int, list[Any]] = {}
    for e in sorted(entries, key=_entry_key):
        by_amount.setdefault(e.bank, []).append(e)
    line_of: dict[int, StatementLine] = {}  # id(entry) -> line
    entry_of: dict[int, Any] = {}  # index of line -> entry
    reasons: dict[int, str] = {}
    numbers = [cheque_numbers(ln.libelle) for ln in lines]
    # Rule 3: cheque numbers.
    for i, ln in enumerate(lines):
        if not numbers[i]:
            continue
        cands = [e for e in by_amount.get(ln.amount_cents, ())
                 if id(e) not in line_of and _norm_cheque(e.cheque) in numbers[i]
                 and _in_window(ln, e, CHEQUE_LATE_DAYS)]
        if cands:
            e = min(cands, key=lambda e: _edge_key(ln, e))
            entry_of[i], line_of[id(e)] = e, ln
            reasons[i] = REASON_CHEQUE.format(e.cheque.strip())
    # Rule 4: same amount, closest date — candidate edges of the lines still alone.
    adj: dict[int, list[Any]] = {}
    for i, ln in enumerate(lines):
        if i in entry_of:
            continue
        cands = [e for e in by_amount.get(ln.amount_cents, ())
                 if id(e) not in line_of and _in_window(ln, e, LATE_DAYS)
                 and not (numbers[i] and _norm_cheque(e.cheque) and _norm_cheque(e.cheque) not in numbers[i])]
        if cands:
            adj[i] = sorted(cands, key=lambda e: _edge_key(ln, e))
    edges = sorted(((i, e) for i, es in adj.items() for e in es), key=lambda ie: _edge_key(lines[ie[0]], ie[1]))
    close: dict[int, Any] = {}  # line index -> entry, rule 4 only
    owner: dict[int, int] = {}  # id(entry) -> line index, rule 4 only
    for i, e in edges:
        if i not in close and id(e) not in owner:
            close[i], owner[id(e)] = e, i
    # Rule 5: augmenting paths for the lines still alone (Kuhn), in a fixed order.

    def augment(root: int) -> None:
        """Kuhn's depth-first search for an augmenting path from line ``root``, with an
        explicit stack: a statement with a thousand lines of the same amount must not hit
        Python's recursion limit. Tries candidates in the same order as the recursive form."""
        seen: set[int] = set()
        stack = [(root, iter(adj.get(root, ())))]
        path: list[tuple[int, Any]] = []  # (line, entry) taken from each level to the next
        while stack:
            i, candidates = stack[-1]
            for e in candidates:
                if id(e) in seen:
                    continue
                seen.add(id(e))
                path.append((i, e))
                j = owner.get(id(e))
                if j is None:  # a free entry: shift every pair along the path
                    for li, le in path:
                        close[li], owner[id(le)] = le, li
                    return
                stack.append((j, iter(adj.get(j, ()))))
                break
            else:  # this line's candidates are exhausted: back to the line before
                stack.pop()
                if path:
                    path.pop()

    for i in sorted(adj):
        if i not in close:
            augment(i)
    for i, e in close.items():
        entry_of[i] = e
        reasons[i] = REASON_CLOSE
    pairs = [Pair(lines[i], e, reasons[i], _days(lines[i], e)) for i, e in sorted(entry_of.items())]
    left = [ln for i, ln in enumerate(lines) if i not in entry_of]
    return pairs, left


def _hint(ln: StatementLine, free: Sequence[Any], known: Sequence[Any], exercice: Any = None,
          prev_name: str = "", own: set[int] | frozenset[int] = frozenset()) -> str:
    """What a statement line without an entry probably is, in French (rule 8). ``own``:
    ids of the entries of the exercice worked in; the others are the previous one's."""
    def piece(e: Any) -> str:
        return f"la pièce {e.piece}" + ("" if id(e) in own else f" (exercice {prev_name or 'précédent'})")

    nums = cheque_numbers(ln.libelle)
    if nums:
        for e in sorted(known, key=_entry_key):
            if _norm_cheque(e.cheque) in nums and e.bank != ln.amount_cents:
                return (f"chèque n° {e.cheque.strip()} : {piece(e)} porte ce numéro mais pour "
                        f"{format_eur(e.bank)} au cahier (relevé : {format_eur(ln.amount_cents)}) — "
                        "vérifiez le montant saisi")
    same = sorted((e for e in free if e.bank == ln.amount_cents), key=lambda e: _edge_key(ln, e))
    if same:
        e = same[0]
        if nums and _norm_cheque(e.cheque) and _norm_cheque(e.cheque) not in nums:
            return (f"chèque n° {', '.join(sorted(nums))} absent du cahier ; {piece(e)} a le même "
                    f"montant mais porte le chèque n° {e.cheque.strip()} — vérifiez le numéro")
        when = "après" if _days(ln, e) > 0 else "avant"
        return (f"même montant que {piece(e)} du {e.date:%d/%m/%Y}, mais le relevé est "
                f"{abs(_days(ln, e))} jours {when} : à vérifier avant de la pointer à la main")
    f = fold_text(ln.libelle)
    if "automatique" in f or "balayage" in f:
        return ("virement automatique entre le compte de la coopérative et celui de l'AD ? Ajoutez-le "
                "aux lignes à ignorer")
    # Only now the exercice's bounds: every hint above points at something already in a
    # cahier (or at no operation at all), and saying "à saisir" there would invite a
    # double entry.
    if exercice is not None and ln.date > exercice.end:
        return HINT_NEXT.format(name=_next_name(exercice))
    if exercice is not None and ln.date < exercice.start:
        return HINT_PREVIOUS.format(name=_previous_name(exercice))
    return HINT_CREDIT if ln.amount_cents > 0 else HINT_DEBIT
