"""The production layout: the hub serves the repository's real notebooks
(``notebooks/tableau_de_bord.ipynb``, ``notebooks/ad.ipynb``) to locked servers.

A mandataire saves an entry through the real dashboard's form; an AD of AD76 opens a coop
of its AD and is refused one of AD27. (The attack surface itself is covered in test_hub.py.)
"""
from __future__ import annotations

import re

import pytest

from test_hub import PASSWORD, REPO

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PORT = 18070
BASE = f"http://127.0.0.1:{PORT}"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    from retkoop_widgets.demo import seed_demo
    from retkoop_widgets.hub.launcher import HubProcess, HubSettings, prepare_database
    from retkoop_widgets.services import Books
    from retkoop_widgets.services.accounts import Accounts
    root = tmp_path_factory.mktemp("hub_dashboard")
    url = f"sqlite:///{root / 'retkoop.sqlite3'}"
    settings = HubSettings(db_url=url, port=PORT, data_dir=root / "hub", notebooks_dir=REPO / "retkoop_widgets" / "notebooks",
                           server_ports=(18080, 18099))
    prepare_database(settings)
    seed_demo(Books(url))
    Accounts(url).add("tilleuls", "mandataire", coop="AD76-0421", password=PASSWORD)
    Accounts(url).add("ad76", "admin-ad", ad="AD76", password=PASSWORD)
    proc = HubProcess(settings).start()
    yield proc
    proc.stop()


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
