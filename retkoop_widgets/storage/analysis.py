"""The read-only connection an AD's analysis runs its set-based queries on."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from .db import engine_of
from .repository import Repository


@contextmanager
def analysis_connection(source=None) -> Iterator[tuple[Connection, Repository]]:
    """``source``: URL, engine, Books or None (``RETKOOP_DB_URL``); a URL is opened
    read-only. Yields the connection (for ``storage.analysis_queries``) and a repository on it."""
    with engine_of(source, read_only=True).connect() as conn:
        yield conn, Repository(Session(bind=conn))
