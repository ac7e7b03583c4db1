"""Bank statements (relevés) as records, their matching against the cahier's unpointed
bank lines, and the check of the statement's own balances against the book.

Why this exists: the incumbent tool has no statement import and no automatic matching,
so a mandataire ticks a year of bank lines one by one. Here the file the bank gives is
read (``io.statement``: CSV, OFX, QIF, CFONB 120), each of its lines is paired with the
cahier line it most likely is, and the mandataire only reviews the proposal before one
atomic ``Books.point``. Matching only ever pairs *equal* amounts.

Pure Python: no SQLAlchemy, no ipywidgets, no I/O. Entries are typed by the protocols
``BankLine`` (``.id``, ``.piece``, ``.date``, ``.libelle``, ``.bank`` in signed cents,
``.cheque``, ``.pointed``, ``.statement_date``) and ``Period``/``PreviousPeriod`` for
exercices, so ``domain.entry.Entry`` and ``domain.exercice.Exercice`` fit and so do light
test doubles.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Iterable, Protocol, Sequence

from .chart import fold_text
from .exercice import CLOSED, STATE_LABELS
from .money import format_eur
from .numbering import sort_key


# -- what matching reads -----------------------------------------------------------------
class BankLine(Protocol):
    """A cahier line as matching reads it (``domain.entry.Entry`` is one). ``bank`` is the
    signed bank movement in cents (+ money in); ``cheque`` the cheque number or ``""``."""

    @property
    def id(self) -> int | None: ...
    @property
    def piece(self) -> str: ...
    @property
    def date(self) -> date: ...
    @property
    def libelle(self) -> str: ...
    @property
    def bank(self) -> int: ...
    @property
    def cheque(self) -> str: ...


class PointedLine(BankLine, Protocol):
    """A bank line with its pointage, for the book's pointed balance."""

    @property
    def pointed(self) -> bool: ...
    @property
    def statement_date(self) -> date | None: ...


class Period(Protocol):
    """An exercice as matching places lines in time (``domain.exercice.Exercice`` is one)."""

    @property
    def name(self) -> str: ...
    @property
    def start(self) -> date: ...
    @property
    def end(self) -> date: ...


class PreviousPeriod(Period, Protocol):
    """The previous exercice: also whether it still accepts writes, and its state."""

    @property
    def writable(self) -> bool: ...
    @property
    def state(self) -> str: ...


# -- limits and windows ------------------------------------------------------------------
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
#: A line of a submitted or closed previous exercice on a statement line dated after its
#: end: pointed there all the same (the statement is after its 31/08, so its compte
#: rendu does not change; ``services.pointage``), nothing to enter.
REASON_EARLIER_LATE = ("pièce {piece} de l'exercice {name} ({state}), non pointée au {end:%d/%m} : à pointer, "
                       "son compte rendu au {end:%d/%m} ne change pas ({why})")
HINT_DEBIT = "à saisir dans le cahier ? (frais bancaires, prélèvement…)"
HINT_CREDIT = "à saisir dans le cahier ? (virement reçu, intérêts…)"
HINT_NEXT = "opération de l'exercice suivant ({name}) : à saisir dans cet exercice-là"
HINT_PREVIOUS = ("opération de l'exercice précédent ({name}) : à saisir dans cet exercice-là s'il y manque, "
                 "pas dans celui-ci")


# -- records -----------------------------------------------------------------------------
@dataclass(frozen=True)
class StatementLine:
    """One operation of the statement. ``amount_cents`` is signed from the bank's point of
    view of the coop's money: + a credit (money into the bank), − a debit. ``line_no`` is
    the line of the file where the operation starts."""

    line_no: int
    date: date
    libelle: str
    amount_cents: int


@dataclass(frozen=True)
class Balance:
    """A balance the statement file prints: ``opening`` (the balance before its first
    operation, e.g. CFONB's « ancien solde ») or ``closing`` (OFX ``LEDGERBAL``, CFONB's
    « nouveau solde »), in signed cents, as of ``day``, read at ``line_no``."""

    day: date
    cents: int
    kind: str  # "opening" | "closing"
    line_no: int = 0

    @property
    def label(self) -> str:
        return "solde d'ouverture" if self.kind == "opening" else "solde"


@dataclass(frozen=True)
class Statement:
    """A parsed statement: its lines in file order, how the file was read, and the
    balances it prints when it does (``None`` otherwise). ``format``: ``CSV``,
    ``OFX 1.x``, ``OFX 2.x``, ``QIF`` or ``CFONB 120``. ``delimiter`` and ``header_line``
    are the CSV's (empty / 0 for the other formats)."""

    lines: tuple[StatementLine, ...]
    encoding: str = "utf-8"
    delimiter: str = ";"
    header_line: int = 1
    opening: Balance | None = None
    closing: Balance | None = None
    format: str = "CSV"

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

    @property
    def balances(self) -> tuple[Balance, ...]:
        return tuple(b for b in (self.opening, self.closing) if b is not None)


# -- the statement's balances against the book --------------------------------------------
@dataclass(frozen=True)
class BalanceCheck:
    """A balance printed on the statement beside the book's pointed bank balance on the
    same day. ``book_cents`` is ``None`` when the day is outside the exercices read (no
    comparison possible); ``proposed`` counts the proposed lines, not pointed yet, that
    ``book_cents`` includes (what the book will say once the proposal is pointed)."""

    balance: Balance
    book_cents: int | None
    proposed: int = 0

    @property
    def gap(self) -> int | None:
        """Statement minus book, in cents (``None`` when not compared)."""
        return None if self.book_cents is None else self.balance.cents - self.book_cents

    @property
    def ok(self) -> bool:
        return self.gap == 0

    def text(self) -> str:
        """« relevé au 30/11 : 1 852,69 € ; livre pointé : 1 852,69 € ✔ », or the gap."""
        b = self.balance
        head = f"relevé au {b.day:%d/%m}" if b.kind == "closing" else f"relevé, solde d'ouverture au {b.day:%d/%m}"
        head += f" : {format_eur(b.cents)}"
        if self.book_cents is None:
            return f"{head} ; livre pointé : non comparé (date hors des exercices lus)"
        book = f"livre pointé : {format_eur(self.book_cents)}"
        if self.proposed:
            book += f" (avec {'la ligne proposée' if self.proposed == 1 else f'les {self.proposed} lignes proposées'})"
        if self.ok:
            return f"{head} ; {book} ✔"
        return f"{head} ; {book} — écart {format_eur(self.gap, plus=True)}"


def in_bank_by(e: PointedLine, day: date) -> bool:
    """Whether the bank line ``e`` is on the bank's balance of ``day``: pointed on a
    statement dated on or before it (a line pointed without a statement date: its own date)."""
    return bool(e.pointed) and (e.statement_date or e.date) <= day


def book_pointed_balance(opening_bank: int, entries: Iterable[PointedLine], day: date,
                         carried: Iterable[PointedLine] = (), extra: Iterable[BankLine] = ()) -> int:
    """What the bank's balance of ``day`` should be according to the book: the
    exercice's opening bank balance, minus the previous exercice's bank lines (``carried``)
    not yet in the bank on ``day`` (the opening balance counts them: a cheque of 25 August
    not cashed), plus this exercice's bank lines in the bank on ``day``, plus ``extra``
    (lines proposed for pointing, counted as if pointed)."""
    total = opening_bank
    total -= sum(e.bank for e in carried if e.bank and not in_bank_by(e, day))
    total += sum(e.bank for e in entries if e.bank and in_bank_by(e, day))
    total += sum(e.bank for e in extra)
    return total


# -- matching ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Pair:
    """A statement line and the cahier line proposed for it. ``days`` is the statement
    date minus the cahier date (a cheque cashed 5 days after it was written: 5).
    ``exercice`` is empty for a line of the exercice worked in, else the name of the
    (previous) exercice the cahier line belongs to."""

    line: StatementLine
    entry: BankLine
    reason: str
    days: int
    exercice: str = ""
    #: A pair that cannot be pointed: a line of a submitted or closed exercice on a
    #: statement line dated on or before that exercice's end (it would change the
    #: reconciliation that exercice reported).
    locked: bool = False


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
    ``earlier_locked`` says some of its pairs cannot be pointed (``Pair.locked``: the
    exercice accepts no writes any more and the statement line is dated on or before its
    end), for information only ("rien à saisir, rien à pointer ici"). ``credits``/``debits``
    (positive cents) and the dates are the whole statement's, ignored lines included."""

    pairs: tuple[Pair, ...]
    unmatched: tuple[Unmatched, ...]
    ignored: tuple[StatementLine, ...]
    remaining: tuple[BankLine, ...]
    already: tuple[Pair, ...] = ()
    credits: int = 0
    debits: int = 0
    first_date: date | None = None
    last_date: date | None = None
    earlier_pairs: tuple[Pair, ...] = ()
    earlier_remaining: tuple[BankLine, ...] = ()
    earlier_exercice: str = ""
    earlier_locked: bool = False
    #: Set by ``services.statement.propose``: the file's format and its balances checked
    #: against the book (empty when the file prints none).
    format: str = ""
    checks: tuple[BalanceCheck, ...] = ()

    @property
    def line_count(self) -> int:
        return (len(self.pairs) + len(self.earlier_pairs) + len(self.already) + len(self.unmatched)
                + len(self.ignored))

    @property
    def pointable(self) -> tuple[Pair, ...]:
        """The pairs the mandataire may tick: this exercice's, then the previous one's
        that can still be pointed (not ``Pair.locked``)."""
        return self.pairs + tuple(p for p in self.earlier_pairs if not p.locked)


_CHEQUE = re.compile(r"\b(?:cheque|chq|ch)\b\.?\s*(?:emis\s+|paye\s+)?"
                     r"(?:(?:n|no|num|numero)\b\s*[°o.:]?\s*|n°\s*|#\s*)?(\d{3,12})\b")


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


def match(lines: Sequence[StatementLine], unpointed: Iterable[BankLine], *, ignore: Iterable[str] = (),
          pointed: Iterable[BankLine] = (), exercice: Period | None = None, earlier: Iterable[BankLine] = (),
          earlier_pointed: Iterable[BankLine] = (), previous: PreviousPeriod | None = None) -> Matching:
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
       (submitted, closed), a pair whose statement line is dated after its end is still
       pointed (the August cheque cashed in October: its CRF, as of 31/08, is
       unchanged; the reason says so), but one dated on or before its end cannot be
       (``Pair.locked``): the reason says ``déjà au cahier de 2025-2026 (soumis) : rien
       à saisir, rien à pointer ici`` and ``earlier_locked`` is set. ``earlier`` may also
       hold lines of OLDER exercices, each carrying its ``.exercice``
       (``ledger.TreasuryLine``: a cheque of late August 2025 cashed on 1 September 2026):
       paired the same way, named by their own year.
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
    earlier_pairs = [_earlier_pair(p, prev_name, prev_end, previous if locked else None) for p in earlier_pairs]
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
        earlier_locked=any(p.locked for p in earlier_pairs))


def _older(e: BankLine, prev_name: str) -> str:
    """The name of an earlier line's exercice when it is OLDER than the previous one (a
    line carrying ``.exercice``, e.g. ``ledger.TreasuryLine``), else ``""``."""
    name = getattr(e, "exercice", "") or ""
    return name if name and name != prev_name else ""


def _earlier_pair(p: Pair, prev_name: str, prev_end: date | None, locked: PreviousPeriod | None) -> Pair:
    older = _older(p.entry, prev_name)
    if older:  # two exercices back or more: closed in practice; its end from its name
        end = date(int(older[-4:]), 8, 31)
        p = replace(p, locked=p.line.date <= end, exercice=older)
        reason = (REASON_EARLIER_LOCKED.format(name=older, state=STATE_LABELS[CLOSED], why=p.reason) if p.locked
                  else REASON_EARLIER.format(piece=p.entry.piece, name=older, end=end, why=p.reason))
        return replace(p, reason=reason)
    p = replace(p, locked=locked is not None and (prev_end is None or p.line.date <= prev_end))
    return replace(p, exercice=prev_name or "précédent", reason=_earlier_reason(p, prev_name, prev_end, locked))


def _previous_name(exercice: Period | None) -> str:
    if exercice is None:
        return ""
    y = exercice.start.year
    return f"{y - 1}-{y}"


def _next_name(exercice: Period) -> str:
    y = exercice.end.year
    return f"{y}-{y + 1}"


def _earlier_reason(p: Pair, name: str, end: date | None, locked: PreviousPeriod | None) -> str:
    if locked is not None and p.locked:
        return REASON_EARLIER_LOCKED.format(name=name, state=locked.state, why=p.reason)
    if locked is not None and end is not None:
        return REASON_EARLIER_LATE.format(piece=p.entry.piece, name=name, state=locked.state, end=end, why=p.reason)
    if end is None:  # no exercice given at all: say what is known
        return f"pièce {p.entry.piece} de l'exercice précédent, non pointée ({p.reason})"
    return REASON_EARLIER.format(piece=p.entry.piece, name=name, end=end, why=p.reason)


def _line_key(ln: StatementLine) -> tuple:
    return (ln.date, ln.line_no, ln.amount_cents, ln.libelle)


def _entry_key(e: BankLine) -> tuple:
    return (e.date, sort_key(e.piece or ""), e.id if e.id is not None else -1)


def _days(ln: StatementLine, e: BankLine) -> int:
    return (ln.date - e.date).days


def _in_window(ln: StatementLine, e: BankLine, late: int) -> bool:
    return -EARLY_DAYS <= _days(ln, e) <= late


def _edge_key(ln: StatementLine, e: BankLine) -> tuple:
    return (abs(_days(ln, e)), sort_key(e.piece or ""), e.id if e.id is not None else -1, _line_key(ln))


def _assign(lines: Sequence[StatementLine], entries: Sequence[BankLine]) -> tuple[list[Pair], list[StatementLine]]:
    """Pairs by rules 2–5 and the lines left alone (in ``_line_key`` order)."""
    lines = sorted(lines, key=_line_key)
    by_amount: dict[int, list[BankLine]] = {}
    for e in sorted(entries, key=_entry_key):
        by_amount.setdefault(e.bank, []).append(e)
    line_of: dict[int, StatementLine] = {}  # id(entry) -> line
    entry_of: dict[int, BankLine] = {}  # index of line -> entry
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
    adj: dict[int, list[BankLine]] = {}
    for i, ln in enumerate(lines):
        if i in entry_of:
            continue
        cands = [e for e in by_amount.get(ln.amount_cents, ())
                 if id(e) not in line_of and _in_window(ln, e, LATE_DAYS)
                 and not (numbers[i] and _norm_cheque(e.cheque) and _norm_cheque(e.cheque) not in numbers[i])]
        if cands:
            adj[i] = sorted(cands, key=lambda e: _edge_key(ln, e))
    edges = sorted(((i, e) for i, es in adj.items() for e in es), key=lambda ie: _edge_key(lines[ie[0]], ie[1]))
    close: dict[int, BankLine] = {}  # line index -> entry, rule 4 only
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
        path: list[tuple[int, BankLine]] = []  # (line, entry) taken from each level to the next
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


def _hint(ln: StatementLine, free: Sequence[BankLine], known: Sequence[BankLine], exercice: Period | None = None,
          prev_name: str = "", own: set[int] | frozenset[int] = frozenset()) -> str:
    """What a statement line without an entry probably is, in French (rule 8). ``own``:
    ids of the entries of the exercice worked in; the others are the previous one's."""
    def piece(e: BankLine) -> str:
        return f"la pièce {e.piece}" + ("" if id(e) in own else
                                        f" (exercice {_older(e, prev_name) or prev_name or 'précédent'})")

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
