"""Working together, live: the use cases behind two dashboards open on the same coop.

Why the database and not a message bus: every change of a coop is audited in its own
transaction, and a trigger on ``audit_log`` bumps the coop's counter in that same
transaction (migration 0011). So « has anything changed since I read the books? » is one
integer read by primary key (``change_token``), true whoever wrote — another dashboard,
the CLI, an import, another server — and a change that rolled back never shows. On
PostgreSQL the trigger also notifies at commit (``notifications``): a listening kernel
re-reads at once instead of polling.

Presence (« ad76 consulte aussi ce cahier ») is a heartbeat row per open dashboard
(``heartbeat`` every ``HEARTBEAT`` seconds), seen for ``PRESENCE_TTL`` seconds after its
last beat, never audited: a heartbeat is not a change of the books, and auditing it would
bump the counter it is meant to leave alone.

Every read goes through the guard's ``reading`` (the acting user must be allowed to read
the coop). A heartbeat is the one write outside ``writing``: it touches no books, needs no
exercice lock, and is written by a read-only person too (an analyst's read-only
connection simply is not seen).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, AsyncIterator

from ..domain.errors import Forbidden
from .guard import reading

if TYPE_CHECKING:  # pragma: no cover
    from ..storage.records import AuditRecord
    from .books import Books

HEARTBEAT = 10  # seconds between two heartbeats of an open dashboard
PRESENCE_TTL = 35  # a dashboard not seen for this long has been closed
FORGET_AFTER = 3600  # heartbeat rows older than this are deleted by the next heartbeat


@dataclass(frozen=True)
class Presence:
    """Another open dashboard on the coop: its person, and whether it is the viewer's own
    login in another window."""
    login: str
    mine: bool


def change_token(books: "Books", coop: str) -> int:
    """The coop's change counter: different from the last one read ⇔ someone committed a
    change of the coop in between."""
    with reading(books, coop) as r:
        return r.repo.change_version(coop)


def heartbeat(books: "Books", coop: str, session: str) -> list[Presence]:
    """Say this dashboard (``session``) is open on ``coop``; return the OTHER dashboards
    open on it now (one per login, the viewer's own other windows marked ``mine``)."""
    now = books.now()
    found = present(books, coop, session)  # the guard's reading: whoever may read the coop is seen on it
    if not books.read_only:
        try:
            with books.uow(True) as uow:
                uow.repo.touch_presence(session, coop, books.actor.login, now)
                uow.repo.expire_presence(now - timedelta(seconds=FORGET_AFTER))
                uow.commit()
        except Forbidden:  # a read-only connection: seen by nobody, still sees the others
            pass
    return found


def present(books: "Books", coop: str, session: str = "") -> list[Presence]:
    """The dashboards open on ``coop`` (seen within ``PRESENCE_TTL``), but ``session``."""
    since = books.now() - timedelta(seconds=PRESENCE_TTL)
    with reading(books, coop) as r:
        rows = r.repo.present(coop, since)
    me = books.actor.login
    seen: dict[str, Presence] = {}
    for s, login in rows:
        if s != session and login not in seen:
            seen[login] = Presence(login, login == me)
    return list(seen.values())


def leave(books: "Books", coop: str, session: str) -> None:
    """The dashboard closes: its heartbeat row goes at once (else it expires)."""
    if books.read_only:
        return
    with books.uow(True) as uow:
        uow.repo.forget_presence(session)
        uow.commit()


def last_change(books: "Books", coop: str, object_type: str, object_id) -> "AuditRecord | None":
    """Who changed an object of the coop last, and when (the form's « modifiée par ad76 »)."""
    with reading(books, coop) as r:
        return r.repo.last_change_of(coop, object_type, object_id)


def change_hint(books: "Books"):
    """A clue, free to get, that the books may have changed since the last clue (SQLite:
    the database files' sizes and times), or None: no clue, read ``change_token``. Only
    ever compared with an earlier clue; a change of clue is not a change of the books."""
    from ..storage.live import change_hint as hint
    return hint(getattr(books, "engine", None))


def can_notify(books: "Books") -> bool:
    """Whether the database tells of changes as they are committed (PostgreSQL)."""
    from ..storage.live import notifications_supported
    return notifications_supported(getattr(books, "engine", None))


def notifications(books: "Books") -> AsyncIterator[str] | None:
    """An async iterator: ``""`` once listening, then the code of every coop changed on the
    database, as changes are committed (PostgreSQL ``LISTEN``); None where the database
    cannot notify (SQLite: poll ``change_token``)."""
    from ..storage.live import listen
    return listen(books.engine) if can_notify(books) else None
