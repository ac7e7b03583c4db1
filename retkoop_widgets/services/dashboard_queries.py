"""Read-only queries the dashboard needs fast, on top of ``Books``.

Why: ``Books.cahier`` loads ORM objects (≈380 ms for 2,000 entries here) and each
``Books`` read is its own transaction (≈25 ms each on this machine's SQLite); the cahier
view must be built in ≤ 300 ms. This reads, in ONE read-only unit of work, the exercice,
its entries and postings (two Core SELECTs building the same domain ``Entry`` records),
its cash counts and subsidies. Permission is checked by ``Books`` itself
(``Books._exercice``: the same check every ``Books`` read makes) before anything is read.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..domain.cash import CashCount
from ..domain.entry import Entry, Posting
from ..domain.exercice import Exercice
from ..domain.subsidy import Subsidy
from ..storage import orm
from ..storage.repository import to_exercice


@dataclass(frozen=True)
class ExerciceSnapshot:
    exercice: Exercice
    entries: list[Entry]
    cash_counts: list[CashCount]
    subsidies: list[Subsidy]


def exercice_snapshot(books, coop: str, name: str) -> ExerciceSnapshot:
    e, p = orm.EntryRow.__table__, orm.PostingRow.__table__
    with books.uow() as uow:
        _, row = books._exercice(uow.repo, coop, name)  # permission check (read)
        ex = to_exercice(row)
        conn = uow.session
        rows = conn.execute(select(e.c.id, e.c.piece, e.c.date, e.c.libelle, e.c.tiers, e.c.mode, e.c.cheque,
                                   e.c.pointed, e.c.statement_date, e.c.changed_after_pointage, e.c.version)
                            .where(e.c.exercice_id == ex.id).order_by(e.c.date, e.c.id)).all()
        posts = conn.execute(select(p.c.entry_id, p.c.account, p.c.amount, p.c.action)
                             .join(e, e.c.id == p.c.entry_id).where(e.c.exercice_id == ex.id)
                             .order_by(p.c.entry_id, p.c.line)).all()
        counts = uow.repo.cash_counts(ex.id)
        subsidies = uow.repo.subsidies(ex.id)
    by: dict[int, list[Posting]] = {}
    for eid, account, amount, action in posts:
        by.setdefault(eid, []).append(Posting(account, amount, action or ""))
    entries = [Entry(piece=r.piece, date=r.date, libelle=r.libelle, postings=tuple(by.get(r.id, ())),
                     tiers=r.tiers or "", mode=r.mode or "", cheque=r.cheque or "", pointed=bool(r.pointed),
                     statement_date=r.statement_date, changed_after_pointage=bool(r.changed_after_pointage),
                     id=r.id, version=r.version) for r in rows]
    return ExerciceSnapshot(ex, entries, counts, subsidies)
