"""Storage of the inventory register (table ``durable_good``): ``DurableGood`` in and out.

``InventoryRepository`` is a part of ``Repository`` (which inherits it: one repository
per unit of work, ``uow.repo.goods(…)``), kept in its own module so the register can grow
without touching the ledger's queries. The pièce shown
beside a good is read through an outer join on ``entry``: it follows a renumbered entry
and disappears (NULL) with a deleted one.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Iterable

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ..domain.inventory import DurableExpense, DurableGood
from . import orm
from .records import StoredGood


def to_good(row: orm.DurableGoodRow, piece: str | None = None) -> DurableGood:
    return DurableGood(designation=row.designation, acquired_on=row.acquired_on, value=row.value,
                       entry_id=row.entry_id, location=row.location or "", quantity=row.quantity,
                       disposed_on=row.disposed_on, disposal_reason=row.disposal_reason or "",
                       comment=row.comment or "", piece=piece or "", id=row.id, version=row.version)


def good_snapshot(g: DurableGood) -> dict:
    """A JSON-able picture of a good for the audit log."""
    return {"designation": g.designation, "date_acquisition": g.acquired_on.isoformat(), "valeur": g.value,
            "quantite": g.quantity, "lieu": g.location, "ecriture": g.entry_id, "piece": g.piece,
            "date_sortie": g.disposed_on.isoformat() if g.disposed_on else None,
            "motif_sortie": g.disposal_reason, "commentaire": g.comment}


class InventoryRepository:
    s: Session

    def _good_row(self, good_id: int, *, lock: bool = False) -> orm.DurableGoodRow | None:
        """The row, re-read from the database; ``lock``: PostgreSQL row lock (``FOR UPDATE``)
        so two writers of the same good serialise before their version check."""
        q = (select(orm.DurableGoodRow).where(orm.DurableGoodRow.id == good_id)
             .execution_options(populate_existing=True))
        if lock:
            q = q.with_for_update()
        return self.s.scalars(q).first()

    def stored_good(self, good_id: int, *, lock: bool = False) -> StoredGood | None:
        row = self._good_row(good_id, lock=lock)
        if row is None:
            return None
        return StoredGood(to_good(row, self._piece_of(row.entry_id)), row.coop_code, row.updated_by, row.updated_at)

    def _piece_of(self, entry_id: int | None) -> str:
        if entry_id is None:
            return ""
        return self.s.scalar(select(orm.EntryRow.piece).where(orm.EntryRow.id == entry_id)) or ""

    def goods(self, coop: str, *, start: date | None = None, end: date | None = None,
              include_disposed: bool = True) -> list[DurableGood]:
        """The coop's register in acquisition order. With ``start``/``end``: the goods held
        at some point in that period (acquired by ``end``, not disposed of before ``start``)."""
        g, e = orm.DurableGoodRow, orm.EntryRow
        q = (select(g, e.piece).outerjoin(e, e.id == g.entry_id).where(g.coop_code == coop)
             .order_by(g.acquired_on, g.id))
        if end is not None:
            q = q.where(g.acquired_on <= end)
        if start is not None:
            q = q.where(or_(g.disposed_on.is_(None), g.disposed_on >= start))
        if not include_disposed:
            q = q.where(g.disposed_on.is_(None))
        return [to_good(row, piece) for row, piece in self.s.execute(q).all()]

    def add_good(self, coop: str, good: DurableGood, actor: str, now: datetime) -> DurableGood:
        """Insert the good; returns it with its id and version (its pièce as given)."""
        row = orm.DurableGoodRow(coop_code=coop, version=1, created_at=now, created_by=actor, updated_at=now,
                                 updated_by=actor)
        _fill(row, good)
        self.s.add(row)
        self.s.flush()
        return to_good(row, good.piece)

    def save_good(self, good_id: int, good: DurableGood, actor: str, now: datetime) -> int:
        """Write the good's fields; returns its new version."""
        row = self.s.get(orm.DurableGoodRow, good_id)
        _fill(row, good)
        row.version += 1
        row.updated_at, row.updated_by = now, actor
        return row.version

    def delete_good(self, good_id: int) -> None:
        self.s.delete(self.s.get(orm.DurableGoodRow, good_id))

    def durable_expenses(self, exercice_id: int, codes: Iterable[str]) -> list[DurableExpense]:
        """The exercice's entries ventilated on the biens durables account(s), with the part on
        those accounts: one GROUP BY over the postings."""
        e, p = orm.EntryRow, orm.PostingRow
        q = (select(e.id, e.piece, e.date, e.libelle, func.sum(p.amount))
             .join(p, p.entry_id == e.id)
             .where(and_(e.exercice_id == exercice_id, p.account.in_(list(codes))))
             .group_by(e.id, e.piece, e.date, e.libelle)
             .order_by(e.date, e.id))
        return [DurableExpense(entry_id=i, piece=piece, date=d if isinstance(d, date) else date.fromisoformat(d),
                               libelle=lib, amount=int(total))
                for i, piece, d, lib, total in self.s.execute(q).all() if int(total) != 0]

    def goods_of_coops(self, coops: list[str]) -> dict[str, list[DurableGood]]:
        """Every good of each coop (registers are short): ``compare_register`` keeps those
        acquired in the exercice it checks."""
        g, e = orm.DurableGoodRow, orm.EntryRow
        out: dict[str, list[DurableGood]] = {c: [] for c in coops}
        for i in range(0, len(coops), 500):
            q = (select(g, e.piece).outerjoin(e, e.id == g.entry_id).where(g.coop_code.in_(coops[i:i + 500]))
                 .order_by(g.acquired_on, g.id))
            for row, piece in self.s.execute(q).all():
                out[row.coop_code].append(to_good(row, piece))
        return out


def _fill(row: orm.DurableGoodRow, good: DurableGood) -> None:
    row.designation, row.acquired_on, row.value = good.designation, good.acquired_on, good.value
    row.entry_id, row.location, row.quantity = good.entry_id, good.location, good.quantity
    row.disposed_on, row.disposal_reason, row.comment = good.disposed_on, good.disposal_reason, good.comment
