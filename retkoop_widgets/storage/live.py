"""Storage of live collaboration: the per-coop change counter, presence heartbeats, and
PostgreSQL's change notifications (migration 0011).

``LiveRepository`` is a part of ``Repository`` (as ``InventoryRepository`` is). The counter
(``coop_change``) is written by a database trigger only, inside every transaction that
audits a change of the coop: reading it is one primary-key lookup. ``listen`` is the one
PostgreSQL connection a kernel keeps to hear ``pg_notify('retkoop_change', coop)``: an
asyncio generator on psycopg 3's ``AsyncConnection`` (autocommit, ``LISTEN``), run by the
kernel's event loop, never a thread.
"""
from __future__ import annotations

import asyncio
import os
from datetime import datetime
from typing import AsyncIterator

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from . import orm
from .records import AuditRecord

CHANNEL = "retkoop_change"


class LiveRepository:
    s: Session

    def change_version(self, coop: str) -> int:
        """The coop's change counter (0: never changed since migration 0011)."""
        v = self.s.scalar(select(orm.CoopChangeRow.version).where(orm.CoopChangeRow.coop_code == coop))
        return int(v or 0)

    def touch_presence(self, session: str, coop: str, login: str, now: datetime) -> None:
        """This dashboard is still open (insert or refresh its heartbeat row)."""
        p = orm.PresenceRow
        done = self.s.execute(update(p).where(p.session == session)
                              .values(seen_at=now, coop_code=coop, login=login)).rowcount
        if not done:
            self.s.add(p(session=session, coop_code=coop, login=login, seen_at=now))
        self.s.flush()

    def forget_presence(self, session: str) -> None:
        self.s.execute(delete(orm.PresenceRow).where(orm.PresenceRow.session == session))

    def expire_presence(self, before: datetime) -> None:
        """Drop heartbeats older than ``before`` (closed tabs, stopped kernels)."""
        self.s.execute(delete(orm.PresenceRow).where(orm.PresenceRow.seen_at < before))

    def present(self, coop: str, since: datetime) -> list[tuple[str, str]]:
        """``(session, login)`` of the dashboards seen on ``coop`` since ``since``."""
        p = orm.PresenceRow
        return [(s, login) for s, login in self.s.execute(
            select(p.session, p.login).where(p.coop_code == coop, p.seen_at >= since).order_by(p.login, p.session))]

    def last_change_of(self, coop: str, object_type: str, object_id) -> AuditRecord | None:
        """The newest audit record of one object of the coop (who changed pièce 032)."""
        a = orm.AuditRow
        r = self.s.scalars(select(a).where(a.coop_code == coop, a.object_type == object_type,
                                           a.object_id == str(object_id)).order_by(a.id.desc()).limit(1)).first()
        if r is None:
            return None
        return AuditRecord(r.at, r.actor, r.action, r.object_type, r.object_id, r.exercice, r.before, r.after,
                           r.reason or "")


def change_hint(engine):
    """A free clue that the database may have changed, or None (no clue: read the counter).
    SQLite in WAL mode appends every commit to ``<file>-wal`` (and a checkpoint rewrites
    the file): the two files' sizes and modification times change with every commit, and
    ``stat`` costs microseconds where opening a connection to read the counter costs
    milliseconds. A false alarm (a checkpoint) only costs one counter read."""
    if engine is None or engine.dialect.name != "sqlite":
        return None
    db = engine.url.database or ""
    if db.startswith("file:"):
        db = db[5:].split("?", 1)[0]
    if not db or db == ":memory:":
        return None
    out = []
    for name in (db, db + "-wal"):
        try:
            st = os.stat(name)
            out.append((st.st_size, st.st_mtime_ns))
        except OSError:
            out.append(None)
    return tuple(out)


def notifications_supported(engine) -> bool:
    return engine is not None and engine.dialect.name == "postgresql"


async def listen(engine) -> AsyncIterator[str]:
    """Yield ``""`` once listening, then the coop code of every change committed on the
    database (PostgreSQL only). One connection, opened on the caller's event loop; it ends
    (raises) when the connection is lost — the caller retries, polling meanwhile."""
    import psycopg
    url = engine.url.set(drivername="postgresql")
    conninfo = url.render_as_string(hide_password=False)
    conn = await psycopg.AsyncConnection.connect(conninfo, autocommit=True, application_name="retkoop-live")
    try:
        await conn.execute(f"LISTEN {CHANNEL}")
        yield ""  # in place: what is committed from now on will be heard
        # Not ``conn.notifies()``: it wakes every 0.1 s to check for interrupts (0.25 % of a
        # core per idle kernel, measured). The loop watches the socket instead: no wake-up
        # until the server sends something.
        loop, pg, queue = asyncio.get_running_loop(), conn.pgconn, asyncio.Queue()

        def readable() -> None:
            try:
                pg.consume_input()
            except Exception as exc:  # noqa: BLE001 - the connection is gone: the caller retries
                queue.put_nowait(exc)
                return
            while (n := pg.notifies()) is not None:
                queue.put_nowait(n.extra.decode("utf-8", "replace"))

        loop.add_reader(pg.socket, readable)
        try:
            while True:
                item = await queue.get()
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            loop.remove_reader(pg.socket)
    finally:
        await conn.close()
