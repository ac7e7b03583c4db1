"""Finding 1, database side: whatever an analyst's code does with the connection it was
given, it reads the ledger and the audit log, never the password hashes of ``app_user``
(PostgreSQL: the SELECT-only role has no right on that table; SQLite: the private copy
analysts get has every hash blanked, and its freed pages overwritten)."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from retkoop_widgets.storage.db import resolve_url

pytestmark = [pytest.mark.security]


def test_analyst_connection_reads_the_books_but_no_password_hash(books, db_url, tmp_path):
    from retkoop_widgets.services.accounts import Accounts
    Accounts(db_url).add("ana", "analyste", password="un-secret-de-classe-42")
    if db_url.startswith("postgresql"):
        from retkoop_widgets.hub.analyst import ensure_analyst_role
        engine = create_engine(resolve_url(ensure_analyst_role(db_url, tmp_path)))
    else:
        from retkoop_widgets.hub.isolation import sqlite_snapshot
        copy = sqlite_snapshot(resolve_url(db_url).split("///", 1)[1], tmp_path / "copie.sqlite3")
        engine = create_engine(f"sqlite:///{copy}")
        assert b"$argon2" not in copy.read_bytes()  # not even in a freed page
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM coop")).scalar() >= 1
        assert c.execute(text("SELECT count(*) FROM audit_log")).scalar() >= 0
    try:
        with engine.connect() as c:
            hashes = [r[0] for r in c.execute(text("SELECT password_hash FROM app_user"))]
    except Exception as e:  # PostgreSQL: permission denied
        assert "permission denied" in str(e).lower(), e
        hashes = []
    assert not [h for h in hashes if h], hashes
    engine.dispose()
