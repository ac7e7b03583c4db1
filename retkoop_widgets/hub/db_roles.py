"""Least-privilege PostgreSQL roles: one per kind of server the hub starts.

Why roles and not flags: whoever holds a URL can run any SQL it allows. Analysts and
formateurs run code; the dashboards' kernels do not (``lockdown.py``), but their URL sits in
their environment and must not be worth more than the dashboard itself. So each URL the hub
hands out opens a role that can do what its server needs and nothing else; only the
platform's own URL (the table owner: the hub's authenticator, the CLI, migrations) reads
password hashes.

| role | given to | may |
|---|---|---|
| ``retkoop_tableaux`` | mandataire and AD dashboard kernels (and their PDF children) | read and write the ledger tables; ``app_user``: every column but ``password_hash`` readable, rows created and updated (an AD creates and resets its accounts: a hash is *written*, never read), none deleted; ``audit_log``: read and append, never changed or deleted; ``alembic_version``: read |
| ``retkoop_formateur`` | formateurs' JupyterLab servers | the same privileges, and row-level security limits every ledger row, audit row and trainee account to **training coops** (``coop.training``): they create sandboxes, fill and reset them, create and reset their trainees' (mandataire) accounts; real coops' rows are invisible and unwritable |
| ``retkoop_analyste`` | analysts' JupyterLab servers | SELECT on every table but ``app_user`` (nothing at all there), sessions read-only |

Every role: ``LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT``, no CREATE on the schema,
no right on ``alembic_version`` beyond reading it. Created or refreshed by ``retkoop hub`` at
every start (``prepare_database``), after the migrations, so a table or a column added by a
later migration gets its grants (and ``app_user``'s new columns stay unreadable until listed
here: fail closed). Idempotent: every grant is reset first (REVOKE ALL) then given again;
policies are dropped and recreated. Passwords are generated once and kept in the hub's data
directory (``<role>.password``, 0600).

Row-level security is enabled on the ledger tables with one policy each: every role but
``retkoop_formateur`` sees all rows (the dashboards and analysts see what they saw), that
one only training coops' rows; the tables' owner bypasses RLS.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from ..storage.db import get_engine, resolve_url

ANALYST = "retkoop_analyste"
DASHBOARD = "retkoop_tableaux"
FORMATEUR = "retkoop_formateur"
HASH = "password_hash"
#: Tables nobody but the owner writes (the schema's version is the operator's).
OWNER_ONLY = ("alembic_version",)
#: Tables no role but the owner reads at all for the analysts.
ANALYST_PRIVATE = ("app_user",)

# Row filters of the formateur's policies, table by table. Policies apply inside their own
# subqueries (as the same role), so "IN (SELECT … FROM coop)" already means "training coops".
_TRAINING = {
    "coop": "training",
    "exercice": "coop_code IN (SELECT code FROM coop)",
    "durable_good": "coop_code IN (SELECT code FROM coop)",
    "entry": "exercice_id IN (SELECT id FROM exercice)",
    "cash_count": "exercice_id IN (SELECT id FROM exercice)",
    "subsidy": "exercice_id IN (SELECT id FROM exercice)",
    "deleted_piece": "exercice_id IN (SELECT id FROM exercice)",
    "posting": "entry_id IN (SELECT id FROM entry)",
    "attachment": "entry_id IN (SELECT id FROM entry)",
    "app_user": "role = 'mandataire' AND coop_code IN (SELECT code FROM coop)",
    # how far each person read a training coop's history
    "history_seen": "coop_code IN (SELECT code FROM coop)",
    # the live change counter (bumped by the audit trigger, in the same flush as a new coop:
    # "not a real coop's", as audit_log below) and the presence rows of training coops
    "coop_change": "NOT retkoop_real_coop(coop_code)",
    "presence": "NOT retkoop_real_coop(coop_code)",
    # (granted SELECT and INSERT only.) Not "IN training coops": a coop's creation and its
    # audit row are written in one flush, the audit row possibly first; so "not a real coop's",
    # asked of a function that sees every coop (``_REAL_COOP``).
    "audit_log": "coop_code IS NOT NULL AND NOT retkoop_real_coop(coop_code)",
}
_REAL_COOP = """CREATE OR REPLACE FUNCTION retkoop_real_coop(c varchar) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
AS $$ SELECT EXISTS (SELECT 1 FROM coop WHERE code = c AND NOT training) $$"""
# A file's content is shared by every coop that attached it (content-addressed): a formateur
# reads those attached in training coops (USING) and may add any (WITH CHECK).
_TRAINING_READ_ONLY_FILTER = {"blob": "sha256 IN (SELECT sha256 FROM attachment)"}
def _password(secret_dir: Path, role: str) -> str:
    secret_dir.mkdir(parents=True, exist_ok=True)
    pw_file = secret_dir / f"{role}.password"
    if pw_file.exists():
        return pw_file.read_text().strip()
    password = secrets.token_urlsafe(24)
    fd = os.open(pw_file, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(password)
    return password


def _login_role(c, db: str, role: str, password: str) -> None:
    exists = c.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
    verb = "ALTER" if exists else "CREATE"
    # Identifiers cannot be bound parameters; ``role`` is ours, the password is url-safe.
    c.execute(text(f"{verb} ROLE {role} LOGIN PASSWORD '{password}' NOSUPERUSER NOCREATEDB "
                   "NOCREATEROLE NOINHERIT"))
    c.execute(text(f'GRANT CONNECT ON DATABASE "{db}" TO {role}'))
    c.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
    c.execute(text(f"REVOKE CREATE ON SCHEMA public FROM {role}"))
    # a known state: whatever an older version granted is gone
    c.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}"))
    c.execute(text(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}"))


def _tables(c) -> list[str]:
    return [r[0] for r in c.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"))]


def _readable_user_columns(c) -> list[str]:
    cols = [r[0] for r in c.execute(text(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name = 'app_user' ORDER BY ordinal_position"))]
    return [col for col in cols if col != HASH]


def _writer(c, role: str, tables: list[str]) -> None:
    """Ledger read/write; ``app_user`` without its hashes; ``audit_log`` append-only."""
    ledger = [t for t in tables if t not in OWNER_ONLY + ("app_user", "audit_log")]
    for t in ledger:
        c.execute(text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON "{t}" TO {role}'))
    for t in OWNER_ONLY:
        if t in tables:
            c.execute(text(f'GRANT SELECT ON "{t}" TO {role}'))
    if "audit_log" in tables:
        c.execute(text(f"GRANT SELECT, INSERT ON audit_log TO {role}"))
    if "app_user" in tables:
        cols = ", ".join(f'"{col}"' for col in _readable_user_columns(c))
        c.execute(text(f"GRANT SELECT ({cols}) ON app_user TO {role}"))
        c.execute(text(f"GRANT INSERT, UPDATE ON app_user TO {role}"))
    c.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"))


def _row_security(c, tables: list[str]) -> None:
    """RLS on the ledger: formateurs see training coops only, every other role all rows.

    One policy per table, for everyone, naming the formateurs' role only as a string: a
    ``pg_dump`` of the books (policies included) restores into a cluster where that role
    does not exist yet (``TO retkoop_formateur`` would make the restore fail)."""
    if "coop" in tables:
        c.execute(text(_REAL_COOP))  # owned by the tables' owner: it sees every coop
        # every role evaluates the policy (its OR is not a permission short-cut); it only
        # says whether a code is a real coop, which every role but the formateurs reads anyway
        c.execute(text("GRANT EXECUTE ON FUNCTION retkoop_real_coop(varchar) TO PUBLIC"))
    others = f"current_user <> '{FORMATEUR}'"
    if "app_user" in tables:  # below: its own policies per command
        _account_rows(c, others)
    for t in sorted((set(_TRAINING) | set(_TRAINING_READ_ONLY_FILTER)) & set(tables) - {"app_user"}):
        c.execute(text(f'ALTER TABLE "{t}" ENABLE ROW LEVEL SECURITY'))
        for old in c.execute(text("SELECT policyname FROM pg_policies WHERE schemaname = 'public' "
                                  "AND tablename = :t AND policyname LIKE 'retkoop_%'"), {"t": t}).scalars().all():
            c.execute(text(f'DROP POLICY "{old}" ON "{t}"'))
        using = _TRAINING.get(t) or _TRAINING_READ_ONLY_FILTER[t]
        check = _TRAINING.get(t, "true")
        c.execute(text(f'CREATE POLICY retkoop_rows ON "{t}" USING ({others} OR ({using})) '
                       f"WITH CHECK ({others} OR ({check}))"))


def _account_rows(c, others: str) -> None:
    """``app_user``: every role reads the rows it may (formateurs: their trainees'), but the
    dashboards' and the formateurs' roles create and change **mandataire** accounts only (an
    AD creates, resets, deactivates its teachers): whoever holds a dashboard's URL cannot
    promote an account to a role that runs code, nor take over an AD's account."""
    c.execute(text('ALTER TABLE "app_user" ENABLE ROW LEVEL SECURITY'))
    for old in c.execute(text("SELECT policyname FROM pg_policies WHERE schemaname = 'public' "
                              "AND tablename = 'app_user' AND policyname LIKE 'retkoop_%'")).scalars().all():
        c.execute(text(f'DROP POLICY "{old}" ON "app_user"'))
    writers = f"current_user IN ('{FORMATEUR}', '{DASHBOARD}')"
    mine = f"role = 'mandataire' AND ({others} OR coop_code IN (SELECT code FROM coop))"
    c.execute(text(f"CREATE POLICY retkoop_rows ON app_user FOR SELECT USING ({others} OR ({_TRAINING['app_user']}))"))
    c.execute(text(f"CREATE POLICY retkoop_insert ON app_user FOR INSERT WITH CHECK (NOT {writers} OR ({mine}))"))
    c.execute(text(f"CREATE POLICY retkoop_update ON app_user FOR UPDATE USING (NOT {writers} OR ({mine})) "
                   f"WITH CHECK (NOT {writers} OR ({mine}))"))
    c.execute(text(f"CREATE POLICY retkoop_delete ON app_user FOR DELETE USING (NOT {writers})"))


def _url(url, role: str, password: str) -> str:
    return url.set(username=role, password=password).render_as_string(hide_password=False)


def ensure_roles(db_url: str, secret_dir: Path) -> dict[str, str]:
    """Create or refresh the three roles; returns {"analyste", "tableaux", "formateur"} → URL.
    Needs the tables' owner (the platform's URL)."""
    url = make_url(resolve_url(db_url))
    db = url.database
    passwords = {r: _password(secret_dir, r) for r in (ANALYST, DASHBOARD, FORMATEUR)}
    engine = get_engine(str(url.render_as_string(hide_password=False)))
    with engine.connect() as c:
        for role, pw in passwords.items():
            _login_role(c, db, role, pw)
        tables = _tables(c)
        # analysts: SELECT everything but the accounts, sessions read-only
        c.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {ANALYST}"))
        for t in ANALYST_PRIVATE:
            c.execute(text(f"REVOKE ALL ON {t} FROM {ANALYST}"))
        c.execute(text(f"ALTER ROLE {ANALYST} SET default_transaction_read_only = on"))
        for role in (DASHBOARD, FORMATEUR):
            _writer(c, role, tables)
        # formateurs write only the tables their row filters cover (training coops' rows) and
        # the shared files: never the ADs, their charts, their saved column mappings, nor a
        # table a later migration adds until it is listed here (closed by default)
        writable = set(_TRAINING) | set(_TRAINING_READ_ONLY_FILTER)
        for t in tables:
            if t not in writable and t not in OWNER_ONLY:
                c.execute(text(f'REVOKE INSERT, UPDATE, DELETE ON "{t}" FROM {FORMATEUR}'))
        _row_security(c, tables)
        # Tables of later migrations (made by this owner): readable by analysts at once; the
        # writers get theirs at the next start (``_writer``), never a table they should not.
        c.execute(text(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {ANALYST}"))
        c.commit()
    return {"analyste": _url(url, ANALYST, passwords[ANALYST]),
            "tableaux": _url(url, DASHBOARD, passwords[DASHBOARD]),
            "formateur": _url(url, FORMATEUR, passwords[FORMATEUR])}
