"""SQLAlchemy 2 typed ORM tables. Amounts are BIGINT cents; every table is created by an
Alembic migration (``storage/migrations``), never by ``create_all`` in production."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Date, DateTime, ForeignKey,
                        Integer, JSON, LargeBinary, String, Text, UniqueConstraint, Index, text)
from sqlalchemy import literal_column
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class AdRow(Base):
    __tablename__ = "ad"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class AccountRow(Base):
    """An AD's own chart of accounts; an AD without rows uses the packaged OCCE chart."""
    __tablename__ = "ad_account"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ad_code: Mapped[str] = mapped_column(ForeignKey("ad.code", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(12))
    code_occe: Mapped[str] = mapped_column(String(8), default="")
    libelle: Mapped[str] = mapped_column(String(200))
    classe: Mapped[str] = mapped_column(String(12))
    rubrique: Mapped[str] = mapped_column(String(100))
    __table_args__ = (UniqueConstraint("ad_code", "code"),)


class CoopRow(Base):
    __tablename__ = "coop"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    ad_code: Mapped[str] = mapped_column(ForeignKey("ad.code"), index=True)
    numbering: Mapped[str] = mapped_column(String(8), default="unique")
    training: Mapped[bool] = mapped_column(Boolean, default=False)


class ExerciceRow(Base):
    __tablename__ = "exercice"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    coop_code: Mapped[str] = mapped_column(ForeignKey("coop.code"), index=True)
    name: Mapped[str] = mapped_column(String(9))
    opening_bank: Mapped[int] = mapped_column(BigInteger, default=0)
    opening_cash: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[str] = mapped_column(String(10), default="ouvert")
    version: Mapped[int] = mapped_column(Integer, default=1)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    submitted_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    verificateurs: Mapped[list | None] = mapped_column(JSON, nullable=True)
    # The last submission's signature block ("Fait à …, le …"), migration 0006: with
    # submitted_at/_by and verificateurs, the source of ``submission.submission_info``.
    signature_place: Mapped[str | None] = mapped_column(String(100), nullable=True)
    signed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # One name per school year (``2025-2026``), so one exercice per coop and period: migration
    # 0007 (PostgreSQL: this CHECK; SQLite: the same predicate as triggers).
    __table_args__ = (UniqueConstraint("coop_code", "name"),
                      CheckConstraint("CASE WHEN length(name) = 9 AND substr(name, 5, 1) = '-' AND "
                                      "replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(name, '0', ''), '1', ''), '2', ''), '3', ''), '4', ''), '5', ''), '6', ''), '7', ''), '8', ''), '9', '') = '-' "
                                      "THEN CAST(substr(name, 6, 4) AS INTEGER) = CAST(substr(name, 1, 4) AS INTEGER) + 1 "
                                      "ELSE 1 = 0 END", name="ck_exercice_name"))


class EntryRow(Base):
    __tablename__ = "entry"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # no index of its own: ix_entry_exercice_scan leads with it (migration 0013)
    exercice_id: Mapped[int] = mapped_column(ForeignKey("exercice.id"))
    piece: Mapped[str] = mapped_column(String(20))
    date: Mapped[date] = mapped_column(Date)
    libelle: Mapped[str] = mapped_column(String(200))
    tiers: Mapped[str] = mapped_column(String(200), default="")
    mode: Mapped[str] = mapped_column(String(12), default="")
    cheque: Mapped[str] = mapped_column(String(20), default="")
    # The entry's treasury movements (signed cents), copied from its 512/530 postings when
    # it is written. Balances, pointage, alerts and AD-wide analyses scan these narrow
    # columns instead of joining every posting; the CRF compares both projections on every
    # computation (its invariant), so a disagreement cannot go unnoticed.
    bank: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    cash: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    pointed: Mapped[bool] = mapped_column(Boolean, default=False)
    statement_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    changed_after_pointage: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(String(100))
    postings: Mapped[list["PostingRow"]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="PostingRow.line",
        lazy="selectin")
    __table_args__ = (UniqueConstraint("exercice_id", "piece", name="uq_entry_piece"),)


class PostingRow(Base):
    __tablename__ = "posting"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    account: Mapped[str] = mapped_column(String(12))
    amount: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(100), default="")
    entry: Mapped[EntryRow] = relationship(back_populates="postings")
    __table_args__ = (CheckConstraint("amount <> 0", name="ck_posting_nonzero"),)


class DeletedPieceRow(Base):
    """A pièce deleted from an exercice: its number is never handed out again (0008)."""
    __tablename__ = "deleted_piece"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exercice_id: Mapped[int] = mapped_column(ForeignKey("exercice.id", ondelete="CASCADE"))
    piece: Mapped[str] = mapped_column(String(20))
    entry_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    libelle: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)
    deleted_at: Mapped[datetime] = mapped_column(DateTime)
    deleted_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (UniqueConstraint("exercice_id", "piece", name="uq_deleted_piece"),)


class ColumnMappingRow(Base):
    """A spreadsheet column mapping an AD saved for its coops' imports (0012); ``mapping``
    is its JSON (``io.spreadsheet.Mapping.to_json``)."""
    __tablename__ = "column_mapping"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ad_code: Mapped[str] = mapped_column(String(16), ForeignKey("ad.code", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    mapping: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[datetime] = mapped_column(DateTime)
    saved_by: Mapped[str] = mapped_column(String(100))
    __table_args__ = (UniqueConstraint("ad_code", "name", name="uq_column_mapping"),)


class CashCountRow(Base):
    __tablename__ = "cash_count"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exercice_id: Mapped[int] = mapped_column(ForeignKey("exercice.id"), index=True)
    date: Mapped[date] = mapped_column(Date)
    counts: Mapped[dict] = mapped_column(JSON)  # {"5000": 3, ...} denomination cents -> number
    total: Mapped[int] = mapped_column(BigInteger)
    book_balance: Mapped[int] = mapped_column(BigInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class SubsidyRow(Base):
    __tablename__ = "subsidy"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exercice_id: Mapped[int] = mapped_column(ForeignKey("exercice.id"), index=True)
    grantor: Mapped[str] = mapped_column(String(200))
    grantor_type: Mapped[str] = mapped_column(String(40))
    object: Mapped[str] = mapped_column(String(300))
    amount: Mapped[int] = mapped_column(BigInteger)
    date_received: Mapped[date] = mapped_column(Date)
    entry_piece: Mapped[str] = mapped_column(String(20), default="")
    proof: Mapped[str] = mapped_column(String(64), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)


class BlobRow(Base):
    """Attachment content, stored once per SHA-256 whatever the number of links."""
    __tablename__ = "blob"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    mime: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class AttachmentRow(Base):
    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256"))
    filename: Mapped[str] = mapped_column(String(255))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (UniqueConstraint("entry_id", "sha256"),)


class AuditRow(Base):
    """Who did what, when, with the record before and after (JSON)."""
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    coop_code: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    exercice: Mapped[str | None] = mapped_column(String(9), nullable=True)
    object_type: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")


class HistorySeenRow(Base):
    """How far one person has acknowledged a coop's history: the id of the last audit
    record the dashboard's notice showed them (migration 0010)."""
    __tablename__ = "history_seen"
    login: Mapped[str] = mapped_column(String(64), primary_key=True)
    coop_code: Mapped[str] = mapped_column(ForeignKey("coop.code", ondelete="CASCADE"), primary_key=True)
    audit_id: Mapped[int] = mapped_column(Integer)
    seen_at: Mapped[datetime] = mapped_column(DateTime)


# The history of one coop, newest first, a page at a time; the notice's "rows after id N" (0010).
Index("ix_audit_log_coop_id", AuditRow.coop_code, AuditRow.id)


# Covering indexes for the year-long scans (migration 0004, figures in docs/analysis.md):
# per-exercice scans of entry (balances, pointage, AD analysis) read only the index; its
# (exercice_id, date, id) prefix keeps the ledger's ORDER BY date, id free of sorts. The two
# partial ones hold the cash lines (cash balance and deposit searches, in date order) and
# the charge/produit postings (per-account sums). A query uses a partial index only when
# its WHERE repeats the predicate as written here (inline constants, not parameters).
# Migration 0013 added piece, cheque and changed_after_pointage: the CRF's balance walk and
# the filter of its review read the index only (a coop's entries are scattered in the heap).
Index("ix_entry_exercice_scan", EntryRow.exercice_id, EntryRow.date, EntryRow.id, EntryRow.bank, EntryRow.cash,
      EntryRow.pointed, EntryRow.statement_date, EntryRow.piece, EntryRow.cheque, EntryRow.changed_after_pointage)
Index("ix_entry_cash_lines", EntryRow.exercice_id, EntryRow.date, EntryRow.cash, EntryRow.bank,
      sqlite_where=text("cash <> 0"), postgresql_where=text("cash <> 0"))
Index("ix_posting_ventilation", PostingRow.entry_id, PostingRow.account, PostingRow.amount,
      sqlite_where=text("account NOT IN ('512', '530')"), postgresql_where=text("account NOT IN ('512', '530')"))


def is_ventilation(posting=PostingRow):
    """The WHERE of ``ix_posting_ventilation`` (charge and produit postings), with inline
    constants so that the database can use that index: the CRF's per-account totals and
    the AD analysis read it without touching the posting table. (Without it, PostgreSQL
    joined one coop's 5,000 entries to EVERY posting of the database with a seq scan.)"""
    return posting.account.not_in([literal_column("'512'"), literal_column("'530'")])


class UserRow(Base):
    """A person who logs in: kept in Retkoop's database, not the Hub's.

    ``coop_code`` for a mandataire, ``ad_code`` for AD staff / analysts (NULL for an analyst:
    refused unless the hub lists them in ``RETKOOP_NATIONAL_ANALYSTS``),
    formateurs see training coops. Lockout state lives here so a restart does not clear it.
    """
    __tablename__ = "app_user"
    login: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))  # mandataire | admin-ad | formateur | analyste
    coop_code: Mapped[str | None] = mapped_column(ForeignKey("coop.code"), nullable=True, index=True)
    ad_code: Mapped[str | None] = mapped_column(ForeignKey("ad.code"), nullable=True, index=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    # Deferred: loading an account never reads its hash; only the code that checks or
    # changes a password touches it, so the dashboards' PostgreSQL role, which may not
    # SELECT this column (hub/db_roles.py), can still list, create and reset accounts.
    password_hash: Mapped[str] = mapped_column(String(255), deferred=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    last_login: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class DurableGoodRow(Base):
    """A line of the inventory register of durable goods (``domain/inventory.py``).

    Why the coop and not an exercice: a good outlives the exercice that bought it (a
    tablet stays five years), so the register belongs to the coop (``coop_code``). Its
    acquisition exercice is the one containing ``acquired_on`` (``exercice.name_for``),
    derived rather than stored, so it can never disagree with the date; goods carried over
    from a paper register may predate every exercice known to Retkoop. ``entry_id`` is the
    expense on account 68 that bought it (nullable: old goods, gifts); ON DELETE SET NULL
    because deleting that entry must not delete the good: the register-vs-68 check then
    shows the good without a pièce. ``value`` is the whole line's value in cents.
    """
    __tablename__ = "durable_good"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    coop_code: Mapped[str] = mapped_column(ForeignKey("coop.code"))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id", ondelete="SET NULL"), nullable=True,
                                                 index=True)
    designation: Mapped[str] = mapped_column(String(200))
    acquired_on: Mapped[date] = mapped_column(Date)
    value: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    location: Mapped[str] = mapped_column(String(100), default="")
    disposed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    disposal_reason: Mapped[str] = mapped_column(String(20), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(String(100))
    __table_args__ = (CheckConstraint("value > 0", name="ck_durable_good_value"),
                      CheckConstraint("quantity >= 1", name="ck_durable_good_quantity"),
                      Index("ix_durable_good_coop_acquired", "coop_code", "acquired_on"))


class CoopChangeRow(Base):
    """One counter per coop, bumped by a database trigger on every ``audit_log`` insert that
    names the coop (migration 0011; on PostgreSQL the trigger also ``pg_notify``s): what an
    open dashboard compares to know that someone else changed the books. Never written by
    our code: the trigger is the one writer, inside the changing transaction."""
    __tablename__ = "coop_change"
    coop_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class PresenceRow(Base):
    """One open dashboard (« ad76 consulte aussi ce cahier »): a heartbeat row that expires.
    Not the books: never audited (a heartbeat must not look like a change)."""
    __tablename__ = "presence"
    session: Mapped[str] = mapped_column(String(32), primary_key=True)
    coop_code: Mapped[str] = mapped_column(String(32))
    login: Mapped[str] = mapped_column(String(100))
    seen_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (Index("ix_presence_coop_seen", "coop_code", "seen_at"),)
