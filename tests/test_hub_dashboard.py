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


def test_the_page_is_french_titled_offline_and_has_a_way_out(hub, browser):
    """lang="fr", « Retkoop — École des Tilleuls » as the title, not one request leaves the
    platform (icons served locally: a school network may be offline), and « Se déconnecter »
    ends the session on a shared computer."""
    ctx, page = login(browser, "tilleuls")
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((BASE, "data:", "blob:")) else None)
    try:
        page.wait_for_url(re.compile(r".*/voila/render/tableau_de_bord\.ipynb"), wait_until="commit", timeout=90_000)
        page.wait_for_selector(".rk-valider", timeout=90_000)
        assert page.title() == "Retkoop — École des Tilleuls"
        assert page.evaluate("document.documentElement.lang") == "fr"
        icon = page.evaluate("getComputedStyle(document.querySelector('.rk-valider i'), '::before').fontFamily")
        assert "Font Awesome" in icon, icon  # the icon font loaded, from the platform itself
        page.wait_for_timeout(1000)
        assert outside == [], outside
        page.click("a.rk-logout")
        page.wait_for_url(re.compile(r".*/hub/(login|logout).*"), timeout=30_000)
        page.goto(f"{BASE}/user/tilleuls/voila/render/tableau_de_bord.ipynb", wait_until="commit")
        page.wait_for_url(re.compile(r".*/hub/login.*"), timeout=30_000)
    finally:
        ctx.close()


def test_the_ad_page_is_titled_for_the_ad(hub, browser):
    ctx, page = login(browser, "ad76")
    try:
        page.wait_for_url(re.compile(r".*/voila/render/ad\.ipynb"), wait_until="commit", timeout=90_000)
        page.wait_for_selector(".ad-overview", timeout=90_000)
        assert page.title() == "Retkoop — AD76"
        assert page.evaluate("document.documentElement.lang") == "fr"
        assert page.inner_text("a.rk-logout") == "Se déconnecter"
    finally:
        ctx.close()


ENGLISH = re.compile(r"\b(Forbidden|Not Found|Unauthorized|Bad Request|Internal Server Error|choose from|"
                     r"You are requesting|does not exist|Method Not Allowed|Traceback|not authorized|"
                     r"No access|[Rr]equires any of|scopes?)\b")


def test_every_page_and_api_error_a_mandataire_can_meet_is_in_french(hub, browser):
    """The URLs a curious teacher types by hand, pages and API alike: each answer in French,
    none in English (« 403 : Forbidden » was seen), none with a traceback."""
    ctx, page = login(browser, "tilleuls")
    try:
        page.wait_for_url(re.compile(r".*/voila/render/tableau_de_bord\.ipynb"), wait_until="commit", timeout=90_000)
        page.wait_for_selector(".rk-valider", timeout=90_000)
        paths = ["/hub/token", "/hub/admin", "/hub/nope", "/nope", "/hub/api/users", "/hub/api/users/ad76",
                 "/user/tilleuls/tree", "/user/tilleuls/lab", "/user/tilleuls/voila/render/nope.ipynb",
                 "/user/tilleuls/voila/render/ad.ipynb", "/user/tilleuls/api/contents",
                 "/user/tilleuls/api/kernels", "/user/tilleuls/files/x.txt", "/user/tilleuls/nope",
                 "/user/ad76/voila/render/ad.ipynb"]
        seen = {}
        for path in paths:
            resp = page.goto(BASE + path, wait_until="load")
            body = page.content() if resp is None or "html" in (resp.headers.get("content-type") or "") \
                else resp.text()
            seen[path] = (resp.status if resp else None, body)
        english = {p: ENGLISH.findall(b) for p, (_s, b) in seen.items() if ENGLISH.search(b)}
        assert english == {}, english
        for path, (status, body) in seen.items():
            assert status is None or status < 500, (path, status)
            assert re.search(r"accès refusé|introuvable|Accès refusé|Page introuvable|connexion", body), (path, body[:200])
    finally:
        ctx.close()


def _server_pid(user: str) -> int | None:
    """The pid of ``user``'s single-user server of THIS hub (its API port), if running."""
    import psutil
    for p in psutil.process_iter(["cmdline", "environ"]):
        try:
            cmd = " ".join(p.info["cmdline"] or [])
            env = p.info["environ"] or {}
        except Exception:
            continue
        if "singleuser" in cmd and env.get("JUPYTERHUB_USER") == user and f":{PORT + 2}/" in env.get(
                "JUPYTERHUB_API_URL", ""):
            return p.pid
    return None


def _eventually(predicate, timeout: float = 60) -> bool:
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return predicate()


def test_ad_morning_view_ranks_late_coops_and_deactivates_a_mandataire(hub, browser):
    """Issue 15: the demo's 2025-2026 CRFs (due 30/09/2026) show as late, the coop with
    anomalies first and not ready, with its reasons and alerts; the AD deactivates a
    mandataire (confirmed), whose running server stops and who can no longer log in;
    reactivated, she can."""
    from datetime import date
    from retkoop_widgets.services.accounts import Accounts
    assert date.today() > date(2026, 9, 30), "the demo's CRFs are late only after 30/09/2026"
    mandataire, m_page = login(browser, "tilleuls")
    m_page.wait_for_selector(".rk-valider", timeout=90_000)
    ctx, page = login(browser, "ad76")
    try:
        assert _server_pid("tilleuls") is not None
        page.wait_for_url(re.compile(r".*/voila/render/ad\.ipynb"), wait_until="commit", timeout=90_000)
        page.wait_for_selector(".ad-overview", timeout=90_000)
        summary = page.inner_text(".ad-summary")
        assert re.search(r"0 soumis, \d prêts, 4 en retard", summary), summary
        first = page.locator(".coop-row").first
        assert first.get_attribute("data-coop") == "AD76-0550"
        assert first.get_attribute("data-status") == "en retard"
        assert "pas prêt" in first.inner_text() and "arrêté de caisse de clôture" in first.inner_text()
        assert [page.locator(".coop-row").nth(i).get_attribute("data-status") for i in range(4)] == ["en retard"] * 4
        assert "AD27" not in page.inner_text(".ad-overview")
        cells = first.locator("td.alert")
        assert cells.count() == 5  # the analysis notebook's 5 anomalies of AD76-0550, by kind
        page.locator(".ad-search input").fill("tilleuls")
        page.wait_for_function("document.querySelectorAll('.coop-row').length === 1")
        assert page.locator(".coop-row").first.get_attribute("data-coop") == "AD76-0421"
        page.locator(".ad-search input").fill("")
        page.wait_for_function("document.querySelectorAll('.coop-row').length === 4")
        page.screenshot(path=str(hub.settings.data_dir / "ad-morning.png"), full_page=True)

        page.locator(".account-choice select").select_option(label="tilleuls — actif")
        page.click(".deactivate-account")
        page.wait_for_selector(".confirm-text:has-text('Désactiver le compte tilleuls')")
        assert Accounts(hub.settings.db_url).profile("tilleuls").active  # not before the confirmation
        page.click(".confirm-action")
        page.wait_for_selector(".ad-status:has-text('tilleuls désactivé')", timeout=30_000)
        page.wait_for_selector(".account-row[data-login='tilleuls'] .account-state[data-state='désactivé']")
        page.screenshot(path=str(hub.settings.data_dir / "ad-accounts.png"), full_page=True)
        assert _eventually(lambda: _server_pid("tilleuls") is None), "the deactivated mandataire's server runs on"
        m_page.goto(f"{BASE}/hub/home")
        assert "/hub/login" in m_page.url
        again, again_page = login(browser, "tilleuls")
        try:
            again_page.wait_for_selector("p.login_error", timeout=30_000)
            assert "Ce compte est désactivé : contactez votre AD." in again_page.content()
            assert "/hub/login" in again_page.url
        finally:
            again.close()

        page.click(".reactivate-account")
        page.wait_for_selector(".ad-status:has-text('tilleuls réactivé')", timeout=30_000)
        back, back_page = login(browser, "tilleuls")
        try:
            back_page.wait_for_selector(".rk-valider", timeout=90_000)
        finally:
            back.close()
    finally:
        ctx.close()
        mandataire.close()


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


def test_teacher_and_ad_see_each_others_saves_live_through_the_hub(hub, browser):
    """Issue 15, « working together, live », on the real platform: the teacher's page is
    open; the AD opens the same coop from its own server, gives its reason once, saves; the
    teacher's cahier and header show it without a reload, and each page says who else is
    there. SQLite and PostgreSQL (LISTEN/NOTIFY through the dashboards' role)."""
    from playwright.sync_api import expect
    teacher_ctx, teacher = login(browser, "tilleuls")
    ad_ctx, ad = login(browser, "ad76")
    try:
        teacher.wait_for_selector(".rk-valider", timeout=90_000)
        ad.wait_for_url(re.compile(r".*/voila/render/ad\.ipynb"), wait_until="commit", timeout=90_000)
        ad.goto(f"{BASE}/user/ad76/voila/render/tableau_de_bord.ipynb?coop=AD76-0421", wait_until="commit")
        ad.wait_for_selector(".rk-valider", timeout=90_000)
        expect(teacher.locator(".rk-presence")).to_contain_text("ad76", timeout=30_000)
        expect(ad.locator(".rk-presence")).to_contain_text("tilleuls", timeout=30_000)
        teacher.locator(".lm-TabBar-tab", has_text="Cahier").first.click()
        teacher.wait_for_selector(".rk-cahier-html")
        ad.fill(".rk-motif-global input", "facture retrouvée avec la mandataire")
        ad.fill(".rk-libelle input", "Saisie de l'AD en direct")
        ad.fill(".rk-amount input", "43,21")
        ad.locator(".rk-vaccount input").nth(0).fill("6064")
        ad.locator(".rk-vamount input").nth(0).fill("43,21")
        ad.click(".rk-valider")
        ad.wait_for_selector(".rk-saisie-status:has-text('enregistrée')", timeout=30_000)
        expect(teacher.locator(".rk-cahier-html")).to_contain_text("Saisie de l'AD en direct", timeout=15_000)
        expect(teacher.locator(".rk-notice")).to_contain_text("facture retrouvée avec la mandataire", timeout=15_000)
    finally:
        ad_ctx.close()
        teacher_ctx.close()
