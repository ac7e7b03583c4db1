"""Entries: suggest numbers, record, correct, delete, import; the cahier and balances.

Pièce numbers are allocated under the exercice lock taken by ``writing`` (one writer at
a time per exercice), so two sessions never get the same one; a correction or deletion
checks the version the user saw (``Conflict`` in French when stale).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Sequence

from ..domain import numbering
from ..domain.cash import CashCount
from ..domain.chart import Chart
from ..domain.entry import RECEIPT, Entry, EntryDraft, build_entry
from ..domain.errors import NotFound, Problem, ValidationError
from ..domain.exercice import Exercice
from ..domain.inventory import DurableGood
from ..domain.ledger import CahierLine, balances_at, running_balances
from ..domain.subsidy import Subsidy
from ..storage.records import Coop, StoredEntry
from ..storage.repository import entry_snapshot
from .guard import Scope, reading, writing

if TYPE_CHECKING:  # pragma: no cover
    from .books import Books


@dataclass(frozen=True)
class ExerciceSnapshot:
    exercice: Exercice
    entries: list[Entry]
    cash_counts: list[CashCount]
    subsidies: list[Subsidy]
    goods: list[DurableGood] = ()  # the inventory register's goods acquired in the exercice


# -- helpers -------------------------------------------------------------------------
def prepare(chart: Chart, c: Coop, ex: Exercice, draft: EntryDraft, used: numbering.PieceAllocator,
            today: date | None = None) -> Entry:
    """Validate a draft and give it its pièce (the next free one when empty); adds the
    pièce to ``used``. Must run under the exercice lock (``writing``). ``today``: a
    statement date after it is refused (``domain.entry.pointage_problems``)."""
    piece = (draft.piece or "").strip()
    if not piece:
        probe = build_entry(replace(draft, piece="?"), chart, start=ex.start, end=ex.end, exercice_name=ex.name)
        piece = used.next(numbering.series_prefix(c.numbering, probe.kind))
    elif piece in used:
        raise ValidationError(Problem(f"la pièce {piece} est déjà utilisée dans l'exercice {ex.name} "
                                      f"(prochain numéro libre : {used.next(piece.rstrip('0123456789'))})",
                                      "piece"))
    entry = build_entry(replace(draft, piece=piece), chart, start=ex.start, end=ex.end, exercice_name=ex.name,
                        today=today)
    used.add(piece)
    return entry


def for_write(w: Scope, entry_id: int, expected_version: int | None) -> StoredEntry:
    """The entry to change, read again under its exercice's lock, which must be writable
    (permission first), at the version the user saw."""
    found = w.repo.stored_entry(entry_id)
    if found is None:
        raise NotFound(f"écriture n° {entry_id} introuvable (supprimée entre-temps ?)")
    w.lock_by_id(found.exercice_id)
    found = w.repo.stored_entry(entry_id)
    w.check_version(found.entry.version, expected_version,
                    f"la pièce {found.entry.piece} a été modifiée par {found.updated_by} le "
                    f"{found.updated_at:%d/%m/%Y à %H:%M} depuis que vous l'avez ouverte : "
                    "rechargez-la avant de la modifier (vos changements n'ont pas été enregistrés)")
    return found


# -- writes --------------------------------------------------------------------------
def record_entry(books: "Books", coop: str, name: str, draft: EntryDraft) -> Entry:
    """Validate and save one entry; an empty pièce gets the next free number."""
    with writing(books, coop, name) as w:
        ex = w.exercice
        entry = prepare(w.repo.chart(w.coop.ad_code), w.coop, ex, draft,
                        numbering.PieceAllocator(w.repo.pieces(ex.id)), today=books.today())
        (new_id,) = w.repo.add_entries(ex.id, [entry], books.actor.login, books.now())
        entry = replace(entry, id=new_id, version=1)
        w.audit("create", "entry", entry.id, after=entry_snapshot(entry))
        w.piece = entry.piece
    return entry


def update_entry(books: "Books", entry_id: int, expected_version: int, draft: EntryDraft) -> Entry:
    with writing(books) as w:
        old = for_write(w, entry_id, expected_version).entry
        ex = w.exercice
        piece = (draft.piece or "").strip() or old.piece
        if piece != old.piece and (w.repo.entry_by_piece(ex.id, piece)
                                   or any(d.piece == piece for d in w.repo.deleted_pieces(ex.id))):
            raise ValidationError(f"la pièce {piece} est déjà utilisée dans l'exercice {ex.name}", "piece")
        new = build_entry(replace(draft, piece=piece), w.repo.chart(w.coop.ad_code), start=ex.start,
                          end=ex.end, exercice_name=ex.name, today=books.today())
        flagged = old.changed_after_pointage or (old.pointed and old.money_signature() != new.money_signature())
        new = replace(new, changed_after_pointage=flagged)
        version = w.repo.update_entry(entry_id, new, books.actor.login, books.now())
        new = replace(new, id=entry_id, version=version)
        w.audit("update", "entry", entry_id, before=entry_snapshot(old), after=entry_snapshot(new))
        w.piece = piece
    return new


def delete_entry(books: "Books", entry_id: int, expected_version: int | None, reason: str = "") -> None:
    """Delete an entry. Its number stays used (a ``DeletedPiece``: never handed out again,
    shown struck in the cahier); a subsidy that named it as its receipt forgets it."""
    with writing(books) as w:
        found = for_write(w, entry_id, expected_version)
        old = found.entry
        w.repo.delete_entry(entry_id)
        w.repo.add_deleted_piece(found.exercice_id, numbering.DeletedPiece(
            old.piece, old.date, old.libelle, old.amount, books.now(), books.actor.login, reason))
        for s in w.repo.subsidies(found.exercice_id):
            if s.entry_piece == old.piece:
                w.repo.update_subsidy(s.id, replace(s, entry_piece=""))
                w.audit("update", "subsidy", s.id, before={"piece": old.piece}, after={"piece": ""},
                        reason=f"pièce {old.piece} supprimée")
        w.audit("delete", "entry", entry_id, before=entry_snapshot(old), reason=reason)


def deleted_pieces(books: "Books", coop: str, name: str) -> list[numbering.DeletedPiece]:
    with reading(books, coop, name) as r:
        return r.repo.deleted_pieces(r.exercice.id)


#: Rows per INSERT of an import (entries, postings, audit records): bounded statements and
#: memory, all inside the import's one transaction (all or nothing).
IMPORT_BATCH = 5000


def _prepare_all(books: "Books", chart: Chart, c: Coop, ex: Exercice, pieces: Sequence[str],
                 drafts: Sequence[tuple[str, EntryDraft]]) -> list[Entry]:
    """Every draft validated and numbered, or a ``ValidationError`` listing every problem
    (see ``import_drafts``)."""
    used = numbering.PieceAllocator(pieces)
    problems: list[tuple[int, Problem]] = []
    ready: list[tuple[int, Entry]] = []
    in_file: dict[str, str] = {}
    typed = [i for i, (_, d) in enumerate(drafts) if (d.piece or "").strip()]
    blank = [i for i, (_, d) in enumerate(drafts) if not (d.piece or "").strip()]
    for i in typed + blank:
        where, draft = drafts[i]
        piece = (draft.piece or "").strip()
        if piece and piece in in_file:
            problems.append((i, Problem(f"pièce {piece} en double (déjà {in_file[piece]})", "piece", where)))
            continue
        try:
            e = prepare(chart, c, ex, draft, used, today=books.today())
        except ValidationError as err:
            problems.extend((i, p.located(where)) for p in err.problems)
            continue
        in_file[e.piece] = where
        ready.append((i, e))
    if problems:
        problems.sort(key=lambda x: x[0])  # stable: a line's own problems keep their order
        raise ValidationError([p for _, p in problems])
    return [e for _, e in sorted(ready, key=lambda x: x[0])]


def import_drafts(books: "Books", coop: str, name: str, drafts: Sequence[tuple[str, EntryDraft]],
                  source: str = "import") -> list[Entry]:
    """Save all drafts or none. ``drafts`` are (location, draft); every problem is
    reported with its location (``ligne 12, pièce D014``).

    The drafts with a pièce are taken first, then the blank ones: a blank pièce is
    numbered after every pièce the file types (three blank lines then ``003`` give
    ``004``, ``005``, ``006`` and ``003``), never one a later line claims. Entries are
    saved, and problems reported, in file order.

    Why two steps: on SQLite one write transaction holds the whole database, so a
    400,000-line import used to make every other coop's writer wait for its validation
    too. The drafts are validated and numbered first, in a read (no write lock: others
    keep writing); the write then re-reads the numbers used, the chart and the exercice
    under the lock and validates again only if one of them changed meanwhile (a pièce
    typed in the dashboard in between), then inserts in batches of ``IMPORT_BATCH`` rows
    inside its one transaction — all or nothing as before. A writer still kept waiting
    past the busy timeout gets a French « base occupée » (``guard``); the database to
    choose for large imports is in ``docs/formats.md``."""
    drafts = list(drafts)
    with reading(books, coop, name) as r:
        c, ex = r.coop, r.exercice
        books.actor.require(True, c.code, c.ad_code, c.training)  # a reader gets Forbidden, not a report
        ex.require_writable()
        seen = (r.repo.pieces(ex.id), r.repo.chart(c.ad_code), ex)
        ready = _prepare_all(books, seen[1], c, ex, seen[0], drafts)
    with writing(books, coop, name) as w:
        c, ex = w.coop, w.exercice
        pieces, chart = w.repo.pieces(ex.id), w.repo.chart(c.ad_code)
        if (sorted(pieces), chart.accounts, ex) != (sorted(seen[0]), seen[1].accounts, seen[2]):
            ready = _prepare_all(books, chart, c, ex, pieces, drafts)  # someone wrote meanwhile
        now = books.now()
        ids: list[int] = []
        for k in range(0, len(ready), IMPORT_BATCH):
            ids += w.repo.add_entries(ex.id, ready[k:k + IMPORT_BATCH], books.actor.login, now)
        saved = [replace(e, id=i, version=1) for e, i in zip(ready, ids)]
        for k in range(0, len(saved), IMPORT_BATCH):
            w.repo.audit_many([{"at": now, "actor": books.actor.login, "action": "create", "coop_code": c.code,
                                "exercice": ex.name, "object_type": "entry", "object_id": str(e.id),
                                "before": None, "after": entry_snapshot(e), "reason": f"import {source}"}
                               for e in saved[k:k + IMPORT_BATCH]])
        w.audit("import", "exercice", ex.id, after={"source": source, "ecritures": len(saved),
                                                    "pieces": [e.piece for e in saved][:1000]})
        w.piece = "importée"
    return saved


# -- reads ---------------------------------------------------------------------------
def suggest_piece(books: "Books", coop: str, name: str, kind: str = RECEIPT) -> str:
    with reading(books, coop, name) as r:
        return numbering.next_piece(r.repo.pieces(r.exercice.id), numbering.series_prefix(r.coop.numbering, kind))


def suggest_cheque(books: "Books", coop: str) -> str:
    with reading(books, coop) as r:
        return numbering.next_cheque(r.repo.cheques(coop))


def entries(books: "Books", coop: str, name: str) -> list[Entry]:
    with reading(books, coop, name) as r:
        return r.repo.entries(r.exercice.id)


def entry(books: "Books", entry_id: int) -> Entry:
    with reading(books) as r:
        found = r.repo.stored_entry(entry_id)
        if found is None:
            raise NotFound(f"écriture n° {entry_id} introuvable")
        r.require_coop(r.repo.exercice_by_id(found.exercice_id).coop)
        return found.entry


def snapshot(books: "Books", coop: str, name: str) -> ExerciceSnapshot:
    """The exercice, its entries, cash counts, subsidies and inventory goods read in ONE
    transaction: a consistent picture for a screen that shows them together (the
    dashboard computes its live CRF from it)."""
    with reading(books, coop, name) as r:
        ex = r.exercice
        return ExerciceSnapshot(ex, r.repo.entries(ex.id), r.repo.cash_counts(ex.id), r.repo.subsidies(ex.id),
                                r.repo.goods(r.coop.code, start=ex.start, end=ex.end))


def cahier(books: "Books", coop: str, name: str) -> list[CahierLine]:
    with reading(books, coop, name) as r:
        return running_balances(r.exercice, r.repo.entries(r.exercice.id))


def balances(books: "Books", coop: str, name: str, day: date | None = None) -> tuple[int, int]:
    with reading(books, coop, name) as r:
        return balances_at(r.exercice, r.repo.entries(r.exercice.id), day)
