"""The repository: domain records in, domain records out. Rows never leave this module
(and the unit of work), so services and widgets see only ``Entry``, ``Exercice``…"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String, and_, delete, func, insert, or_, select, type_coerce
from sqlalchemy.orm import Session

from ..domain.cash import CashCount
from ..domain.chart import BANK, CASH, Account, Chart, default_chart
from ..domain.ledger import TreasuryLine
from ..domain.entry import Entry, Posting
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

    def account_totals(self, exercice_id: int) -> dict[str, int]:
        """Signed total per charge/produit account for an exercice: one GROUP BY over the
        covering index ``ix_posting_ventilation`` (treasury totals come from ``entry.bank``
        and ``entry.cash``: see ``treasury_movements``)."""
        e, p = orm.EntryRow, orm.PostingRow
        q = (select(p.account, func.sum(p.amount)).join(e, e.id == p.entry_id)
             .where(e.exercice_id == exercice_id, orm.is_ventilation(p)).group_by(p.account))
        return {a: int(t) for a, t in self.s.connection().execute(q).all()}

    def treasury_movements(self, exercice_id: int) -> list[tuple]:
        """Every entry's ``(date, pièce, id, bank, cash)``: the CRF's balance walk. One narrow
        scan of ``entry`` (its ``bank``/``cash`` columns, migration 0003), plain tuples, each
        day's date object built once (a year has ≤ 366 distinct days, 5,000 lines)."""
        e = orm.EntryRow
        rows = self.s.connection().execute(
            select(_raw(e.date), e.piece, e.id, e.bank, e.cash).where(e.exercice_id == exercice_id)).all()
        days: dict = {}
        out = []
        for d, piece, entry_id, bank, cash in rows:
            day = days.get(d)
            if day is None:
                day = days[d] = _day(d)
            out.append((day, piece, entry_id, bank, cash))
        return out

    def treasury_details(self, exercice_id: int, today: date) -> list[TreasuryLine]:
        """The full lines ``ledger.review_treasury`` reports on, and only those: unpointed
        bank lines, cheques paid out, lines dated after ``today``, lines changed after
        pointage. (Every other line matters to the CRF only through its movements.)"""
        e = orm.EntryRow
        wanted = or_(and_(e.bank != 0, e.pointed.is_(False)), and_(e.cheque != "", e.bank < 0),
                     e.date > today, e.changed_after_pointage.is_(True))
        rows = self.s.connection().execute(
            select(e.id, e.piece, _raw(e.date), e.libelle, e.bank, e.cash, e.cheque, e.pointed,
                   _raw(e.statement_date), e.changed_after_pointage)
            .where(e.exercice_id == exercice_id, wanted)).all()
        return [TreasuryLine(r[1], _day(r[2]), r[3], r[4], r[5], r[6] or "", bool(r[7]), _day(r[8]), bool(r[9]), r[0])
                for r in rows]

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
        rows = self.s.scalars(select(orm.CashCountRow).where(orm.CashCountRow.exercice_id == exercice_id)
                              .order_by(orm.CashCountRow.date, orm.CashCountRow.id)).all()
        return [to_count(r) for r in rows]

    def subsidies(self, exercice_id: int) -> list[Subsidy]:
        rows = self.s.scalars(select(orm.SubsidyRow).where(orm.SubsidyRow.exercice_id == exercice_id)
                              .order_by(orm.SubsidyRow.date_received, orm.SubsidyRow.id)).all()
        return [to_subsidy(r) for r in rows]

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

