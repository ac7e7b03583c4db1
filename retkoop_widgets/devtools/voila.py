"""A real standalone Voilà serving the teacher dashboard on its own SQLite database, for the
browser tests (and benches): one coop, AD76-0421, exercice 2025-2026 open.

Why here and not in a test file: several browser test modules need the same server, and
each must own its port range (they may run side by side under xdist).
"""
from __future__ import annotations

import os
import shutil
import socket
import tempfile
from contextlib import contextmanager
from pathlib import Path


def free_port(lo: int, hi: int) -> int:
    for port in range(lo, hi):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError(f"aucun port libre dans {lo}-{hi}")


@contextmanager
def dashboard_server(ports: tuple[int, int], seed=None, db_url: str | None = None, **start_kw):
    """Yield ``(page_url, db_url)`` of a fresh dashboard; stop and clean up afterwards.
    ``seed(books)`` replaces the empty coop (e.g. ``demo.seed_demo``: the demo's books);
    ``db_url`` an empty database to use (PostgreSQL) instead of a temporary SQLite file."""
    from .. import dashboard_server as ds
    from ..services import Books
    tmp = Path(tempfile.mkdtemp(prefix="rk-dash-"))
    url = db_url or f"sqlite:///{tmp / 'retkoop.sqlite3'}"
    b = Books(url, "test")
    b.init_schema()
    if seed is not None:
        seed(b)
    else:
        b.add_ad("AD76", "OCCE Seine-Maritime")
        b.add_coop("AD76-0421", "École des Tilleuls", "AD76")
        b.open_exercice("AD76-0421", "2025-2026", 184237, 6350)
    b.engine.dispose()
    port = free_port(*ports)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETKOOP_") and k != "QUERY_STRING"}
    # No hub identity here: the demo mandataire, as under `retkoop demo` (identity.py).
    proc = ds.start(url, port, env=env, **{"demo": True, "quiet": True, **start_kw})
    try:
        ds.wait_ready(port, proc=proc)
        yield f"http://127.0.0.1:{port}/", url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except Exception:  # noqa: BLE001 - a stuck server must not hide the test's result
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def open_dashboard(browser, url: str, width: int = 1366, height: int = 768):
    """A French page on the dashboard, once its entry form is drawn."""
    from .chromium import new_page
    pg = new_page(browser, width, height)
    pg.set_default_timeout(30000)
    pg.goto(url, wait_until="commit")
    pg.wait_for_selector("#loading", state="hidden", timeout=90000)
    pg.wait_for_selector(".rk-valider", timeout=90000)
    return pg
