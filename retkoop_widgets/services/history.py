"""The coop's history (who changed what, when, before → after, why) and the teacher's notice.

``history`` reads the audit log through the guard's ``reading`` (a mandataire reads only
her coop, AD staff their AD's coops, a formateur the sandboxes), one page at a time,
newest first, and hands the records to ``domain.history`` for the French sentences.

The notice: a mandataire is told, at load and while her page is open, of each change of
her books made by the AD, a formateur or the platform since she last acknowledged them
(« L'AD76 a modifié la pièce 032 … : motif … », a reopened CRF with its reason). How far
she has read is one row per (login, coop) in ``history_seen`` (migration 0010): reading
is not a change, so the audit log is not used for it. ``unseen`` is a read;
``acknowledge`` moves the mark forward (never back) and is not audited. On a first visit
(no mark yet) the mark starts at her own last change, or, if she never changed anything,
at the newest record (``Unseen.first``: the dashboard stores it, so the history before
her first visit is not a flood of notices).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from ..domain.actor import MANDATAIRE
from ..domain.errors import NotFound, ValidationError
from ..domain.history import HistoryLine, lines, notices
from .guard import Scope, exercice_name, reading, writing

if TYPE_CHECKING:  # pragma: no cover
    from .books import Books

PAGE = 50
#: At most this many notices at once (older ones stay in the history).
NOTICE_LIMIT = 20
#: Audit ids are 32-bit integers on PostgreSQL: a page number past them is refused in French.
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class HistoryPage:
    lines: list[HistoryLine]
    next_before: int | None = None  # pass as ``before_id`` for the next (older) page; None: no more


@dataclass(frozen=True)
class Unseen:
    notices: list[str] = field(default_factory=list)
    upto: int = 0        # the newest audit id read: what ``acknowledge`` records
    first: bool = False  # no mark yet: the caller stores ``upto`` as the starting point


def _pieces(r: Scope, records) -> dict[str, str]:
    """The pièce of each entry a record names only by id (pointage, attachments): from
    the page's own records first (a deleted entry's record keeps it), else the books."""
    out: dict[str, str] = {}
    for x in records:
        if x.object_type == "entry":
            for snap in (x.after, x.before):
                if snap and snap.get("piece"):
                    out.setdefault(str(x.object_id), snap["piece"])
    for x in records:
        oid = str(x.object_id)
        if x.object_type == "entry" and oid not in out and oid.isdigit():
            found = r.repo.stored_entry(int(oid))
            # SQLite may reuse a deleted entry's id in another coop: only this coop's pièce
            if found is not None and r.repo.exercice_by_id(found.exercice_id).coop == r.coop.code:
                out[oid] = found.entry.piece
    return out


def history(books: "Books", coop: str, exercice: str | None = None, since: date | None = None, *,
            before_id: int | None = None, limit: int = PAGE) -> HistoryPage:
    """One page of the coop's history, newest first: ``exercice`` only (any way a person
    types it), changes on or after ``since``; ``before_id`` the previous page's
    ``next_before``."""
    limit = max(1, min(int(limit), 500))
    if before_id is not None and not 1 <= int(before_id) <= MAX_ID:
        raise ValidationError(f"numéro de page invalide : {before_id} (attendu entre 1 et {MAX_ID})", "avant")
    with reading(books, coop) as r:
        coop = r.coop.code
        name = exercice_name(exercice) if exercice else None
        if name and r.repo.exercice(coop, name) is None \
                and not r.repo.audit_records(coop, exercice=name, limit=1):
            raise NotFound(f"la coopérative {coop} n'a pas d'exercice {name}")
        start = datetime.combine(since, time.min) if since else None
        found = r.repo.audit_records(coop, exercice=name, since=start, before_id=before_id, limit=limit + 1)
        page, more = found[:limit], len(found) > limit
        roles = r.repo.actor_roles([x.actor for x in page])
        return HistoryPage(lines(page, roles, _pieces(r, page), coop), page[-1].id if more else None)


def unseen(books: "Books", coop: str) -> Unseen:
    """What the acting mandataire has not yet acknowledged on her coop (nothing for anyone
    else: the AD knows what it did)."""
    actor = books.actor
    if actor.role != MANDATAIRE:
        return Unseen()
    with reading(books, coop) as r:
        coop = r.coop.code
        mark = r.repo.history_seen(actor.login, coop)
        first = mark is None
        if first:
            own = r.repo.audit_records(coop, actor=actor.login, limit=1)
            if not own:
                newest = r.repo.audit_records(coop, limit=1)
                return Unseen([], newest[0].id if newest else 0, True)
            mark = own[0].id
        # Others' records only: her own (an import of thousands of lines) never push a
        # correction out of the window; the mark still moves past everything read.
        found = r.repo.audit_records(coop, after_id=mark, not_actor=actor.login, limit=NOTICE_LIMIT * 5)
        newest = r.repo.audit_records(coop, after_id=mark, limit=1)
        upto = newest[0].id if newest else mark
        roles = r.repo.actor_roles([x.actor for x in found])
        told = notices(found, actor.login, coop, roles, _pieces(r, found))
        return Unseen(told[-NOTICE_LIMIT:], upto, first)


def acknowledge(books: "Books", coop: str, upto: int) -> None:
    """The mandataire has read the notices up to audit id ``upto`` (not audited: reading)."""
    actor = books.actor
    if actor.role != MANDATAIRE or not upto:
        return
    if not 1 <= int(upto) <= MAX_ID:
        raise ValidationError(f"repère d'historique invalide : {upto}", "upto")
    with writing(books, coop) as w:
        w.repo.set_history_seen(actor.login, w.coop.code, int(upto), books.now())
