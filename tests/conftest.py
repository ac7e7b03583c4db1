"""Shared fixtures: every storage test runs on SQLite *and* on PostgreSQL.

PostgreSQL: a real server on 127.0.0.1:5432 (``RETKOOP_TEST_PG``, default
``postgresql://postgres@127.0.0.1:5432``). Each pytest worker gets its own database,
migrated once; each test starts from empty tables (TRUNCATE). If the server is not
reachable the PostgreSQL tests FAIL (they are never silently skipped) unless
``RETKOOP_SKIP_PG=1`` is set explicitly.
"""
from __future__ import annotations

import os
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

PG_ADMIN = os.environ.get("RETKOOP_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
TODAY = date(2026, 9, 15)


def pytest_configure(config):
    """Point ``RETKOOP_DB_URL`` at a deterministic fixture database seeded with the demo
    data, *before* nbval starts notebook kernels (they inherit the environment)."""
    import tempfile
    if os.environ.get("RETKOOP_FIXTURE_DB_READY") == _worker():
        return
    path = os.path.join(tempfile.mkdtemp(prefix="retkoop-fixture-"), "fixture.sqlite3")
    url = f"sqlite:///{path}"
    from retkoop_widgets.demo import seed_demo
    from retkoop_widgets.services import Books
    books = Books(url, "fixture")
    books.init_schema()
    seed_demo(books)
    books.engine.dispose()
    os.environ["RETKOOP_DB_URL"] = url
    # The dashboard notebooks run here with no hub identity: as `retkoop demo` runs them
    # (the demo mandataire); without the flag they refuse (identity.py).
    os.environ["RETKOOP_DEMO"] = "1"
    os.environ["RETKOOP_FIXTURE_DB_READY"] = _worker()


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def pg_admin_url(db: str = "postgres") -> str:
    return f"{PG_ADMIN.replace('postgresql://', 'postgresql+psycopg://', 1)}/{db}"


def create_pg_database(name: str) -> str:
    """(Re)create an empty PostgreSQL database and return its URL."""
    admin = create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return pg_admin_url(name)


_PG_URL: str | None = None


def _pg_url() -> str:
    global _PG_URL
    if _PG_URL is None:
        from retkoop_widgets.storage.db import get_engine
        from retkoop_widgets.storage.schema import upgrade
        _drop_stale_test_databases()
        name = f"retkoop_test_{os.getpid()}"  # unique per pytest process (xdist workers, parallel runs)
        url = create_pg_database(name)
        upgrade(get_engine(url))
        _PG_URL = url
        import atexit
        atexit.register(_drop_database, name)
    return _PG_URL


def _drop_database(name: str) -> None:
    from retkoop_widgets.storage.db import get_engine
    try:
        get_engine(pg_admin_url(name)).dispose()
        admin = create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    except Exception:
        pass


def _drop_stale_test_databases() -> None:
    """Drop test databases left by pytest processes that no longer exist."""
    admin = create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        names = [r[0] for r in c.execute(text("SELECT datname FROM pg_database WHERE datname LIKE 'retkoop_test_%'"))]
        for name in names:
            pid = name.rsplit("_", 1)[-1]
            if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate(url: str) -> None:
    from retkoop_widgets.storage.db import get_engine
    from retkoop_widgets.storage.orm import Base
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with get_engine(url).begin() as c:
        c.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        # a security test may have put the least-privilege roles' row policies on this shared
        # database (hub/db_roles.py): every test starts without them, as a fresh install does
        for table, policy in c.execute(text("SELECT tablename, policyname FROM pg_policies "
                                            "WHERE schemaname = 'public' AND policyname LIKE 'retkoop_%'")).all():
            c.execute(text(f'DROP POLICY "{policy}" ON "{table}"'))
            c.execute(text(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY'))


BACKENDS = ["sqlite"] if os.environ.get("RETKOOP_SKIP_PG") == "1" else ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> str:
    """An empty, migrated database: SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        from retkoop_widgets.storage.db import get_engine
        from retkoop_widgets.storage.schema import upgrade
        url = f"sqlite:///{tmp_path / 'retkoop.sqlite3'}"
        upgrade(get_engine(url))
        return url
    url = _pg_url()
    _truncate(url)
    return url


class Clock:
    """A controllable clock: ``today`` fixed, ``now`` advancing one second per call."""

    def __init__(self, today: date = TODAY):
        self.day = today
        self._now = datetime.combine(today, datetime.min.time()).replace(hour=9)

    def today(self) -> date:
        return self.day

    def now(self) -> datetime:
        self._now += timedelta(seconds=1)
        return self._now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def books(db_url, clock):
    """Books on an empty database, acting as the system user, with AD76 and one coop
    (AD76-0421) whose exercice 2025-2026 is open with 1 842,37 € bank and 63,50 € cash."""
    from retkoop_widgets.services import Books
    b = Books(db_url, "test", today=clock.today, now=clock.now)
    b.add_ad("AD76", "OCCE Seine-Maritime")
    b.add_coop("AD76-0421", "École des Tilleuls", "AD76")
    b.open_exercice("AD76-0421", "2025-2026", 184237, 6350)
    return b


COOP, EX = "AD76-0421", "2025-2026"


@pytest.fixture(params=["fake"] + BACKENDS)
def svc(request, tmp_path, clock):
    """``Books`` with AD76 and AD76-0421's 2025-2026 open (1 842,37 € bank, 63,50 € cash),
    on the in-memory fake (``tests/fakes.py``), then SQLite, then PostgreSQL."""
    from retkoop_widgets.services.bootstrap import bootstrap
    if request.param == "fake":
        from fakes import fake_uow_factory
        b = bootstrap(actor="test", uow_factory=fake_uow_factory(), today=clock.today, now=clock.now)
    else:
        from retkoop_widgets.storage.db import get_engine
        from retkoop_widgets.storage.schema import upgrade
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'retkoop.sqlite3'}"
            upgrade(get_engine(url))
        else:
            url = _pg_url()
            _truncate(url)
        b = bootstrap(url, "test", today=clock.today, now=clock.now)
    b.add_ad("AD76", "OCCE Seine-Maritime")
    b.add_coop(COOP, "École des Tilleuls", "AD76")
    b.open_exercice(COOP, EX, 184237, 6350)
    return b


@pytest.hookimpl(tryfirst=True)
@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium in French (``devtools.chromium``), one per test module:
    the hub tests log several users in, each in its own context."""
    from retkoop_widgets.devtools.chromium import french_browser
    with french_browser() as b:
        yield b


def pytest_collection_modifyitems(config, items):
    """Under xdist (``RETKOOP_TEST_WORKERS=2 ./dev test`` runs ``-n 2 --dist loadgroup``): keep each test file on
    one worker (its module fixtures — servers, browsers — start once), and run every
    JupyterHub test file on the same worker, one after the other, since their hubs share
    the 18000–18099 port range."""
    for item in items:
        name = item.path.name
        item.add_marker(pytest.mark.xdist_group("hub" if name.startswith("test_hub") else name))
