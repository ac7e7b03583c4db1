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


# --- PostgreSQL: one role per kind of server (hub/db_roles.py) -------------------------------
# Written as the attack: whoever holds the URL a server was given runs any SQL on it.

def _pg_only(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has no roles: the dashboards keep the hub's own file, analysts and "
                    "formateurs a private copy (docs/security.md)")


def _refused(engine, sql: str) -> str:
    try:
        with engine.begin() as c:
            r = c.execute(text(sql))
            return f"done: {r.fetchall() if r.returns_rows else r.rowcount}"
    except Exception as e:
        return "refused: " + str(e).splitlines()[0]


def test_dashboard_url_writes_the_ledger_but_never_reads_a_password_hash(books, db_url, clock, tmp_path):
    from datetime import date

    from retkoop_widgets.ad_dashboard.widgets import build
    from retkoop_widgets.domain.actor import Actor
    from retkoop_widgets.domain.entry import EntryDraft, VentilationLine
    from retkoop_widgets.hub.db_roles import ensure_roles
    from retkoop_widgets.services import Books
    from retkoop_widgets.services.accounts import Accounts
    _pg_only(db_url)
    Accounts(db_url).add("tilleuls", "mandataire", coop="AD76-0421", password="un-secret-de-classe-42")
    url = ensure_roles(db_url, tmp_path)["tableaux"]
    assert "retkoop_tableaux" in url
    raw = create_engine(resolve_url(url))
    # the attack: hashes, whole rows, the audit trail, the schema
    for sql in ("SELECT password_hash FROM app_user", "SELECT * FROM app_user",
                "UPDATE audit_log SET reason = 'effacé'", "DELETE FROM audit_log",
                "UPDATE alembic_version SET version_num = '0001'", "CREATE TABLE pirate (x int)",
                "DELETE FROM app_user"):
        assert "permission denied" in _refused(raw, sql), sql
    raw.dispose()
    # ...and the dashboards still do their work on it: a mandataire saves an entry
    mandataire = Books(url, Actor("tilleuls", "mandataire", coop="AD76-0421"), today=clock.today, now=clock.now)
    mandataire.record_entry("AD76-0421", "2025-2026", EntryDraft(
        date=date(2025, 10, 3), libelle="Cotisation", bank_out=17450, mode="chèque", cheque="1",
        ventilation=(VentilationLine("6281", 17450),)))
    assert [e.libelle for e in books.entries("AD76-0421", "2025-2026")] == ["Cotisation"]
    assert books.audit_log("AD76-0421", limit=1)[0]["actor"] == "tilleuls"
    # ...and an AD creates and resets a mandataire's account from its dashboard (a hash is
    # written, never read), lists its accounts
    books.add_coop("AD76-0102", "École Jules Ferry", "AD76")
    ad76 = Actor("ad76", "admin-ad", ad="AD76")
    accounts = Accounts(url, ad76)
    temp = accounts.add("ferry", "mandataire", coop="AD76-0102")
    assert Accounts(db_url).verify_login("ferry", temp).ok  # the hub (owner URL) checks it
    assert accounts.reset("ferry") and {p.login for p in accounts.list()} == {"tilleuls", "ferry"}
    page = build(Books(url, ad76), Accounts(url, ad76), ad76)
    assert "AD76-0421" in str(page.children)
    # the attack on accounts: whoever holds this URL promotes a teacher to a role that runs
    # code, or takes over an AD's account — refused, rows of mandataires only
    Accounts(db_url).add("ad76", "admin-ad", ad="AD76", password="un-secret-de-l-ad-76-42")
    raw = create_engine(resolve_url(url))
    assert "row-level security" in _refused(raw, "UPDATE app_user SET role = 'formateur' WHERE login = 'tilleuls'")
    assert _refused(raw, "UPDATE app_user SET password_hash = 'x' WHERE login = 'ad76'") == "done: 0"
    assert "row-level security" in _refused(
        raw, "INSERT INTO app_user (login, role, password_hash, must_change_password, failed_logins, active, "
             "created_by) VALUES ('pirate', 'analyste', 'x', false, 0, true, 'x')")
    raw.dispose()
    assert Accounts(db_url).verify_login("ad76", "un-secret-de-l-ad-76-42").ok


def test_formateur_url_reaches_training_sandboxes_only(books, db_url, clock, tmp_path):
    from datetime import date

    from retkoop_widgets.domain.actor import Actor
    from retkoop_widgets.domain.entry import EntryDraft, VentilationLine
    from retkoop_widgets.hub.db_roles import ensure_roles
    from retkoop_widgets.services import Books
    from retkoop_widgets.services.accounts import Accounts
    from retkoop_widgets.training import sandbox as sb
    _pg_only(db_url)
    Accounts(db_url).add("tilleuls", "mandataire", coop="AD76-0421", password="un-secret-de-classe-42")
    books.record_entry("AD76-0421", "2025-2026", EntryDraft(
        date=date(2025, 10, 3), libelle="Vraie écriture", bank_out=17450, mode="chèque", cheque="1",
        ventilation=(VentilationLine("6281", 17450),)))
    url = ensure_roles(db_url, tmp_path)["formateur"]
    # what a formateur does: a session with trainees' accounts, a trainee's entry, a reset
    trainer = Books(url, Actor("f.dupont", "formateur"), today=clock.today, now=clock.now)
    result = sb.create_session(trainer, "test", "AD76", 2)
    assert result.accounts_note == "" and all(t["password"] for t in result.trainees)
    coop = result.trainees[0]["coop"]
    ex = sb.sandbox_exercice(trainer, coop)
    Books(url, Actor(result.trainees[0]["login"], "mandataire", coop=coop), today=clock.today,
          now=clock.now).record_entry(coop, ex, EntryDraft(
              date=date(2025, 10, 3), libelle="Exercice", bank_out=100, mode="chèque", cheque="1",
              ventilation=(VentilationLine("6281", 100),)))
    assert sb.reset_sandbox(trainer, coop)["ecritures"] == 1
    assert Accounts(url, Actor("f.dupont", "formateur")).reset(result.trainees[1]["login"])
    # the attack, with plain SQL on that URL: real coops' books, accounts, hashes
    raw = create_engine(resolve_url(url))
    with raw.connect() as c:
        assert set(c.execute(text("SELECT code FROM coop")).scalars()) == {t["coop"] for t in result.trainees}
        assert c.execute(text("SELECT count(*) FROM entry WHERE libelle = 'Vraie écriture'")).scalar() == 0
        assert c.execute(text("SELECT count(*) FROM posting")).scalar() == 0  # (the sandbox was reset)
        assert c.execute(text("SELECT count(*) FROM audit_log WHERE coop_code = 'AD76-0421'")).scalar() == 0
        assert set(c.execute(text("SELECT login FROM app_user")).scalars()) == {
            t["login"] for t in result.trainees}
    assert "permission denied" in _refused(raw, "SELECT password_hash FROM app_user")
    assert _refused(raw, "UPDATE coop SET name = 'Pirate' WHERE code = 'AD76-0421'") == "done: 0"
    assert _refused(raw, "DELETE FROM entry") == "done: 0"
    assert _refused(raw, "UPDATE app_user SET active = false WHERE login = 'tilleuls'") == "done: 0"
    assert "row-level security" in _refused(
        raw, "INSERT INTO coop (code, name, ad_code, training) VALUES ('AD76-0999', 'Pirate', 'AD76', false)")
    assert "row-level security" in _refused(
        raw, "UPDATE coop SET training = false WHERE code = '" + coop + "'")
    assert "permission denied" in _refused(raw, "INSERT INTO ad (code, name) VALUES ('AD99', 'Pirate')")
    # nor the AD's saved column mappings, nor a real teacher's history mark
    assert "permission denied" in _refused(
        raw, "INSERT INTO column_mapping (ad_code, name, mapping, saved_at, saved_by) "
             "VALUES ('AD76', 'Piège', '{}', now(), 'x')")
    with raw.connect() as c:
        assert c.execute(text("SELECT count(*) FROM history_seen WHERE coop_code = 'AD76-0421'")).scalar() == 0
    assert _refused(raw, "UPDATE history_seen SET audit_id = 2147483647") == "done: 0"
    raw.dispose()
    assert [e.libelle for e in books.entries("AD76-0421", "2025-2026")] == ["Vraie écriture"]
    assert Accounts(db_url).profile("tilleuls").active


def test_analyst_role_reads_nothing_of_the_accounts(books, db_url, tmp_path):
    from retkoop_widgets.hub.db_roles import ensure_roles
    _pg_only(db_url)
    raw = create_engine(resolve_url(ensure_roles(db_url, tmp_path)["analyste"]))
    for sql in ("SELECT login FROM app_user", "SELECT password_hash FROM app_user"):
        assert "permission denied" in _refused(raw, sql)
    assert _refused(raw, "SELECT count(*) FROM coop") == "done: [(1,)]"
    raw.dispose()
    # the whole map, table by table, as the database itself answers it (no hub table lives in
    # the books' database: the Hub's state is its own SQLite file, 0600, or its own database)
    with create_engine(resolve_url(db_url)).connect() as c:
        tables = set(c.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())

        def may(role, priv):
            return {t for t in tables if c.execute(text("SELECT has_table_privilege(:r, :t, :p)"),
                                                   {"r": role, "t": f"public.{t}", "p": priv}).scalar()}
        assert may("retkoop_analyste", "SELECT") == tables - {"app_user"}
        assert not may("retkoop_analyste", "INSERT") | may("retkoop_analyste", "UPDATE")
        for writer, fixed in (("retkoop_tableaux", set()), ("retkoop_formateur", {"ad", "ad_account", "column_mapping"})):
            assert may(writer, "UPDATE") == tables - {"audit_log", "alembic_version"} - fixed
            assert may(writer, "DELETE") == tables - {"audit_log", "alembic_version", "app_user"} - fixed
        assert not {t for t in tables if t.startswith(("oauth", "api_token", "spawner", "users"))}


def test_roles_are_idempotent_and_follow_a_new_column(books, db_url, tmp_path):
    """``retkoop hub`` refreshes the roles at every start: twice gives the same URLs and
    grants; a column added to ``app_user`` by a later migration is readable by the
    dashboards at the next start, the hash never."""
    from retkoop_widgets.hub.db_roles import ensure_roles
    _pg_only(db_url)
    first = ensure_roles(db_url, tmp_path)
    with create_engine(resolve_url(db_url)).begin() as c:
        c.execute(text("ALTER TABLE app_user ADD COLUMN phone varchar(20)"))
    try:
        second = ensure_roles(db_url, tmp_path)
        assert first == second
        raw = create_engine(resolve_url(second["tableaux"]))
        assert _refused(raw, "SELECT phone FROM app_user").startswith("done")
        assert "permission denied" in _refused(raw, "SELECT password_hash FROM app_user")
        raw.dispose()
    finally:
        with create_engine(resolve_url(db_url)).begin() as c:
            c.execute(text("ALTER TABLE app_user DROP COLUMN phone"))


def test_retkoop_roles_command_creates_them_for_a_hub_started_elsewhere(books, db_url, tmp_path, capsys):
    """Zero to JupyterHub: no ``retkoop hub`` to create the roles; ``retkoop roles`` does it
    (same function) and prints the variables the hub needs."""
    from retkoop_widgets import cli
    _pg_only(db_url)
    assert cli.main(["--db", db_url, "roles", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    lines = dict(line.split("=", 1) for line in out.splitlines() if line.startswith("RETKOOP_"))
    assert set(lines) == {"RETKOOP_DASHBOARD_DB_URL", "RETKOOP_FORMATEUR_DB_URL", "RETKOOP_ANALYST_DB_URL"}
    raw = create_engine(resolve_url(lines["RETKOOP_DASHBOARD_DB_URL"]))
    assert "permission denied" in _refused(raw, "SELECT password_hash FROM app_user")
    raw.dispose()
    assert oct((tmp_path / "retkoop_tableaux.password").stat().st_mode & 0o777) == "0o600"


def test_books_with_the_roles_policies_back_up_and_restore(books, db_url, tmp_path):
    """The row-level security (policies, their function) travels in a ``pg_dump`` and
    restores; the hub's next start re-grants the roles."""
    from retkoop_widgets.backup import backup, restore
    from retkoop_widgets.hub.db_roles import ensure_roles
    _pg_only(db_url)
    ensure_roles(db_url, tmp_path / "secrets")
    dump = backup(db_url, tmp_path / "sauvegardes")
    restore(db_url, dump)
    urls = ensure_roles(db_url, tmp_path / "secrets")
    raw = create_engine(resolve_url(urls["formateur"]))
    assert _refused(raw, "SELECT count(*) FROM coop") == "done: [(0,)]"  # AD76-0421 is real
    raw.dispose()
    assert [c["code"] for c in books.coops()] == ["AD76-0421"]
