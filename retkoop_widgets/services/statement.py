"""Bank statement import: propose the pointage from the bank's file (CSV, OFX, QIF,
CFONB 120), then apply it.

Two calls on purpose: ``propose`` only reads (parse the file, read the exercice's bank
lines through ``Books``, run ``domain.statement.match``) and the mandataire reviews the
proposal; ``apply`` then points the lines kept, all or nothing, through ``Books.point``
(one transaction, one audit record per line, exercice lock and permissions checked
there). Nothing is written between the two, so an abandoned proposal costs nothing.

Why the previous exercice is read too: an exercice ends on 31 August, so a cheque written
on 25 August is cashed in September and appears on a statement the mandataire imports
while working in the next exercice. That line is already in last year's cahier: the
proposal must say so (and let it be pointed there, even once that exercice is submitted
or closed when the statement is dated after its end), never suggest entering it again.

The balances the file prints (OFX ``LEDGERBAL``, CFONB 01/07, a CSV's « Solde » rows) are
compared with the book's pointed bank balance on their day (``Matching.checks``): a gap
that the proposal does not close is a line missing from the cahier, an amount mistyped,
or a line pointed on the wrong statement — seen before the statement is filed away.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Iterable, Sequence

from ..domain.errors import Problem, ValidationError
from ..domain.exercice import Exercice, normalise_exercice_name, parse_name
from ..domain.entry import Entry
from ..domain.statement import BalanceCheck, Matching, Statement, book_pointed_balance, match
from ..io.statement import parse_statement
from .books import Books
from .pointage import carried_lines


def previous_exercice(books: Books, coop: str, exercice: str) -> Exercice | None:
    """The exercice just before ``exercice`` (``2025-2026`` for ``2026-2027``) if the coop
    has one. Its bank lines, pointed or not, are read whole; older years' lines only when
    still not in the bank (``pointage.carried_lines``: a cheque of 25/08/2025 may be
    cashed until 02/09/2026)."""
    return _exercices(books, coop, exercice)[1]


def _exercices(books: Books, coop: str, exercice: str) -> tuple[Exercice | None, Exercice | None]:
    """This exercice and the previous one (``None`` when the coop has none), in one read."""
    exercice = normalise_exercice_name(exercice)
    start, _ = parse_name(exercice)
    by_name = {x.name: x for x in books.exercices(coop)}
    return by_name.get(exercice), by_name.get(f"{start.year - 1}-{start.year}")


def propose(books: Books, coop: str, exercice: str, data: bytes | str,
            ignore: Iterable[str] = ()) -> Matching:
    """The proposed pointage of the statement ``data`` (bytes or text of a CSV, OFX, QIF or
    CFONB 120 file, recognised from its content: ``io.statement``) against the
    exercice's unpointed bank lines, then the previous exercice's (``Matching.earlier_pairs``;
    rules in ``domain.statement.match``). ``ignore``: libellé patterns to set aside (AD
    sweep lines). Raises ``ValidationError`` listing every problem of the file; reading
    needs read permission on the coop (checked by ``Books``; permission is per coop, so
    whoever reads this exercice reads the previous one too).

    A previous exercice that no longer accepts writes (submitted, closed) is still read:
    its pairs on statement lines dated after its end are offered for pointing (its CRF is
    as of 31/08 and does not change); those dated on or before its end come back
    ``Pair.locked`` (``earlier_locked`` set), shown as "déjà au cahier … rien à saisir,
    rien à pointer ici" and not offered (``Matching.pointable``).

    ``Matching.format`` names the file's format; ``Matching.checks`` compares each balance
    the file prints with the book's pointed balance on its day (``balance_checks``)."""
    statement = parse_statement(data)
    exercice = normalise_exercice_name(exercice)  # « 2026/2027 » as typed: one name everywhere
    bank = [e for e in books.entries(coop, exercice) if e.bank]  # NotFound / Forbidden first
    current, prev = _exercices(books, coop, exercice)
    prev_bank = [e for e in books.entries(coop, prev.name) if e.bank] if prev is not None else []
    carried = carried_lines(books, coop, exercice)
    # older years' lines still unpointed (a cheque of late August 2025 cashed on 1 September
    # 2026), each naming its year, after the previous exercice's
    older = [x for x in carried if not x.pointed and (prev is None or x.exercice != prev.name)]
    m = match(statement.lines, [e for e in bank if not e.pointed], ignore=tuple(ignore),
              pointed=[e for e in bank if e.pointed], exercice=current,
              earlier=[e for e in prev_bank if not e.pointed] + older,
              earlier_pointed=[e for e in prev_bank if e.pointed], previous=prev)
    return replace(m, format=statement.format,
                   checks=balance_checks(statement, m, current, bank, prev, prev_bank, carried))


def balance_checks(statement: Statement, m: Matching, current: Exercice | None, bank: Sequence[Entry],
                   prev: Exercice | None, prev_bank: Sequence[Entry], carried: Sequence[Entry] | None = None
                   ) -> tuple[BalanceCheck, ...]:
    """Each balance of ``statement`` beside the book's pointed bank balance on its day
    (``domain.statement.book_pointed_balance``), the proposal's pointable lines dated on or
    before that day counted as pointed (so a statement whose lines all pair shows ✔ before
    « Pointer » is pressed). The day falls in the exercice worked in — its opening balance,
    less the previous exercice's lines not yet in the bank, plus this exercice's pointed
    lines — or in the previous exercice (the 01 balance of a September statement dated
    31/08); elsewhere the balance is shown, not compared. ``carried``: every earlier
    exercice's bank lines not in the bank when this one opened (``pointage.carried_lines``;
    ``prev_bank`` when not given)."""
    out: list[BalanceCheck] = []
    for b in statement.balances:
        extra = [p.entry for p in m.pointable if p.line.date <= b.day]
        if current is not None and current.start <= b.day <= current.end:
            book = book_pointed_balance(current.opening_bank, bank, b.day,
                                        carried=prev_bank if carried is None else carried, extra=extra)
        elif prev is not None and prev.start <= b.day <= prev.end:
            extra = [p.entry for p in m.pointable if p.exercice and p.line.date <= b.day]
            book = book_pointed_balance(prev.opening_bank, prev_bank, b.day, extra=extra)
        else:
            out.append(BalanceCheck(b, None))
            continue
        out.append(BalanceCheck(b, book, len(extra)))
    return tuple(out)


def apply(books: Books, coop: str, exercice: str, entry_ids: Iterable[int], statement_date: date | None) -> int:
    """Point ``entry_ids`` on the statement of ``statement_date``; returns how many changed.

    All or nothing: every id must be an *unpointed bank line of this exercice, of the
    previous one, or of an older one not yet in the bank when this one opened*
    (``pointage.carried_lines``) dated on or before the statement, and a line of a
    submitted or closed earlier exercice needs a statement dated after that exercice's end (the August
    cheque cashed in October is pointed; that exercice's CRF, as of 31/08, does not
    change — ``services.pointage``); else
    nothing is pointed and every problem is listed at once (a proposal made in another
    tab, an entry pointed meanwhile, a statement date moved before a line). The write
    itself is ONE ``Books.point`` over both exercices: one transaction, audited (each
    record names its line's exercice), refused on a locked exercice or without write
    permission, and refused if a line changed after the read above (``Conflict``)."""
    exercice = normalise_exercice_name(exercice)
    ids = list(dict.fromkeys(entry_ids))
    if not ids:
        raise ValidationError("cochez au moins une ligne à pointer", "pointage")
    if statement_date is None:
        raise ValidationError("indiquez la date du relevé", "date")
    known = {e.id: e for e in books.entries(coop, exercice)}
    by_name = {x.name: x for x in books.exercices(coop)}
    prev = previous_exercice(books, coop, exercice)
    earlier = {e.id: e for e in books.entries(coop, prev.name)} if prev is not None else {}
    year = {i: prev.name for i in earlier}
    wanted = set(ids)
    for x in carried_lines(books, coop, exercice):  # older years' lines, read with their version
        if x.id in wanted and x.id not in earlier and x.id not in known:
            earlier[x.id], year[x.id] = books.entry(x.id), x.exercice
    problems: list[Problem] = []
    for entry_id in ids:
        e = known.get(entry_id) or earlier.get(entry_id)
        # pièce numbers restart each exercice: a line of an earlier one says which
        piece = "" if e is None else f"{e.piece} de {year[entry_id]}" if entry_id in earlier else e.piece
        own = by_name.get(year.get(entry_id, ""))
        if e is None:
            also = f" ni dans l'exercice {prev.name}" if prev is not None else ""
            problems.append(Problem(f"l'écriture n° {entry_id} n'est pas dans l'exercice {exercice}{also} de {coop} "
                                    "(supprimée entre-temps ?)", "pointage"))
        elif own is not None and not own.writable and statement_date <= own.end:
            problems.append(Problem(f"la pièce {e.piece} est au cahier de l'exercice {own.name}, {own.state} : "
                                    f"elle ne peut plus y être pointée sur un relevé du {own.end:%d/%m/%Y} ou "
                                    f"d'avant (son compte rendu au {own.end:%d/%m/%Y} ne doit pas changer). "
                                    "Rien à saisir ici", "pointage"))
        elif not e.bank:
            problems.append(Problem(f"la pièce {piece} ne passe pas par la banque : elle ne peut pas être "
                                    "pointée", "pointage"))
        elif e.pointed:
            when = f" sur le relevé du {e.statement_date:%d/%m/%Y}" if e.statement_date else ""
            problems.append(Problem(f"la pièce {piece} est déjà pointée{when} : analysez à nouveau le relevé",
                                    "pointage"))
        elif e.date > statement_date:
            problems.append(Problem(f"la pièce {piece} du {e.date:%d/%m/%Y} ne peut pas figurer sur un relevé "
                                    f"du {statement_date:%d/%m/%Y}", "date"))
    if problems:
        raise ValidationError(problems)
    # The previous exercice's lines first: Books.point locks each line's exercice row as
    # it goes, and taking the older year's lock before the newer one is the order
    # Books.close_exercice uses too (no deadlock between the two on PostgreSQL).
    ids.sort(key=lambda i: year.get(i, exercice))  # older years first
    # the versions read above: a line edited or pointed in another tab since is refused
    versions = {i: (earlier[i] if i in earlier else known[i]).version for i in ids}
    return books.point(ids, statement_date, versions=versions)
