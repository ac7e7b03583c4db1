"""What an analyst's server reads with: the read-only engine and ``Books``, and the role.

Why a database role: an analyst runs arbitrary code in JupyterLab, so a flag in our
library cannot stop a write; PostgreSQL can. ``retkoop_analyste`` may connect and SELECT,
nothing else, and nothing at all on ``app_user`` (password hashes: only the hub's
authenticator reads them). The roles of every kind of server live in ``db_roles.py``.
"""
from __future__ import annotations

from pathlib import Path

from ..settings import Settings, settings
from ..storage.db import get_engine
from .db_roles import ANALYST as ROLE
from .db_roles import ANALYST_PRIVATE as PRIVATE_TABLES
from .db_roles import ensure_roles

__all__ = ["ROLE", "PRIVATE_TABLES", "ensure_analyst_role", "analyst_engine", "analyst_books"]


def ensure_analyst_role(db_url: str, secret_dir: Path) -> str:
    """Create or refresh the roles (``db_roles.ensure_roles``); the analysts' URL."""
    return ensure_roles(db_url, secret_dir)["analyste"]


def read_only_requested(env=None) -> bool:
    s = settings() if env is None else Settings.from_env(env)
    return s.read_only


def analyst_engine(env=None):
    """The engine an analyst's notebook should use: read-only when the hub says so
    (SQLite opened ``mode=ro``; PostgreSQL read-only sessions on top of the SELECT-only role)."""
    s = settings() if env is None else Settings.from_env(env)
    return get_engine(s.db_url, read_only=s.read_only)


def analyst_books(env=None):
    """``Books`` for the analyst of this server, on the read-only connection; refused in
    French without the hub's identity or without an AD (``identity.analyst_actor``)."""
    from ..identity import analyst_actor
    from ..services.books import Books
    actor = analyst_actor(env)
    return Books(analyst_engine(env), actor, read_only=read_only_requested(env))
