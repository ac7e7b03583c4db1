"""The analysts' read-only PostgreSQL role.

Why a database role: an analyst runs arbitrary code in JupyterLab, so a flag in our
library cannot stop a write; PostgreSQL can. ``retkoop_analyste`` may connect and SELECT,
nothing else (default privileges cover tables created by later migrations), and not even
SELECT on ``app_user`` (password hashes: only the hub's authenticator reads them; the
tables listed in ``PRIVATE_TABLES`` are revoked after every grant). Its password
is generated once and kept in the hub's data directory (mode 0600).
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from ..storage.db import get_engine, resolve_url

ROLE = "retkoop_analyste"
#: Tables the analysts' role never reads (accounts and their password hashes).
PRIVATE_TABLES = ("app_user",)


def ensure_analyst_role(db_url: str, secret_dir: Path, role: str = ROLE) -> str:
    """Create or refresh the SELECT-only role; return the URL analysts connect with."""
    url = make_url(resolve_url(db_url))
    secret_dir.mkdir(parents=True, exist_ok=True)
    pw_file = secret_dir / f"{role}.password"
    if pw_file.exists():
        password = pw_file.read_text().strip()
    else:
        password = secrets.token_urlsafe(24)
        fd = os.open(pw_file, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(password)
    db = url.database
    engine = get_engine(str(url.render_as_string(hide_password=False)))
    with engine.connect() as c:
        exists = c.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        verb = "ALTER" if exists else "CREATE"
        # Identifiers cannot be bound parameters; ``role`` is ours, the password is url-safe.
        c.execute(text(f"{verb} ROLE {role} LOGIN PASSWORD '{password}' NOSUPERUSER NOCREATEDB "
                       "NOCREATEROLE NOINHERIT"))
        c.execute(text(f'GRANT CONNECT ON DATABASE "{db}" TO {role}'))
        c.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        c.execute(text(f"REVOKE CREATE ON SCHEMA public FROM {role}"))
        c.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"))
        c.execute(text(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {role}"))
        for table in PRIVATE_TABLES:
            c.execute(text(f"REVOKE ALL ON {table} FROM {role}"))
        c.execute(text(f"ALTER ROLE {role} SET default_transaction_read_only = on"))
        c.commit()
    return url.set(username=role, password=password).render_as_string(hide_password=False)


def read_only_requested(env=None) -> bool:
    env = os.environ if env is None else env
    return env.get("RETKOOP_READ_ONLY", "") == "1"


def analyst_engine(env=None):
    """The engine an analyst's notebook should use: read-only when the hub says so
    (SQLite opened ``mode=ro``; PostgreSQL read-only sessions on top of the SELECT-only role)."""
    env = os.environ if env is None else env
    return get_engine(env.get("RETKOOP_DB_URL") or None, read_only=read_only_requested(env))


def analyst_books(env=None):
    """``Books`` for the analyst of this server, on the read-only connection."""
    from ..domain.actor import ANALYSTE, Actor
    from ..services.books import Books
    env = os.environ if env is None else env
    actor = Actor(env.get("RETKOOP_USER") or "analyste", ANALYSTE, ad=(env.get("RETKOOP_AD") or None))
    return Books(analyst_engine(env), actor, read_only=read_only_requested(env))
