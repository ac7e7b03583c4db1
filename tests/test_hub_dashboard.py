"""The production layout: the hub serves the repository's real notebooks
(``notebooks/tableau_de_bord.ipynb``, ``notebooks/ad.ipynb``) to locked servers.

A mandataire saves an entry through the real dashboard's form; an AD of AD76 opens a coop
of its AD and is refused one of AD27. (The attack surface itself is covered in test_hub.py.)
On SQLite and on PostgreSQL, where the dashboards' kernels connect as the least-privilege
``retkoop_tableaux`` role (``hub/db_roles.py``): it saves entries and cannot read a hash.
"""
from __future__ import annotations

import re

import pytest

from test_hub import PASSWORD, REPO

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PORT = 18070
BASE = f"http://127.0.0.1:{PORT}"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def hub(request, tmp_path_factory):
    from retkoop_widgets.demo import seed_demo
    from retkoop_widgets.hub.launcher import HubProcess, HubSettings, prepare_database
    from retkoop_widgets.services import Books
    from retkoop_widgets.services.accounts import Accounts
    root = tmp_path_factory.mktemp("hub_dashboard")
    pg_name = None
    if request.param == "sqlite":
        url = f"sqlite:///{root / 'retkoop.sqlite3'}"
    else:
        import os

        from conftest import create_pg_database
        pg_name = f"retkoop_hub_dashboard_{os.getpid()}"
        url = create_pg_database(pg_name)
    settings = HubSettings(db_url=url, port=PORT, data_dir=root / "hub", notebooks_dir=REPO / "retkoop_widgets" / "notebooks",
                           server_ports=(18080, 18099))
    prepare_database(settings)
    seed_demo(Books(url))
    Accounts(url).add("tilleuls", "mandataire", coop="AD76-0421", password=PASSWORD)
    Accounts(url).add("ad76", "admin-ad", ad="AD76", password=PASSWORD)
    proc = HubProcess(settings).start()
    try:
        yield proc
    finally:
        proc.stop()
        if pg_name:
            from conftest import _drop_database
            _drop_database(pg_name)


def login(browser, login):
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR")
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{BASE}/hub/login")
    page.fill("#username_input", login)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")
    return ctx, page


def test_mandataire_saves_an_entry_in_the_real_dashboard(hub, browser):
    from retkoop_widgets.services import Books
    ctx, page = login(browser, "tilleuls")
    try:
        page.wait_for_url(re.compile(r".*/user/tilleuls/voila/render/tableau_de_bord\.ipynb"),
                          wait_until="commit", timeout=90_000)
        page.wait_for_selector("#loading", state="hidden", timeout=90_000)
        page.wait_for_selector(".rk-valider", timeout=90_000)
        assert "Tilleuls" in page.inner_text(".rk-app")
        n = len(Books(hub.settings.db_url).entries("AD76-0421", "2025-2026"))
        page.fill(".rk-libelle input", "Saisie depuis le hub")
        page.fill(".rk-amount input", "12,34")
        page.locator(".rk-vaccount input").nth(0).fill("6064")
        page.locator(".rk-vamount input").nth(0).fill("12,34")
        page.click(".rk-valider")
        page.wait_for_selector(".rk-saisie-status:has-text('enregistrée')", timeout=30_000)
        page.screenshot(path=str(hub.settings.data_dir / "dashboard.png"), full_page=True)
        entries = Books(hub.settings.db_url).entries("AD76-0421", "2025-2026")
        assert len(entries) == n + 1
        assert any(e.libelle == "Saisie depuis le hub" for e in entries)
        audit = Books(hub.settings.db_url).audit_log("AD76-0421", limit=1)[0]
        assert audit["actor"] == "tilleuls"
    finally:
        ctx.close()


def test_admin_ad_opens_its_coops_not_another_ads(hub, browser):
    ctx, page = login(browser, "ad76")
    try:
        page.wait_for_url(re.compile(r".*/voila/render/ad\.ipynb"), wait_until="commit", timeout=90_000)
        page.wait_for_selector(".ad-overview", timeout=90_000)
        assert "AD76-0550" in page.inner_text(".ad-overview")
        page.goto(f"{BASE}/user/ad76/voila/render/tableau_de_bord.ipynb?coop=AD76-0102", wait_until="commit")
        page.wait_for_selector("#loading", state="hidden", timeout=90_000)
        page.wait_for_selector(".rk-valider", timeout=60_000)
        assert "Jules Ferry" in page.inner_text(".rk-app")
        page.goto(f"{BASE}/user/ad76/voila/render/tableau_de_bord.ipynb?coop=AD27-0101", wait_until="commit")
        page.wait_for_selector("#loading", state="hidden", timeout=90_000)
        page.wait_for_selector(".rk-app", timeout=60_000)
        text = page.inner_text(".rk-app")
        assert "AD27-0101" in text and "droit" in text
        assert page.query_selector(".rk-valider") is None
    finally:
        ctx.close()


def test_the_dashboard_kernel_connects_with_a_role_that_reads_no_hash(hub, browser):
    """The attack from a dashboard kernel: whatever code could run there (none may:
    test_hub.py) would hold the URL in its environment; on PostgreSQL that URL is the
    ``retkoop_tableaux`` role's, refused ``app_user.password_hash``."""
    import psutil
    from sqlalchemy import create_engine, text

    from retkoop_widgets.storage.db import resolve_url
    ctx, page = login(browser, "tilleuls")
    try:
        page.wait_for_selector(".rk-valider", timeout=90_000)
        urls = set()
        for p in psutil.process_iter(["cmdline", "environ"]):
            env = p.info.get("environ") or {}
            if "ipykernel" in " ".join(p.info.get("cmdline") or []) and env.get("RETKOOP_USER") == "tilleuls" \
                    and env.get("JUPYTERHUB_API_URL", "").startswith(f"http://127.0.0.1:{PORT + 2}/"):
                urls.add(env["RETKOOP_DB_URL"])
        assert len(urls) == 1, urls
        url = urls.pop()
        if not hub.settings.db_url.startswith("postgresql"):
            assert url == hub.settings.db_url  # SQLite: the books' file, hub's OS user (docs/security.md)
            return
        assert url.startswith("postgresql+psycopg://retkoop_tableaux:") and url != hub.settings.db_url
        engine = create_engine(resolve_url(url))
        try:
            with engine.connect() as c:
                c.execute(text("SELECT password_hash FROM app_user")).all()
            raise AssertionError("the dashboards' role read the password hashes")
        except Exception as e:
            assert "permission denied" in str(e), e
        finally:
            engine.dispose()
    finally:
        ctx.close()
