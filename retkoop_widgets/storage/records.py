"""Small frozen records the repository hands out where the domain has no type of its
own (a coop, an AD, a stored entry's bookkeeping, an exercice's submission). They carry
plain values only: nothing here is attached to a database session, so a service can
keep one after its unit of work has ended, and the in-memory fake repository of the
tests builds the very same records."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from ..domain.entry import Entry


@dataclass(frozen=True)
class Ad:
    code: str
    name: str


@dataclass(frozen=True)
class Coop:
    code: str
    name: str
    ad_code: str
    numbering: str = "unique"
    training: bool = False


@dataclass(frozen=True)
class StoredEntry:
    """An entry as stored: the domain ``Entry`` plus where it lives and who changed it last
    (the stale-edit refusal names them)."""
    entry: Entry
    exercice_id: int
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class StoredGood:
    """A line of the inventory register as stored (``DurableGood`` with its pièce) plus its
    coop and who changed it last."""
    good: "object"  # domain.inventory.DurableGood
    coop_code: str
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class Attachment:
    id: int
    entry_id: int
    sha256: str
    filename: str
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True)
class Submission:
    """What the exercice row keeps of its last submission (migration 0006): when and by
    whom it was locked, the vérificateurs aux comptes and the "Fait à …, le …" line. A
    reopening keeps it (the PDF says "soumis auparavant le …"); a new submission replaces it."""
    submitted_at: datetime | None = None
    submitted_by: str = ""
    verificateurs: tuple[dict, ...] = field(default=())
    place: str = ""
    signed_on: date | None = None


@dataclass(frozen=True)
class AuditRecord:
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    exercice: str | None
    before: dict | None
    after: dict | None
    reason: str
    id: int = 0  # the audit_log row's id: pages of the history and the notice's "after id N"
    coop: str | None = None


@dataclass(frozen=True)
class UserRecord:
    """An account as stored (table ``app_user``): what ``services.accounts`` reads and
    writes back whole with ``Repository.save_user`` (the hash never leaves the services)."""
    login: str
    role: str
    coop: str | None
    ad: str | None
    full_name: str
    password_hash: str | None  # None: not read (the dashboards' database role may not read hashes)
    must_change_password: bool
    failed_logins: int
    locked_until: datetime | None
    active: bool
    created_at: datetime | None
    created_by: str
    last_login: datetime | None = None


@dataclass(frozen=True)
class SavedMapping:
    """A spreadsheet column mapping an AD saved (``column_mapping``, 0012): its name, its
    JSON (``io.spreadsheet.Mapping.to_json``), who saved it and when."""
    ad: str
    name: str
    mapping: str
    saved_at: datetime
    saved_by: str
