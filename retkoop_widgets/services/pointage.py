"""Pointage: ticking bank lines against a bank statement (relevé).

Year-end continuity — why a submitted or closed exercice's line may still be pointed:
a cheque written on 25 August is in that exercice's cahier, but the bank pays it in
October, while the coop works in the next exercice and the old one is already submitted
(or closed). The line must be ticked when it shows on a statement, or it stays "not
cashed" forever and every later reconciliation is off by its amount. Pointing it on a
statement dated AFTER its exercice's end changes nothing that exercice reports: its CRF
and reconciliation are as of 31/08 (``ledger.review_treasury`` counts a line pointed on
a later statement as not yet in the bank), and its balances, charges and produits do
not depend on pointage. So that one change is allowed on a locked exercice — and only
that one: a statement dated on or before the end, or a line already ticked on or before
it, would change the reconciliation that was submitted, and is refused as before. Each
such pointage is audited with its reason (« pointage après la fin de l'exercice … »).

The alternative — copying the line into the new exercice as a carried "outstanding"
record — was rejected: it duplicates a cahier line (two truths to keep in step, and the
risk of entering the cheque twice is exactly what the relevé import guards against), and
needs a table and a migration for what one statement date on the original line says.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Iterable, Mapping

from ..domain.entry import pointage_problems
from ..domain.errors import Location, LockedExercice, NotFound, ValidationError
from ..domain.exercice import STATE_LABELS, Exercice
from ..domain.ledger import TreasuryLine
from .guard import Scope, reading, writing

if TYPE_CHECKING:  # pragma: no cover
    from .books import Books


def after_end(ex: Exercice, statement_date: date | None) -> bool:
    """Whether a statement of ``statement_date`` is after ``ex``'s end (so pointing on it
    leaves that exercice's 31/08 reconciliation unchanged)."""
    return statement_date is not None and statement_date > ex.end


def _late_refusal(ex: Exercice, piece: str, pointed: bool, old_statement: date | None) -> LockedExercice:
    state = STATE_LABELS[ex.state]
    if old_statement is not None:
        why = (f"elle figure sur le relevé du {old_statement:%d/%m/%Y}, pris en compte dans son compte rendu "
               f"au {ex.end:%d/%m/%Y}")
    elif pointed:
        why = (f"elle ne peut plus être pointée que sur un relevé daté après le {ex.end:%d/%m/%Y} "
               f"(son compte rendu est arrêté au {ex.end:%d/%m/%Y})")
    else:
        why = "elle n'est pas pointée"
    return LockedExercice(f"L'exercice {ex.name} est {state} : la pièce {piece} de cet exercice ne peut pas "
                          f"être {'pointée' if pointed else 'dépointée'} ici : {why}. Seule l'AD peut le rouvrir.")


def point(books: "Books", entry_ids: Iterable[int], statement_date: date | None, *, pointed: bool = True,
          versions: Mapping[int, int] | None = None) -> int:
    """Tick (or untick) bank lines against a statement; returns how many changed.

    ``versions`` (entry id → version the caller saw): a line changed or pointed by
    someone else since is refused (``Conflict``) and nothing is pointed — what a
    statement import needs, since its proposal was computed from an earlier read.

    A line of a submitted or closed exercice may be pointed on a statement dated after
    that exercice's end (and such a late pointage undone), nothing else: see the module
    docstring. The statement date is checked by ``domain.entry.pointage_problems`` (not
    before the line, not more than 13 months after it, not in the future), as an import
    or a typed entry is."""
    ids = list(entry_ids)
    if versions is not None and set(ids) - set(versions):  # a caller's slip, not a user's
        raise ValueError(f"point(versions=…) lacks the versions of entries {sorted(set(ids) - set(versions))}")
    changed = 0
    today = books.today()
    with writing(books) as w:
        for entry_id in ids:
            ex, old = _for_pointage(w, entry_id, None if versions is None else versions[entry_id])
            if not old.bank:
                raise ValidationError(f"la pièce {old.piece} ne passe pas par la banque : "
                                      "elle ne peut pas être pointée", "pointage")
            if pointed:
                problems = pointage_problems(old.date, statement_date, today=today)
                if problems:
                    raise ValidationError([p.located(Location(piece=old.piece)) for p in problems])
            if old.pointed == pointed and (not pointed or old.statement_date == statement_date):
                continue
            late = not ex.writable
            if late:
                # only a pointage the 31/08 reconciliation never saw, before and after
                was_late = not old.pointed or after_end(ex, old.statement_date)
                now_late = not pointed or after_end(ex, statement_date)
                if not (was_late and now_late and (pointed or old.pointed)):
                    raise _late_refusal(ex, old.piece, pointed, None if was_late else old.statement_date)
            before = {"pointe": old.pointed,
                      "date_releve": old.statement_date.isoformat() if old.statement_date else None}
            w.repo.set_pointed(entry_id, pointed, statement_date if pointed else None, books.actor.login,
                               books.now())
            w.audit("point" if pointed else "unpoint", "entry", entry_id, before=before,
                    after={"pointe": pointed,
                           "date_releve": statement_date.isoformat() if pointed and statement_date else None},
                    reason=(f"pointage après la fin de l'exercice {ex.name} ({STATE_LABELS[ex.state]}) : "
                            f"relevé postérieur au {ex.end:%d/%m/%Y}, compte rendu inchangé") if late else "",
                    generated=True)
            changed += 1
    return changed


def _for_pointage(w: Scope, entry_id: int, expected_version: int | None):
    """``entries.for_write`` for pointage: the entry re-read under its exercice's lock, at
    the version the user saw — its exercice may be locked (the caller decides)."""
    found = w.repo.stored_entry(entry_id)
    if found is None:
        raise NotFound(f"écriture n° {entry_id} introuvable (supprimée entre-temps ?)")
    ex = w.lock_by_id(found.exercice_id, writable=False)
    found = w.repo.stored_entry(entry_id)
    w.check_version(found.entry.version, expected_version,
                    f"la pièce {found.entry.piece} a été modifiée par {found.updated_by} le "
                    f"{found.updated_at:%d/%m/%Y à %H:%M} depuis que vous l'avez ouverte : "
                    "rechargez-la avant de la modifier (vos changements n'ont pas été enregistrés)")
    return ex, found.entry


def carried_lines(books: "Books", coop: str, name: str) -> list[TreasuryLine]:
    """The bank lines of the coop's exercices BEFORE ``name`` that were not in the bank
    when ``name`` opened: unpointed, or pointed on a statement dated on or after its first
    day. Each ``TreasuryLine`` names its year (``.exercice``), in cahier order.

    What a pointage session of ``name`` needs beside its own lines: those still
    unpointed (``not line.pointed``) are offered for ticking (``point`` accepts them on a
    statement dated after their exercice's end, even when it is locked), and all of them
    are the ``carried`` of ``domain.statement.book_pointed_balance`` — the opening balance
    counts them as paid, the bank only once they show on a statement."""
    with reading(books, coop, name) as r:
        ex = r.exercice
        before = [x for x in r.repo.exercices(coop) if x.end < ex.start]
        day_before = ex.start - timedelta(days=1)
        found = r.repo.late_bank_lines_many({x.id: day_before for x in before}) if before else {}
    out = [TreasuryLine(e.piece, e.date, e.libelle, e.bank, e.cash, e.cheque, e.pointed, e.statement_date,
                        e.changed_after_pointage, e.id, x.name)
           for x in before for e in found[x.id]
           if e.bank and not (e.pointed and (e.statement_date is None or e.statement_date <= day_before))]
    return sorted(out, key=lambda e: (e.date, e.exercice, e.piece, e.id or 0))
