"""The repository: domain records in, domain records out. Rows never leave ``storage/``:
services see ``Entry``, ``Exercice``, ``Subsidy``… and the small records of
``storage.records`` (``Coop``, ``Ad``, ``StoredEntry``, ``Submission``…).

Every method the services call is mirrored by the in-memory fake of the tests
(``tests/fakes.py``): a method added here for a new use case is added there too (the
fake-backed service tests then fail loudly on an ``AttributeError`` until it is)."""
from __future__ import annotations

from datetime import date, datetime

from typing import Collection

from sqlalchemy import String, and_, case, delete, func, insert, or_, select, type_coerce
from sqlalchemy.orm import Session

from ..domain.cash import CashCount
from ..domain.chart import Account, Chart, default_chart
from ..domain.ledger import TreasuryLine
from ..domain.entry import Entry, Posting
from ..domain.inventory import DurableExpense
from ..domain.numbering import DeletedPiece
from ..domain.exercice import Exercice
from ..domain.subsidy import Subsidy
from . import orm
from .accounts_repo import AccountsRepository
from .aggregates import ventilation_postings
from .inventory_repo import InventoryRepository
from .live import LiveRepository
from .records import Ad, Attachment, AuditRecord, Coop, SavedMapping, StoredEntry, Submission


def to_exercice(row: orm.ExerciceRow) -> Exercice:
    return Exercice(coop=row.coop_code, name=row.name, opening_bank=row.opening_bank,
                    opening_cash=row.opening_cash, state=row.state, id=row.id, version=row.version)


def to_coop(row: orm.CoopRow) -> Coop:
    return Coop(code=row.code, name=row.name, ad_code=row.ad_code, numbering=row.numbering,
                training=bool(row.training))


def to_submission(row: orm.ExerciceRow) -> Submission:
    return Submission(submitted_at=row.submitted_at, submitted_by=row.submitted_by or "",
                      verificateurs=tuple(row.verificateurs or ()), place=row.signature_place or "",
                      signed_on=row.signed_on)


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


def _audit_record(r: orm.AuditRow) -> AuditRecord:
    return AuditRecord(r.at, r.actor, r.action, r.object_type, r.object_id, r.exercice, r.before, r.after,
                       r.reason or "", r.id, r.coop_code)


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


class Repository(InventoryRepository, AccountsRepository, LiveRepository):
    def __init__(self, session: Session):
        self.s = session

    # -- AD, chart, coop -------------------------------------------------------------
    def ad(self, code: str) -> Ad | None:
        row = self.s.get(orm.AdRow, code)
        return Ad(row.code, row.name) if row else None

    def ads(self) -> list[Ad]:
        return [Ad(r.code, r.name) for r in self.s.scalars(select(orm.AdRow).order_by(orm.AdRow.code))]

    def add_ad(self, ad: Ad) -> None:
        self.s.add(orm.AdRow(code=ad.code, name=ad.name))

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

    def coop(self, code: str) -> Coop | None:
        row = self.s.get(orm.CoopRow, code)
        return to_coop(row) if row else None

    def add_coop(self, coop: Coop) -> None:
        self.s.add(orm.CoopRow(code=coop.code, name=coop.name, ad_code=coop.ad_code, numbering=coop.numbering,
                               training=coop.training))

    def coops(self, ad_code: str | None = None, include_training: bool = True) -> list[Coop]:
        q = select(orm.CoopRow).order_by(orm.CoopRow.code)
        if ad_code:
            q = q.where(orm.CoopRow.ad_code == ad_code)
        if not include_training:
            q = q.where(orm.CoopRow.training.is_(False))
        return [to_coop(r) for r in self.s.scalars(q)]

    def coops_by_code(self, codes: list[str]) -> dict[str, Coop]:
        """Many coops by code (bounded IN lists: a national overview has tens of thousands)."""
        out: dict[str, Coop] = {}
        for chunk in _chunks(codes):
            out.update((r.code, to_coop(r))
                       for r in self.s.scalars(select(orm.CoopRow).where(orm.CoopRow.code.in_(chunk))))
        return out

    def mandataire_names(self, coop: str) -> list[str]:
        """Full names (else logins) of the coop's mandataire accounts, by login."""
        rows = self.s.scalars(select(orm.UserRow).where(
            orm.UserRow.coop_code == coop, orm.UserRow.role == "mandataire").order_by(orm.UserRow.login))
        return [(r.full_name or r.login) for r in rows]

    # -- exercices -------------------------------------------------------------------
    def exercice(self, coop: str, name: str, *, lock: bool = False) -> Exercice | None:
        """``lock``: PostgreSQL row lock (``FOR UPDATE``) until the unit of work ends, so
        writers of one exercice serialise (SQLite is already serialised by BEGIN IMMEDIATE)."""
        row = self.exercice_row(coop, name, lock=lock)
        return to_exercice(row) if row is not None else None

    def exercice_by_id(self, exercice_id: int) -> Exercice | None:
        row = self.s.get(orm.ExerciceRow, exercice_id)
        return to_exercice(row) if row is not None else None

    def exercice_row(self, coop: str, name: str, *, lock: bool = False) -> orm.ExerciceRow | None:
        """The row itself: storage-internal (and ``bench/ledger.py``); services call ``exercice``."""
        q = select(orm.ExerciceRow).where(orm.ExerciceRow.coop_code == coop, orm.ExerciceRow.name == name)
        if lock:
            q = q.with_for_update()  # PostgreSQL row lock; SQLite is already serialised by BEGIN IMMEDIATE
        return self.s.scalars(q).first()

    def exercices(self, coop: str) -> list[Exercice]:
        return [to_exercice(r) for r in self.s.scalars(select(orm.ExerciceRow).where(orm.ExerciceRow.coop_code == coop)
                                                      .order_by(orm.ExerciceRow.name))]

    def exercices_of(self, coops: list[str]) -> list[Exercice]:
        """Every exercice of these coops, by coop then name."""
        out: list[orm.ExerciceRow] = []
        for chunk in _chunks(coops):
            out.extend(self.s.scalars(select(orm.ExerciceRow).where(orm.ExerciceRow.coop_code.in_(chunk))))
        return [to_exercice(r) for r in sorted(out, key=lambda r: (r.coop_code, r.name))]

    def add_exercice(self, ex: Exercice) -> Exercice:
        row = orm.ExerciceRow(coop_code=ex.coop, name=ex.name, opening_bank=ex.opening_bank,
                              opening_cash=ex.opening_cash, state=ex.state, version=ex.version)
        self.s.add(row)
        self.s.flush()
        return to_exercice(row)

    def save_exercice(self, ex: Exercice) -> None:
        """Write the exercice's state, opening balances and version (the caller bumps it)."""
        row = self.s.get(orm.ExerciceRow, ex.id)
        row.state, row.version = ex.state, ex.version
        row.opening_bank, row.opening_cash = ex.opening_bank, ex.opening_cash

    def submission(self, exercice_id: int) -> Submission:
        return to_submission(self.s.get(orm.ExerciceRow, exercice_id))

    def submissions_many(self, ids: list[int]) -> dict[int, Submission]:
        out: dict[int, Submission] = {}
        for chunk in _chunks(ids):
            out.update((r.id, to_submission(r))
                       for r in self.s.scalars(select(orm.ExerciceRow).where(orm.ExerciceRow.id.in_(chunk))))
        return out

    def save_submission(self, exercice_id: int, sub: Submission | None) -> None:
        """Record (or, with None, forget) the exercice's submission."""
        sub = sub or Submission()
        row = self.s.get(orm.ExerciceRow, exercice_id)
        row.submitted_at, row.submitted_by = sub.submitted_at, sub.submitted_by or None
        row.verificateurs = list(sub.verificateurs) if sub.submitted_at else None
        row.signature_place, row.signed_on = sub.place or None, sub.signed_on

    def delete_exercice_contents(self, exercice_ids: list[int]) -> dict[str, int]:
        """Delete the entries (postings, attachment links), cash counts and subsidies of
        these exercices; returns how many of each there were (a sandbox reset's audit)."""
        e = orm.EntryRow
        counted = {
            "ecritures": self.s.scalar(select(func.count()).select_from(e).where(e.exercice_id.in_(exercice_ids))),
            "arretes_de_caisse": self.s.scalar(select(func.count()).select_from(orm.CashCountRow)
                                               .where(orm.CashCountRow.exercice_id.in_(exercice_ids))),
            "subventions": self.s.scalar(select(func.count()).select_from(orm.SubsidyRow)
                                         .where(orm.SubsidyRow.exercice_id.in_(exercice_ids)))}
        entry_ids = select(e.id).where(e.exercice_id.in_(exercice_ids))
        self.s.execute(delete(orm.AttachmentRow).where(orm.AttachmentRow.entry_id.in_(entry_ids)))
        self.s.execute(delete(orm.PostingRow).where(orm.PostingRow.entry_id.in_(entry_ids)))
        self.s.execute(delete(e).where(e.exercice_id.in_(exercice_ids)))
        self.s.execute(delete(orm.CashCountRow).where(orm.CashCountRow.exercice_id.in_(exercice_ids)))
        self.s.execute(delete(orm.SubsidyRow).where(orm.SubsidyRow.exercice_id.in_(exercice_ids)))
        self.s.execute(delete(orm.DeletedPieceRow).where(orm.DeletedPieceRow.exercice_id.in_(exercice_ids)))
        return counted

    def delete_exercice(self, exercice_id: int) -> None:
        self.s.delete(self.s.get(orm.ExerciceRow, exercice_id))
        self.s.flush()

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

    def late_bank_lines_many(self, ends: dict[int, date]) -> dict[int, list[TreasuryLine]]:
        """Per exercice id: its bank lines NOT on the statement of its end (``ends[id]``):
        unpointed, or pointed on a statement dated after that end — what a LATER
        exercice's reconciliation may still have to carry (``ledger.review_treasury``'s
        ``carried``). A narrow scan, chunked like the others; few rows come back."""
        e = orm.EntryRow
        ids = list(ends)
        out: dict[int, list[TreasuryLine]] = {i: [] for i in ids}
        for chunk in _chunks(ids):
            by_end: dict[date, list[int]] = {}
            for i in chunk:
                by_end.setdefault(ends[i], []).append(i)
            late = [and_(_among(e.exercice_id, xs), e.statement_date > end) for end, xs in by_end.items()]
            for r in self.s.connection().execute(
                    select(e.exercice_id, e.id, e.piece, _raw(e.date), e.libelle, e.bank, e.cash, e.cheque,
                           e.pointed, _raw(e.statement_date), e.changed_after_pointage)
                    .where(_among(e.exercice_id, chunk), e.bank != 0, or_(e.pointed.is_(False), *late))).all():
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
        e = orm.EntryRow
        totals: dict[int, dict[str, int]] = {i: {} for i in ids}
        parts: list[tuple[int, str, int, int]] = []
        v = ventilation_postings(self.s.connection().dialect.name)  # cost ∝ entries asked (aggregates.py)
        on_durable = case((v.account.in_(list(durable_codes) or ["-"]), e.id)).label("durable_entry")
        for chunk in _chunks(ids):
            q = (select(e.exercice_id, v.account, on_durable, func.sum(v.amount)).select_from(v.source)
                 .where(_among(e.exercice_id, chunk), v.where)
                 .group_by(e.exercice_id, v.account, on_durable))
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

    def stored_entry(self, entry_id: int) -> StoredEntry | None:
        """The entry as stored now (re-read, not the session's cached copy), with its
        exercice id and last writer."""
        row = self.s.scalars(select(orm.EntryRow).where(orm.EntryRow.id == entry_id)
                             .execution_options(populate_existing=True)).first()
        if row is None:
            return None
        return StoredEntry(to_entry(row), row.exercice_id, row.updated_by, row.updated_at)

    def entry_by_piece(self, exercice_id: int, piece: str) -> Entry | None:
        row = self.s.scalars(select(orm.EntryRow).where(orm.EntryRow.exercice_id == exercice_id,
                                                        orm.EntryRow.piece == piece)).first()
        return to_entry(row) if row is not None else None

    def pieces(self, exercice_id: int) -> list[str]:
        """Every number used in the exercice: live pièces and deleted ones (never reused)."""
        live = self.s.scalars(select(orm.EntryRow.piece).where(orm.EntryRow.exercice_id == exercice_id))
        gone = self.s.scalars(select(orm.DeletedPieceRow.piece).where(orm.DeletedPieceRow.exercice_id == exercice_id))
        return [*live, *gone]

    def deleted_pieces(self, exercice_id: int) -> list[DeletedPiece]:
        r = orm.DeletedPieceRow
        return [DeletedPiece(x.piece, x.entry_date, x.libelle, x.amount, x.deleted_at, x.deleted_by, x.reason)
                for x in self.s.scalars(select(r).where(r.exercice_id == exercice_id).order_by(r.id))]

    def add_deleted_piece(self, exercice_id: int, d: DeletedPiece) -> None:
        self.s.add(orm.DeletedPieceRow(exercice_id=exercice_id, piece=d.piece, entry_date=d.entry_date,
                                       libelle=d.libelle[:200], amount=d.amount, deleted_at=d.deleted_at,
                                       deleted_by=d.deleted_by[:100], reason=d.reason))

    def column_mappings(self, ad: str) -> list[SavedMapping]:
        """The column mappings the AD saved, by name."""
        r = orm.ColumnMappingRow
        return [SavedMapping(x.ad_code, x.name, x.mapping, x.saved_at, x.saved_by)
                for x in self.s.scalars(select(r).where(r.ad_code == ad).order_by(r.name))]

    def save_column_mapping(self, m: SavedMapping) -> bool:
        """Store a mapping under its name (replacing one of the same name); True if replaced."""
        r = orm.ColumnMappingRow
        row = self.s.scalar(select(r).where(r.ad_code == m.ad, r.name == m.name))
        if row is None:
            self.s.add(r(ad_code=m.ad, name=m.name, mapping=m.mapping, saved_at=m.saved_at, saved_by=m.saved_by))
            return False
        row.mapping, row.saved_at, row.saved_by = m.mapping, m.saved_at, m.saved_by
        return True

    def cheques(self, coop: str) -> list[str]:
        """Cheque numbers issued by the coop (bank out), all exercices: the chequebook continues."""
        q = (select(orm.EntryRow.cheque).join(orm.ExerciceRow)
             .join(orm.PostingRow, orm.PostingRow.entry_id == orm.EntryRow.id)
             .where(orm.ExerciceRow.coop_code == coop, orm.EntryRow.cheque != "",
                    orm.PostingRow.account == "512", orm.PostingRow.amount < 0))
        return list(self.s.scalars(q))

    def add_entries(self, exercice_id: int, entries: list[Entry], actor: str, now: datetime) -> list[int]:
        """Insert entries and their postings in two bulk statements; returns the new ids
        in the order given (an import of 5,000 entries is two round trips, not 10,000).

        Core inserts on the session's connection, not ORM bulk inserts: the ORM splits the
        rows into one statement per run of rows with the same NULL columns (every change
        between a pointed and an unpointed line) and splices the RETURNING results one run
        at a time, each splice copying all the rows before it: an import was quadratic
        (402 entries/s at 20,000 entries against 724 at 2,000; bench/ledger.py)."""
        if not entries:
            return []
        entry, posting = orm.EntryRow.__table__, orm.PostingRow.__table__
        conn = self.s.connection()
        ids = list(conn.scalars(
            insert(entry).returning(entry.c.id, sort_by_parameter_order=True),
            [{"exercice_id": exercice_id, "piece": e.piece, "date": e.date, "libelle": e.libelle,
              "bank": e.bank, "cash": e.cash,
              "tiers": e.tiers, "mode": e.mode, "cheque": e.cheque, "pointed": e.pointed,
              "statement_date": e.statement_date, "changed_after_pointage": e.changed_after_pointage,
              "version": 1, "created_at": now, "created_by": actor, "updated_at": now, "updated_by": actor}
             for e in entries]))
        conn.execute(insert(posting),
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

    def update_entry(self, entry_id: int, e: Entry, actor: str, now: datetime) -> int:
        """Replace the entry's content and postings; returns its new version."""
        row = self.s.get(orm.EntryRow, entry_id)
        self._fill(row, e)
        row.version += 1
        row.updated_at, row.updated_by = now, actor
        self.s.flush()
        return row.version

    def set_pointed(self, entry_id: int, pointed: bool, statement_date: date | None, actor: str,
                    now: datetime) -> int:
        """Tick or untick one bank line; returns its new version."""
        row = self.s.get(orm.EntryRow, entry_id)
        row.pointed, row.statement_date = pointed, statement_date
        row.version += 1
        row.updated_at, row.updated_by = now, actor
        return row.version

    def delete_entry(self, entry_id: int) -> None:
        self.s.delete(self.s.get(orm.EntryRow, entry_id))

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

    def add_cash_count(self, exercice_id: int, count: CashCount) -> CashCount:
        row = orm.CashCountRow(exercice_id=exercice_id, date=count.date,
                               counts={str(k): v for k, v in count.counts.items()}, total=count.total,
                               book_balance=count.book_balance, comment=count.comment, author=count.author,
                               recorded_at=count.recorded_at)
        self.s.add(row)
        self.s.flush()
        return to_count(row)

    def subsidy(self, subsidy_id: int) -> tuple[Subsidy, int] | None:
        """The subsidy and its exercice id."""
        row = self.s.get(orm.SubsidyRow, subsidy_id)
        return (to_subsidy(row), row.exercice_id) if row is not None else None

    def add_subsidy(self, exercice_id: int, s: Subsidy) -> Subsidy:
        row = orm.SubsidyRow(exercice_id=exercice_id, version=1)
        self._fill_subsidy(row, s)
        self.s.add(row)
        self.s.flush()
        return to_subsidy(row)

    def update_subsidy(self, subsidy_id: int, s: Subsidy) -> Subsidy:
        """Replace the subsidy's fields; its version goes up by one."""
        row = self.s.get(orm.SubsidyRow, subsidy_id)
        self._fill_subsidy(row, s)
        row.version += 1
        self.s.flush()
        return to_subsidy(row)

    @staticmethod
    def _fill_subsidy(row: orm.SubsidyRow, s: Subsidy) -> None:
        row.grantor, row.grantor_type, row.object, row.amount = s.grantor, s.grantor_type, s.object, s.amount
        row.date_received, row.entry_piece, row.proof = s.date_received, s.entry_piece, s.proof

    def delete_subsidy(self, subsidy_id: int) -> None:
        self.s.delete(self.s.get(orm.SubsidyRow, subsidy_id))

    # -- files -----------------------------------------------------------------------
    def has_blob(self, sha256: str) -> bool:
        return self.s.get(orm.BlobRow, sha256) is not None

    def add_blob(self, sha256: str, mime: str, content: bytes) -> None:
        """Store a file's bytes once: nothing happens when the hash is already stored."""
        if not self.has_blob(sha256):
            self.s.add(orm.BlobRow(sha256=sha256, mime=mime, size=len(content), content=content))

    def blob_of_coop(self, coop: str, sha256: str) -> tuple[str, bytes] | None:
        """A file's (mime, bytes), only if an entry or a subsidy of ``coop`` links to it."""
        linked = self.s.scalars(
            select(orm.AttachmentRow.id).join(orm.EntryRow).join(orm.ExerciceRow)
            .where(orm.AttachmentRow.sha256 == sha256, orm.ExerciceRow.coop_code == coop)).first()
        linked = linked or self.s.scalars(
            select(orm.SubsidyRow.id).join(orm.ExerciceRow)
            .where(orm.SubsidyRow.proof == sha256, orm.ExerciceRow.coop_code == coop)).first()
        b = self.s.get(orm.BlobRow, sha256)
        if not linked or b is None:
            return None
        return b.mime, b.content

    def attachment_name(self, entry_id: int, sha256: str) -> str | None:
        """The file name under which this file is already joined to the entry, if it is."""
        return self.s.scalars(select(orm.AttachmentRow.filename).where(
            orm.AttachmentRow.entry_id == entry_id, orm.AttachmentRow.sha256 == sha256)).first()

    def add_attachment(self, entry_id: int, sha256: str, filename: str, actor: str, now: datetime) -> None:
        self.s.add(orm.AttachmentRow(entry_id=entry_id, sha256=sha256, filename=filename[:255],
                                     uploaded_by=actor, uploaded_at=now))

    def remove_attachment(self, attachment_id: int) -> None:
        self.s.execute(delete(orm.AttachmentRow).where(orm.AttachmentRow.id == attachment_id))

    def attachments(self, entry_ids: list[int]) -> dict[int, list[Attachment]]:
        out: dict[int, list[Attachment]] = {}
        for chunk in _chunks(entry_ids):
            for r in self.s.scalars(select(orm.AttachmentRow).where(orm.AttachmentRow.entry_id.in_(chunk))
                                    .order_by(orm.AttachmentRow.id)):
                out.setdefault(r.entry_id, []).append(
                    Attachment(r.id, r.entry_id, r.sha256, r.filename, r.uploaded_by, r.uploaded_at))
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
            self.s.connection().execute(insert(orm.AuditRow.__table__), rows)

    def audit_log(self, coop: str, limit: int = 200) -> list[AuditRecord]:
        """The coop's audit records, newest first."""
        rows = self.s.scalars(select(orm.AuditRow).where(orm.AuditRow.coop_code == coop)
                              .order_by(orm.AuditRow.id.desc()).limit(limit))
        return [AuditRecord(r.at, r.actor, r.action, r.object_type, r.object_id, r.exercice, r.before, r.after,
                            r.reason or "") for r in rows]

    def audit_records(self, coop: str, *, exercice: str | None = None, since: datetime | None = None,
                      after_id: int | None = None, before_id: int | None = None, actor: str | None = None,
                      not_actor: str | None = None, limit: int = 50) -> list[AuditRecord]:
        """One page of the coop's history, newest first (``ix_audit_log_coop_id``):
        ``exercice`` (and the coop's records of no exercice are left out then), ``since``
        (at or after), ``after_id`` / ``before_id`` (exclusive: the notice's "since seen",
        the next page), ``actor`` (one login's records), ``not_actor`` (everyone else's:
        the notice, which her own import of 10,000 lines must not push out of sight)."""
        a = orm.AuditRow
        q = select(a).where(a.coop_code == coop)
        if exercice is not None:
            q = q.where(a.exercice == exercice)
        if since is not None:
            q = q.where(a.at >= since)
        if after_id is not None:
            q = q.where(a.id > after_id)
        if before_id is not None:
            q = q.where(a.id < before_id)
        if actor is not None:
            q = q.where(a.actor == actor)
        if not_actor is not None:
            q = q.where(a.actor != not_actor)
        return [_audit_record(r) for r in self.s.scalars(q.order_by(a.id.desc()).limit(limit))]

    def actor_roles(self, logins: list[str]) -> dict[str, tuple[str, str | None, str | None]]:
        """{login: (role, coop, ad)} of the accounts among ``logins`` (who an audit record's
        actor was: « ad76 (AD76) »). Logins with no account (the CLI, the demo) are absent."""
        out: dict[str, tuple[str, str | None, str | None]] = {}
        for chunk in _chunks(sorted(set(logins))):
            for r in self.s.execute(select(orm.UserRow.login, orm.UserRow.role, orm.UserRow.coop_code,
                                           orm.UserRow.ad_code).where(orm.UserRow.login.in_(chunk))):
                out[r[0]] = (r[1], r[2], r[3])
        return out

    def history_seen(self, login: str, coop: str) -> int | None:
        """The id of the last audit record ``login`` acknowledged on ``coop`` (None: never)."""
        return self.s.scalar(select(orm.HistorySeenRow.audit_id).where(
            orm.HistorySeenRow.login == login, orm.HistorySeenRow.coop_code == coop))

    def set_history_seen(self, login: str, coop: str, audit_id: int, now: datetime) -> None:
        row = self.s.get(orm.HistorySeenRow, (login, coop))
        if row is None:
            self.s.add(orm.HistorySeenRow(login=login, coop_code=coop, audit_id=audit_id, seen_at=now))
        elif audit_id > row.audit_id:  # never back: an older page's click changes nothing
            row.audit_id, row.seen_at = audit_id, now

    def last_audit(self, coop: str, exercice: str, action: str) -> AuditRecord | None:
        """The newest audit record of one action on one exercice (its own indexed query:
        never lost behind a year of later records)."""
        a = orm.AuditRow
        r = self.s.scalars(select(a).where(a.coop_code == coop, a.exercice == exercice, a.action == action)
                           .order_by(a.id.desc()).limit(1)).first()
        if r is None:
            return None
        return AuditRecord(r.at, r.actor, r.action, r.object_type, r.object_id, r.exercice, r.before, r.after,
                           r.reason or "")
