"""Engines: which database, and how to open it safely.

* ``RETKOOP_DB_URL`` (or ``--db``) selects the database; otherwise an SQLite file in the
  per-user data directory (``platformdirs.user_data_dir("retkoop")``, e.g.
  ``~/.local/share/retkoop/retkoop.sqlite3`` on Linux).
* SQLite runs in WAL mode with foreign keys on and a 30 s busy timeout (``SQLITE_BUSY_TIMEOUT_S``; a
  writer still waiting then gets a French « base occupée », ``uow.DatabaseBusy``); every write
  transaction starts with ``BEGIN IMMEDIATE`` so that two writers serialise at the start
  instead of failing at commit: this is what keeps pièce numbers unique across processes.
* ``postgresql://`` URLs are routed to psycopg 3.
* ``read_only=True`` gives an engine that cannot write: SQLite opened with ``mode=ro``,
  PostgreSQL sessions set ``default_transaction_read_only`` (the analyst role adds a
  SELECT-only database role on top).
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from ..settings import settings

ENV_URL = "RETKOOP_DB_URL"
#: How long an SQLite writer waits for another one's write lock (a large import) before
#: giving up with a French « base occupée » (``uow.DatabaseBusy``). Read when an engine is
#: opened (each SQLite connection is new: ``NullPool``). PostgreSQL writers of other coops never wait for an import (row locks).
SQLITE_BUSY_TIMEOUT_S = 30


def data_dir() -> Path:
    return settings().data_dir


def default_url() -> str:
    return f"sqlite:///{data_dir() / 'retkoop.sqlite3'}"


def resolve_url(url: str | None = None) -> str:
    url = url or settings().database_url
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def forced_read_only() -> bool:
    return settings().read_only


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<url>"


_ENGINES: dict[tuple[str, bool], Engine] = {}


def get_engine(url: str | None = None, *, read_only: bool = False) -> Engine:
    """One engine per (URL, mode) and process. ``RETKOOP_READ_ONLY=1`` (set by the hub for
    analysts) forces read-only whatever the caller asks."""
    url = resolve_url(url)
    read_only = read_only or forced_read_only()
    key = (url, read_only)
    if key not in _ENGINES:
        _ENGINES[key] = make_engine(url, read_only=read_only)
    return _ENGINES[key]


def engine_of(source=None, *, read_only: bool = False) -> Engine:
    """The engine behind what a caller holds: an Engine, anything with ``.engine`` (a
    ``Books``), or a URL (None: the configured database)."""
    if isinstance(source, Engine):
        return source
    engine = getattr(source, "engine", None)
    if isinstance(engine, Engine):
        return engine
    return get_engine(source, read_only=read_only)


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return _sqlite_engine(u, read_only)
    kwargs = {"pool_pre_ping": True, "future": True}
    if read_only:
        kwargs["connect_args"] = {"options": "-c default_transaction_read_only=on"}
    return create_engine(u, **kwargs)


def _sqlite_engine(u, read_only: bool) -> Engine:
    db = u.database
    memory = not db or db == ":memory:"
    if not memory and not read_only:
        Path(db).parent.mkdir(parents=True, exist_ok=True)
    if read_only:
        if memory:
            raise ValueError("an in-memory SQLite database cannot be opened read-only")
        engine = create_engine(f"sqlite:///file:{Path(db).resolve()}?mode=ro&uri=true",
                               poolclass=NullPool)
    else:
        engine = create_engine(u, poolclass=NullPool, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        if not read_only and not memory:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = not read_only and not conn.get_execution_options().get("retkoop_read", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
