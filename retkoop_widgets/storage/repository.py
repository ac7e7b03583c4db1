"""The repository: domain records in, domain records out. Rows never leave this module
(and the unit of work), so services and widgets see only ``Entry``, ``Exercice``…"""
from __future__ import annotations

from datetime import date, datetime

from typing import Collection

from sqlalchemy import String, and_, case, delete, func, insert, or_, select, type_coerce
from sqlalchemy.orm import Session

from ..domain.cash import CashCount
from ..domain.chart import BANK, CASH, Account, Chart, default_chart
from ..domain.ledger import TreasuryLine
from ..domain.entry import Entry, Posting
from ..domain.inventory import DurableExpense
from ..domain.exercice import Exercice
from ..domain.subsidy import Subsidy
from . import orm


def to_exercice(row: orm.ExerciceRow) -> Exercice:
    return Exercice(coop=row.coop_code, name=row.name, opening_bank=row.opening_bank,
                    opening_cash=row.opening_cash, state=row.state, id=row.id, version=row.version)


def to_entry(row: orm.EntryRow) -> Entry:
    return Entry(piece=row.piece, date=row.date, libelle=row.libelle,
                 postings=tuple(Posting(p.account, p.amount, p.action or "") for p in row.postings),
                 tiers=row.tiers or "", mode=row.mode or "", cheque=row.cheque or "",
                 pointed=row.pointed, statement_date=row.statement_date,
                 changed_after_pointage=row.changed_after_pointage, id=row.id, version=row.version)


def to_count(row: orm.CashCountRow) -> CashCount:
    return CashCount(date=row.date, counts={int(k): int(v) for k, v in row.counts.items()},
                     book_balance=row.book_balance, author=row.author, id=row.id,
                     recorded_at=row.recorded_at, comment=row.comment or "")


def to_subsidy(row: orm.SubsidyRow) -> Subsidy:
    return Subsidy(grantor=row.grantor, grantor_type=row.grantor_type, object=row.object,
                   amount=row.amount, date_received=row.date_received,
                   entry_piece=row.entry_piece or "", proof=row.proof or "", id=row.id,
                   version=row.version)


def entry_snapshot(e: Entry) -> dict:
    """A JSON-able picture of an entry for the audit log."""
    return {"piece": e.piece, "date": e.date.isoformat(), "libelle": e.libelle, "tiers": e.tiers,
            "mode": e.mode, "cheque": e.cheque, "pointe": e.pointed,
            "date_releve": e.statement_date.isoformat() if e.statement_date else None,
            "ecritures": [[p.account, p.amount, p.action] for p in e.postings]}


def _raw(column):
    """A DATE column without SQLAlchemy's per-row conversion (on SQLite a regex per value,
    most of the time of a year-long scan); ``_day`` converts with the C ``fromisoformat``."""
    return type_coerce(column, String)


def _day(value):
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _chunks(ids: list, size: int = 500):
    """Bounded IN lists (SQLite's parameter limit; PostgreSQL plans them as well)."""
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def _among(column, ids: list[int]):
    """``column IN ids``, or ``column = id`` for one id (the one-CRF case: a plain equality
    lets both databases use their index the way the single-exercice queries always did)."""
    return column == ids[0] if len(ids) == 1 else column.in_(ids)


class Repository:
    def __init__(self, session: Session):
        self.s = session

    # -- AD, chart, coop -------------------------------------------------------------
    def ad(self, code: str) -> orm.AdRow | None:
        return self.s.get(orm.AdRow, code)

    def ads(self) -> list[orm.AdRow]:
        return list(self.s.scalars(select(orm.AdRow).order_by(orm.AdRow.code)))

    def chart(self, ad_code: str | None) -> Chart:
        if ad_code:
            rows = self.s.scalars(select(orm.AccountRow).where(orm.AccountRow.ad_code == ad_code)).all()
            if rows:
                return Chart(Account(r.code, r.code_occe, r.libelle, r.classe, r.rubrique) for r in rows)
        return default_chart()

    def replace_chart(self, ad_code: str, chart: Chart) -> None:
        self.s.execute(delete(orm.AccountRow).where(orm.AccountRow.ad_code == ad_code))
        self.s.add_all(orm.AccountRow(ad_code=ad_code, code=a.code, code_occe=a.code_occe,
                                      libelle=a.libelle, classe=a.classe, rubrique=a.rubrique)
                       for a in chart)

    def coop(self, code: str) -> orm.CoopRow | None:
        return self.s.get(orm.CoopRow, code)

    def coops(self, ad_code: str | None = None, include_training: bool = True) -> list[orm.CoopRow]:
        q = select(orm.CoopRow).order_by(orm.CoopRow.code)
        if ad_code:
            q = q.where(orm.CoopRow.ad_code == ad_code)
        if not include_training:
            q = q.where(orm.CoopRow.training.is_(False))
        return list(self.s.scalars(q))

    def coop_rows(self, codes: list[str]) -> dict[str, orm.CoopRow]:
        """Many coops by code (bounded IN lists: a national overview has tens of thousands)."""
        out: dict[str, orm.CoopRow] = {}
        for chunk in _chunks(codes):
            out.update((r.code, r) for r in self.s.scalars(select(orm.CoopRow).where(orm.CoopRow.code.in_(chunk))))
        return out

    def exercice_rows(self, coops: list[str]) -> list[orm.ExerciceRow]:
        """Every exercice of these coops, by coop then name."""
        out: list[orm.ExerciceRow] = []
        for chunk in _chunks(coops):
            out.extend(self.s.scalars(select(orm.ExerciceRow).where(orm.ExerciceRow.coop_code.in_(chunk))))
        return sorted(out, key=lambda r: (r.coop_code, r.name))

    # -- exercices -------------------------------------------------------------------
    def exercice_row(self, coop: str, name: str, *, lock: bool = False) -> orm.ExerciceRow | None:
        q = select(orm.ExerciceRow).where(orm.ExerciceRow.coop_code == coop, orm.ExerciceRow.name == name)
        if lock:
            q = q.with_for_update()  # PostgreSQL row lock; SQLite is already serialised by BEGIN IMMEDIATE
        return self.s.scalars(q).first()

    def exercices(self, coop: str) -> list[orm.ExerciceRow]:
        return list(self.s.scalars(select(orm.ExerciceRow).where(orm.ExerciceRow.coop_code == coop)
                                   .order_by(orm.ExerciceRow.name)))

    # -- entries ---------------------------------------------------------------------
    def entries(self, exercice_id: int) -> list[Entry]:
        """All entries of an exercice, built straight from two set queries (no ORM
        objects): the CRF of a 5,000-entry year must take milliseconds, not seconds."""
        e, p = orm.EntryRow, orm.PostingRow
        conn = self.s.connection()  # Core rows: the ORM's result machinery costs more than the query
        postings: dict[int, list[Posting]] = {}
        for entry_id, account, amount, action in conn.execute(
                select(p.entry_id, p.account, p.amount, p.action).join(e, e.id == p.entry_id)
                .where(e.exercice_id == exercice_id).order_by(p.entry_id, p.line)).all():
            postings.setdefault(entry_id, []).append(Posting(account, amount, action or ""))
        rows = conn.execute(
            select(e.id, e.piece, _raw(e.date).label("date"), e.libelle, e.tiers, e.mode, e.cheque, e.pointed,
                   _raw(e.statement_date).label("statement_date"), e.changed_after_pointage, e.version)
            .where(e.exercice_id == exercice_id).order_by(e.date, e.id)).all()
        return [Entry(piece=r.piece, date=_day(r.date), libelle=r.libelle, postings=tuple(postings.get(r.id, ())),
                      tiers=r.tiers or "", mode=r.mode or "", cheque=r.cheque or "", pointed=bool(r.pointed),
                      statement_date=_day(r.statement_date), changed_after_pointage=bool(r.changed_after_pointage),
                      id=r.id, version=r.version) for r in rows]

    # -- what a CRF reads, for one exercice or many at once (an AD's overview: hundreds) ----
    # Each is ONE statement per chunk of ids, grouped in Python by exercice; ``Books.crf`` is
    # ``Books.crfs`` with one id.
    def treasury_movements_many(self, ids: list[int]) -> dict[int, list[tuple]]:
        """Every entry's ``(date, pièce, id, bank, cash)``: the CRF's balance walk. A narrow
        scan of ``entry`` (its ``bank``/``cash`` columns, migration 0003; index-only through
        ``ix_entry_exercice_scan``), plain tuples, each day's date object built once."""
        e = orm.EntryRow
        out: dict[int, list[tuple]] = {i: [] for i in ids}
        days: dict = {}
        for chunk in _chunks(ids):
            for xid, d, piece, entry_id, bank, cash in self.s.connection().execute(
                    select(e.exercice_id, _raw(e.date), e.piece, e.id, e.bank, e.cash)
                    .where(_among(e.exercice_id, chunk))).all():
                day = days.get(d)
                if day is None:
                    day = days[d] = _day(d)
                out[xid].append((day, piece, entry_id, bank, cash))
        return out

    def treasury_details_many(self, ids: list[int], today: date, ends: dict[int, date]
                              ) -> dict[int, list[TreasuryLine]]:
        """The full lines ``ledger.review_treasury`` reports on, and only those: bank lines
        unpointed — or pointed on a statement dated after their exercice's end (``ends``),
        which the 31/08 statement did not show —, cheques paid out, lines dated after
        ``today``, lines changed after pointage. Every other line matters to the CRF only
        through its movements."""
        e = orm.EntryRow
        out: dict[int, list[TreasuryLine]] = {i: [] for i in ids}
        for chunk in _chunks(ids):
            by_end: dict[date, list[int]] = {}
            for i in chunk:
                by_end.setdefault(ends[i], []).append(i)
            late = [and_(_among(e.exercice_id, xs), e.statement_date > end) for end, xs in by_end.items()]
            wanted = or_(and_(e.bank != 0, or_(e.pointed.is_(False), *late)), and_(e.cheque != "", e.bank < 0),
                         e.date > today, e.changed_after_pointage.is_(True))
            for r in self.s.connection().execute(
                    select(e.exercice_id, e.id, e.piece, _raw(e.date), e.libelle, e.bank, e.cash, e.cheque,
                           e.pointed, _raw(e.statement_date), e.changed_after_pointage)
                    .where(_among(e.exercice_id, chunk), wanted)).all():
                out[r[0]].append(TreasuryLine(r[2], _day(r[3]), r[4], r[5], r[6], r[7] or "", bool(r[8]),
                                              _day(r[9]), bool(r[10]), r[1]))
        return out

    def ventilation_totals_many(self, ids: list[int], durable_codes: Collection[str] = ()
                                ) -> tuple[dict[int, dict[str, int]], dict[int, list[tuple[str, DurableExpense]]]]:
        """Per exercice: the signed total of each charge/produit account, and the entries
        ventilated on a biens durables account (``durable_codes``): (account, entry with
        its part on that account).

        One index-only scan (``ix_entry_exercice_scan`` then the covering
        ``ix_posting_ventilation``): grouping on ``CASE WHEN account IN durable THEN
        entry.id END`` keeps the 68 postings per entry at no extra cost, then the few
        entries found are read by primary key. (A separate 68 query made PostgreSQL read
        the 68 postings of the WHOLE database.)"""
        e, p = orm.EntryRow, orm.PostingRow
        totals: dict[int, dict[str, int]] = {i: {} for i in ids}
        parts: list[tuple[int, str, int, int]] = []
        on_durable = case((p.account.in_(list(durable_codes) or ["-"]), e.id)).label("durable_entry")
        for chunk in _chunks(ids):
            q = (select(e.exercice_id, p.account, on_durable, func.sum(p.amount)).join(e, e.id == p.entry_id)
                 .where(_among(e.exercice_id, chunk), orm.is_ventilation(p))
                 .group_by(e.exercice_id, p.account, on_durable))
            for xid, account, entry_id, total in self.s.connection().execute(q).all():
                by_account = totals[xid]
                by_account[account] = by_account.get(account, 0) + int(total)
                if entry_id is not None:
                    parts.append((xid, account, entry_id, int(total)))
        durable: dict[int, list[tuple[str, DurableExpense]]] = {i: [] for i in ids}
        if parts:
            entry_ids = sorted({entry_id for _, _, entry_id, _ in parts})
            known = {}
            for chunk in _chunks(entry_ids):
                for i, piece, day, libelle in self.s.connection().execute(
                        select(e.id, e.piece, _raw(e.date), e.libelle).where(e.id.in_(chunk))).all():
                    known[i] = (piece, _day(day), libelle)
            for xid, account, entry_id, total in parts:
                piece, day, libelle = known[entry_id]
                durable[xid].append((account, DurableExpense(entry_id, piece, day, libelle, total)))
        return totals, durable

    def _rows_by_exercice(self, row_cls, order, to_record, ids: list[int]) -> dict[int, list]:
        """Rows of a per-exercice table (cash counts, subsidies) for many exercices, in
        ``order``, as domain records."""
        out: dict[int, list] = {i: [] for i in ids}
        for chunk in _chunks(ids):
            for r in self.s.scalars(select(row_cls).where(_among(row_cls.exercice_id, chunk)).order_by(*order)):
                out[r.exercice_id].append(to_record(r))
        return out

    def cash_counts_many(self, ids: list[int]) -> dict[int, list[CashCount]]:
        c = orm.CashCountRow
        return self._rows_by_exercice(c, (c.date, c.id), to_count, ids)

    def subsidies_many(self, ids: list[int]) -> dict[int, list[Subsidy]]:
        s = orm.SubsidyRow
        return self._rows_by_exercice(s, (s.date_received, s.id), to_subsidy, ids)

    def entry_dates_many(self, ids: list[int]) -> dict[int, tuple[date | None, date | None]]:
        """Per exercice: the last entry's date and the last statement date (last pointage)."""
        e = orm.EntryRow
        out: dict[int, tuple[date | None, date | None]] = {i: (None, None) for i in ids}
        for chunk in _chunks(ids):
            for xid, last, pointed in self.s.connection().execute(
                    select(e.exercice_id, _raw(func.max(e.date)), _raw(func.max(e.statement_date)))
                    .where(_among(e.exercice_id, chunk)).group_by(e.exercice_id)).all():
                out[xid] = (_day(last), _day(pointed))
        return out

    def entry_row(self, entry_id: int) -> orm.EntryRow | None:
        return self.s.get(orm.EntryRow, entry_id)

    def entry_row_by_piece(self, exercice_id: int, piece: str) -> orm.EntryRow | None:
        return self.s.scalars(select(orm.EntryRow).where(orm.EntryRow.exercice_id == exercice_id,
                                                         orm.EntryRow.piece == piece)).first()

    def pieces(self, exercice_id: int) -> list[str]:
        return list(self.s.scalars(select(orm.EntryRow.piece).where(orm.EntryRow.exercice_id == exercice_id)))

    def cheques(self, coop: str) -> list[str]:
        """Cheque numbers issued by the coop (bank out), all exercices: the chequebook continues."""
        q = (select(orm.EntryRow.cheque).join(orm.ExerciceRow)
             .join(orm.PostingRow, orm.PostingRow.entry_id == orm.EntryRow.id)
             .where(orm.ExerciceRow.coop_code == coop, orm.EntryRow.cheque != "",
                    orm.PostingRow.account == "512", orm.PostingRow.amount < 0))
        return list(self.s.scalars(q))

    def add_entries(self, exercice_id: int, entries: list[Entry], actor: str, now: datetime) -> list[int]:
        """Insert entries and their postings in two bulk statements; returns the new ids
        in the order given (an import of 5,000 entries is two round trips, not 10,000)."""
        if not entries:
            return []
        ids = list(self.s.scalars(
            insert(orm.EntryRow).returning(orm.EntryRow.id, sort_by_parameter_order=True),
            [{"exercice_id": exercice_id, "piece": e.piece, "date": e.date, "libelle": e.libelle,
              "bank": e.bank, "cash": e.cash,
              "tiers": e.tiers, "mode": e.mode, "cheque": e.cheque, "pointed": e.pointed,
              "statement_date": e.statement_date, "changed_after_pointage": e.changed_after_pointage,
              "version": 1, "created_at": now, "created_by": actor, "updated_at": now, "updated_by": actor}
             for e in entries]))
        self.s.execute(insert(orm.PostingRow),
                       [{"entry_id": i, "line": n, "account": p.account, "amount": p.amount, "action": p.action}
                        for i, e in zip(ids, entries) for n, p in enumerate(e.postings)])
        return ids

    def _fill(self, row: orm.EntryRow, e: Entry) -> None:
        row.piece, row.date, row.libelle, row.tiers = e.piece, e.date, e.libelle, e.tiers
        row.mode, row.cheque, row.pointed, row.statement_date = e.mode, e.cheque, e.pointed, e.statement_date
        row.changed_after_pointage = e.changed_after_pointage
        row.bank, row.cash = e.bank, e.cash
        row.postings = [orm.PostingRow(line=i, account=p.account, amount=p.amount, action=p.action)
                        for i, p in enumerate(e.postings)]

    def update_entry(self, row: orm.EntryRow, e: Entry, actor: str, now: datetime) -> None:
        self._fill(row, e)
        row.version += 1
        row.updated_at, row.updated_by = now, actor
        self.s.flush()

    def entry_last_change(self, exercice_id: int) -> datetime | None:
        return self.s.scalar(select(func.max(orm.EntryRow.updated_at))
                             .where(orm.EntryRow.exercice_id == exercice_id))

    # -- cash counts, subsidies, attachments ------------------------------------------
    def cash_counts(self, exercice_id: int) -> list[CashCount]:
        """The exercice's cash counts by date, then recording order."""
        return self.cash_counts_many([exercice_id])[exercice_id]

    def subsidies(self, exercice_id: int) -> list[Subsidy]:
        """The exercice's subsidies by date received, then recording order."""
        return self.subsidies_many([exercice_id])[exercice_id]

    def attachments(self, entry_ids: list[int]) -> dict[int, list[orm.AttachmentRow]]:
        out: dict[int, list[orm.AttachmentRow]] = {}
        if not entry_ids:
            return out
        for r in self.s.scalars(select(orm.AttachmentRow).where(orm.AttachmentRow.entry_id.in_(entry_ids))
                                .order_by(orm.AttachmentRow.id)):
            out.setdefault(r.entry_id, []).append(r)
        return out

    # -- audit -----------------------------------------------------------------------
    def audit(self, *, actor: str, action: str, object_type: str, object_id, now: datetime,
              coop: str | None = None, exercice: str | None = None, before: dict | None = None,
              after: dict | None = None, reason: str = "") -> None:
        self.s.add(orm.AuditRow(at=now, actor=actor, action=action, coop_code=coop, exercice=exercice,
                                object_type=object_type, object_id=str(object_id), before=before,
                                after=after, reason=reason))

    def audit_many(self, rows: list[dict]) -> None:
        """Bulk audit records (an import audits each entry it creates)."""
        if rows:
            self.s.execute(insert(orm.AuditRow), rows)

