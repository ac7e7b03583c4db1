"""The multi-cooperative hub, end to end: real JupyterHub, real proxy (PyPI
configurable-http-proxy), real Voilà inside locked single-user servers, headless Chromium.

One hub for the whole module (a spawn takes 6-9 s here). The served folder holds the AD
dashboard (``notebooks/ad.ipynb``) and a small stand-in ``tableau_de_bord.ipynb`` built
below with the same identity contract as the real one (``retkoop_widgets.identity``):
it shows the coop, saves an entry through ``Books`` and has a button whose callback raises
an exception carrying the database URL.
"""
from __future__ import annotations

import re
import shutil
import urllib.request
from pathlib import Path

import pytest

from retkoop_widgets.domain.actor import Actor

pytestmark = [pytest.mark.slow]

PORT = 18000
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "un-secret-de-classe-42"
REPO = Path(__file__).resolve().parents[1]

STAND_IN = '''
import os
import ipywidgets as w
from datetime import date
from retkoop_widgets.identity import current_context
from retkoop_widgets.services import Books
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine
from retkoop_widgets.domain.errors import RetkoopError
books = Books()
try:
    actor, coop = current_context(books)
    books = books.as_user(actor)
    title = w.HTML(f"<h2 class='coop-title'>{books.coop_info(coop)['name']} ({coop})</h2>")
except RetkoopError as e:
    actor = coop = None
    title = w.HTML(f"<p class='refus'>{e}</p>")
status = w.HTML("")
status.add_class("status")
save = w.Button(description="Enregistrer une écriture")
save.add_class("save-entry")
boom = w.Button(description="Erreur")
boom.add_class("boom")
def on_save(_):
    e = books.record_entry(coop, "2025-2026", EntryDraft(date=date(2026, 6, 2), libelle="Saisie via le hub",
        bank_in=1234, mode="virement", ventilation=(VentilationLine("7560", 1234),)))
    status.value = f"<span class='saved'>Pièce {e.piece} enregistrée</span>"
def on_boom(_):
    raise RuntimeError("échec de connexion à " + os.environ["RETKOOP_DB_URL"])
save.on_click(on_save)
boom.on_click(on_boom)
w.VBox([title, save, boom, status])
'''


def write_stand_in(path: Path) -> None:
    import nbformat
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(STAND_IN)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def make_platform(root: Path, port: int = PORT):
    """A seeded SQLite database with accounts, a served folder, hub settings."""
    from retkoop_widgets.demo import seed_demo
    from retkoop_widgets.hub.launcher import HubSettings, prepare_database
    from retkoop_widgets.services import Books
    from retkoop_widgets.services.accounts import Accounts
    url = f"sqlite:///{root / 'retkoop.sqlite3'}"
    nb = root / "notebooks"
    nb.mkdir()
    write_stand_in(nb / "tableau_de_bord.ipynb")
    shutil.copy(REPO / "retkoop_widgets" / "notebooks" / "ad.ipynb", nb / "ad.ipynb")
    (nb / "secret.ipynb").write_text((nb / "tableau_de_bord.ipynb").read_text())
    (nb / "formation").mkdir()
    shutil.copy(nb / "secret.ipynb", nb / "formation" / "01_premiere_recette.ipynb")
    shutil.copy(nb / "secret.ipynb", nb / "analyse_departementale.ipynb")
    import tempfile
    from retkoop_widgets.hub.isolation import shared_python
    # formateurs' and analysts' OS users need a home they can reach (pytest's folders are 0700)
    homes = Path(tempfile.mkdtemp(prefix="retkoop-homes-", dir="/tmp"))
    settings = HubSettings(db_url=url, port=port, data_dir=root / "hub", notebooks_dir=nb,
                           server_ports=(port + 10, port + 39), homes_dir=homes,
                           user_python=shared_python(Path("/tmp/retkoop-user-python")))
    prepare_database(settings)
    seed_demo(Books(url))
    acc = Accounts(url)
    acc.add("tilleuls", "mandataire", coop="AD76-0421", password=PASSWORD)
    acc.add("ferry", "mandataire", coop="AD76-0102", password=PASSWORD)
    acc.add("ad76", "admin-ad", ad="AD76", password=PASSWORD)
    acc.add("formatrice", "formateur", password=PASSWORD)
    acc.add("ana", "analyste", ad="AD76", password=PASSWORD)
    return settings


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    from retkoop_widgets.hub.launcher import HubProcess
    settings = make_platform(tmp_path_factory.mktemp("hub"))
    from retkoop_widgets.hub.isolation import remove_os_user
    try:
        proc = HubProcess(settings).start()
        yield proc
        proc.stop()
    finally:
        for login in ("formatrice", "ana"):
            remove_os_user(login)
        shutil.rmtree(settings.homes_dir, ignore_errors=True)


def login(browser, login: str, password: str = PASSWORD):
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(f"{BASE}/hub/login")
    page.fill("#username_input", login)
    page.fill("#password_input", password)
    page.click("#login_submit")
    return ctx, page


def wait_dashboard(page, selector: str = ".save-entry", timeout: float = 90_000) -> None:
    page.wait_for_url(re.compile(r".*/voila/render/.*"), wait_until="commit", timeout=timeout)
    page.wait_for_selector(selector, timeout=timeout)


def lab_setting_default(page, user: str, plugin: str, key: str):
    """The default JupyterLab gives a setting (schema default after overrides.json), read
    through the lab's settings API as the lab itself does (cookie and XSRF header)."""
    return page.evaluate(
        """async ([user, plugin, key]) => {
            const m = document.cookie.match(/(?:^|; )_xsrf=([^;]*)/);
            const headers = m ? {"X-XSRFToken": decodeURIComponent(m[1])} : {};
            const r = await fetch(`/user/${user}/lab/api/settings/${plugin}`, {headers, credentials: "same-origin"});
            if (!r.ok) return "HTTP " + r.status;
            return (await r.json()).schema.properties[key].default;
        }""", [user, plugin, key])


def in_page_fetch(page, method: str, path: str, body: str | None = None) -> dict:
    """A request made by the page itself, as its own scripts would: same cookies, and the
    server's XSRF token in the header, so a refusal comes from authorisation, not XSRF."""
    return page.evaluate(
        """async ([method, path, body]) => {
            const m = document.cookie.match(/(?:^|; )_xsrf=([^;]*)/);
            const headers = {"Content-Type": "application/json"};
            if (m) headers["X-XSRFToken"] = decodeURIComponent(m[1]);
            const r = await fetch(path, {method, headers, body, redirect: "follow", credentials: "same-origin"});
            return {status: r.status, url: r.url, text: (await r.text()).slice(0, 2000), xsrf: !!m};
        }""", [method, path, body])


@pytest.fixture(scope="module")
def mandataire(hub, browser):
    ctx, page = login(browser, "tilleuls")
    wait_dashboard(page)
    yield page
    ctx.close()


@pytest.mark.browser
def test_mandataire_lands_on_own_dashboard_and_saves_an_entry(hub, mandataire):
    from retkoop_widgets.services import Books
    page = mandataire
    assert page.url.startswith(f"{BASE}/user/tilleuls/voila/render/tableau_de_bord.ipynb")
    assert "École des Tilleuls (AD76-0421)" in page.inner_text(".coop-title")
    books = Books(hub.settings.db_url)
    before = [e for e in books.entries("AD76-0421", "2025-2026") if e.libelle == "Saisie via le hub"]
    page.click(".save-entry")
    page.wait_for_selector(".saved", timeout=30_000)
    after = [e for e in books.entries("AD76-0421", "2025-2026") if e.libelle == "Saisie via le hub"]
    assert len(after) == len(before) + 1
    assert after[-1].piece in page.inner_text(".status")
    log = books.audit_log("AD76-0421", limit=5)
    assert log[0]["actor"] == "tilleuls" and log[0]["action"] == "create"


@pytest.mark.browser
def test_mandataire_cannot_create_kernels_write_contents_or_open_terminals(hub, mandataire):
    page = mandataire
    me = "/user/tilleuls"
    kernel_id = page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
    # Control: the same kind of request on the dashboard's own kernel model is allowed, so
    # the refusals below are decisions of the lock, not a broken session or a missing token.
    own = in_page_fetch(page, "GET", f"{me}/api/kernels/{kernel_id}")
    assert own["status"] == 200 and own["xsrf"], own
    r = in_page_fetch(page, "POST", f"{me}/api/kernels", "{}")
    assert r["status"] == 403 and "accès refusé" in r["text"], r  # in French (hub/api_errors.py)
    r = in_page_fetch(page, "GET", f"{me}/api/kernels")
    assert r["status"] == 403, r
    r = in_page_fetch(page, "PUT", f"{me}/api/contents/x.ipynb",
                      '{"type": "notebook", "content": {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}}')
    assert r["status"] == 403, r
    assert not (hub.settings.notebooks_dir / "x.ipynb").exists()
    r = in_page_fetch(page, "POST", f"{me}/api/terminals", "{}")
    assert r["status"] in (403, 404), r
    for path in (f"{me}/api/contents", f"{me}/files/tableau_de_bord.ipynb", f"{me}/voila/tree",
                 f"{me}/voila/render/secret.ipynb", f"{me}/voila/render/ad.ipynb", f"{me}/api/sessions",
                 f"{me}/voila/files/tableau_de_bord.ipynb", f"{me}/lab", f"{me}/tree"):
        r = in_page_fetch(page, "GET", path)
        assert r["status"] in (403, 404), (path, r)


@pytest.mark.browser
def test_execute_request_on_the_dashboard_kernel_is_ignored(hub, mandataire, tmp_path):
    page = mandataire
    marker = tmp_path / "pwned"
    result = page.evaluate(
        """async ([marker]) => {
            const cfg = JSON.parse(document.getElementById('jupyter-config-data').textContent);
            const url = location.origin.replace('http', 'ws') + '/user/tilleuls/api/kernels/' + cfg.kernelId + '/channels';
            const ws = new WebSocket(url);
            const got = [];
            ws.onmessage = (ev) => { try { got.push(JSON.parse(ev.data).header.msg_type); } catch (e) {} };
            await new Promise((ok, ko) => { ws.onopen = ok; ws.onerror = ko; });
            const msg = (type, content) => JSON.stringify({header: {msg_id: crypto.randomUUID(), msg_type: type,
                username: 'x', session: crypto.randomUUID(), date: new Date().toISOString(), version: '5.3'},
                parent_header: {}, metadata: {}, content, channel: 'shell', buffers: []});
            ws.send(msg('execute_request', {code: "open(" + JSON.stringify(marker) + ", 'w').write('x')",
                silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true}));
            ws.send(msg('comm_info_request', {}));
            await new Promise(r => setTimeout(r, 4000));
            ws.close();
            return got;
        }""", [str(marker)])
    assert "comm_info_reply" in result, result  # the websocket works: a widget message is answered
    assert "execute_reply" not in result and "execute_input" not in result, result
    assert not marker.exists()


@pytest.mark.browser
def test_widget_exception_shows_no_traceback_nor_database_url(hub, mandataire):
    page = mandataire
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    db_path = hub.settings.db_url.split("///", 1)[1]
    page.click(".boom")
    page.wait_for_timeout(3000)
    text = page.content()
    seen = text + "\n".join(console)
    assert db_path not in seen and "sqlite://" not in seen
    assert "Traceback" not in seen and "RuntimeError" not in seen
    # the page still works after the error
    page.click(".save-entry")
    page.wait_for_selector(".saved", timeout=30_000)


@pytest.mark.browser
def test_mandataire_cannot_reach_another_users_server(hub, browser, mandataire):
    ctx, other = login(browser, "ferry")
    try:
        wait_dashboard(other)
        assert "AD76-0102" in other.inner_text(".coop-title")
        r = in_page_fetch(mandataire, "GET", "/user/ferry/")
        assert r["status"] in (403, 404), r
        assert "AD76-0102" not in r["text"]
        r = in_page_fetch(mandataire, "GET", "/user/ferry/voila/render/tableau_de_bord.ipynb")
        assert r["status"] in (403, 404) and "save-entry" not in r["text"], r
    finally:
        ctx.close()


@pytest.mark.browser
def test_admin_ad_sees_own_ad_and_cannot_open_another_ads_coop(hub, browser):
    ctx, page = login(browser, "ad76")
    try:
        page.wait_for_url(re.compile(r".*/voila/render/ad\.ipynb"), wait_until="commit", timeout=90_000)
        page.wait_for_selector(".ad-overview", timeout=90_000)
        table = page.inner_text(".ad-overview")
        assert "AD76-0421" in table and "AD76-0550" in table
        assert "AD27" not in table
        page.screenshot(path=str(hub.settings.data_dir / "ad.png"), full_page=True)
        page.goto(f"{BASE}/user/ad76/voila/render/tableau_de_bord.ipynb?coop=AD76-0102", wait_until="commit")
        page.wait_for_selector(".coop-title", timeout=60_000)
        assert "AD76-0102" in page.inner_text(".coop-title")
        page.goto(f"{BASE}/user/ad76/voila/render/tableau_de_bord.ipynb?coop=AD27-0101", wait_until="commit")
        page.wait_for_selector(".refus", timeout=60_000)
        assert "AD27-0101" in page.inner_text(".refus") and "droit" in page.inner_text(".refus")
        assert page.query_selector(".coop-title") is None
    finally:
        ctx.close()


@pytest.mark.browser
def test_temporary_password_must_be_changed_at_first_login(hub, browser):
    from retkoop_widgets.services.accounts import Accounts
    temp = Accounts(hub.settings.db_url).add("coquelicots", "mandataire", coop="AD76-0333")
    ctx, page = login(browser, "coquelicots", temp)
    try:
        page.wait_for_url(re.compile(r".*/hub/mot-de-passe.*"), timeout=30_000)
        # skipping the form does not start a server, and says why in French
        r = in_page_fetch(page, "GET", "/hub/spawn")
        assert "save-entry" not in r["text"]
        form_url = page.url
        assert page.goto(f"{BASE}/hub/spawn").status == 403
        assert page.inner_text("h1") == "Accès refusé"
        assert "Changez d'abord votre mot de passe" in page.inner_text(".error")
        page.goto(form_url)
        page.fill("#old_password", temp)
        page.fill("#new_password", "court")
        page.fill("#new_password_again", "court")
        page.click("#password_submit")
        assert "au moins 10 caractères" in page.inner_text("#password_error")
        page.fill("#old_password", temp)
        page.fill("#new_password", "un-vrai-secret-2026")
        page.fill("#new_password_again", "un-vrai-secret-2026")
        page.click("#password_submit")
        wait_dashboard(page)
        assert "AD76-0333" in page.inner_text(".coop-title")
        assert Accounts(hub.settings.db_url).profile("coquelicots").must_change_password is False
    finally:
        ctx.close()


@pytest.mark.browser
def test_logout_ends_the_session(hub, browser):
    ctx, page = login(browser, "tilleuls")
    try:
        wait_dashboard(page)
        page.goto(f"{BASE}/hub/logout")
        page.goto(f"{BASE}/user/tilleuls/voila/render/tableau_de_bord.ipynb")
        page.wait_for_load_state()
        assert "/hub/login" in page.url
        assert page.query_selector("#username_input") is not None
    finally:
        ctx.close()


def test_wrong_password_is_refused_in_french(hub):
    import http.cookiejar
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(f"{BASE}/hub/login").read().decode()
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"_xsrf": xsrf, "username": "ferry", "password": "mauvais"}).encode()
    try:
        opener.open(f"{BASE}/hub/login", data)
        raise AssertionError("a wrong password was accepted")
    except urllib.error.HTTPError as e:
        assert e.code == 403
        body = e.read().decode()
    assert "Identifiant ou mot de passe incorrect." in body
    assert "Connexion à Retkoop" in body


def test_analyst_env_and_admin_actor_rules():
    """The identity the spawner gives each role (the dashboards' contract)."""
    from retkoop_widgets.hub.spawner import server_env
    from retkoop_widgets.services.accounts import Profile
    m = server_env(Profile("tilleuls", "mandataire", "AD76-0421", None, "", False, True), "sqlite:///x")
    assert m["RETKOOP_COOP"] == "AD76-0421" and m["RETKOOP_ROLE"] == "mandataire" and not m["RETKOOP_READ_ONLY"]
    a = server_env(Profile("ana", "analyste", None, "AD76", "", False, True), "postgresql://rw@h/db",
                   "postgresql://retkoop_analyste:pw@h/db")
    assert a["RETKOOP_READ_ONLY"] == "1" and a["RETKOOP_DB_URL"].startswith("postgresql://retkoop_analyste")
    assert not Actor("ad76", "admin-ad", ad="AD76").may_read("AD27-0101", "AD27")


@pytest.mark.browser
def test_formateur_and_analyste_get_jupyterlab_with_their_workspace(hub, browser):
    import psutil
    for who, expected in (("formatrice", "formation"), ("ana", "analyse_departementale.ipynb")):
        ctx, page = login(browser, who)
        try:
            page.wait_for_url(re.compile(rf".*/user/{who}/lab.*"), wait_until="commit", timeout=90_000)
            page.wait_for_selector(".jp-DirListing-itemText", timeout=90_000)
            names = [e.inner_text() for e in page.query_selector_all(".jp-DirListing-itemText")]
            assert expected in names, names
            # JupyterLab in French: the language setting defaults to fr_FR
            # (hub_config/lab_settings/overrides.json) and the language pack translates the menus
            assert lab_setting_default(page, who, "@jupyterlab/translation-extension:plugin", "locale") == "fr_FR"
            assert lab_setting_default(page, who, "@jupyterlab/apputils-extension:notification", "fetchNews") == "false"
            menus = [e.inner_text() for e in page.query_selector_all(".lm-MenuBar-itemLabel")]
            assert "Fichier" in menus and "Aide" in menus and "File" not in menus, menus
        finally:
            ctx.close()
    envs = {}
    for p in psutil.process_iter(["cmdline", "environ"]):
        if re.search(r"jupyterhub[-.]singleuser", " ".join(p.info["cmdline"] or [])):  # isolated: python -m
            e = p.info["environ"] or {}
            envs[e.get("JUPYTERHUB_USER")] = e
    assert envs["ana"]["RETKOOP_READ_ONLY"] == "1" and envs["ana"]["RETKOOP_ROLE"] == "analyste"
    assert envs["formatrice"]["RETKOOP_READ_ONLY"] == "" and envs["formatrice"]["RETKOOP_ROLE"] == "formateur"


# English that the stock JupyterHub pages show and ours must not (visible text only: home.html's
# script holds "Start My Server" as the key of its French replacement).
ENGLISH = ("My Server", "Logout", "Login", "Home", "Token", "Server not running", "Your server",
           "Launch", "Not Found", "Jupyter has lots of moons", "Error", "Traceback")


def assert_french(page) -> str:
    text = page.inner_text("body")
    leftovers = [w for w in ENGLISH if w in text]
    assert not leftovers, (leftovers, text)
    return text


@pytest.mark.browser
def test_hub_pages_are_in_french(hub, browser):
    """/hub/home, a 404 and the "not running" page a mandataire meets once their server was
    stopped (idle culler, or the stop button here): French, no English, no technical detail.
    Uses ferry, whose server is already running if the tests above ran, and stops it."""
    ctx, page = login(browser, "ferry")
    try:
        wait_dashboard(page)
        assert page.goto(f"{BASE}/hub/home").status == 200
        page.wait_for_function("window._jupyterhub_page_loaded === true")
        assert page.inner_text("#stop").strip() == "Arrêter mon tableau de bord"
        assert page.inner_text("#start").strip() == "Ouvrir mon tableau de bord"
        assert page.inner_text("#logout").strip() == "Se déconnecter"
        assert "Accueil" in assert_french(page)
        assert page.title() == "Retkoop — comptabilité des coopératives scolaires"  # the browser tab

        assert page.goto(f"{BASE}/hub/does-not-exist").status == 404
        assert page.inner_text("h1") == "Page introuvable"
        assert "Erreur 404" in assert_french(page)

        # the stop button: home.js writes "Start My Server", our script puts it back in French
        page.goto(f"{BASE}/hub/home")
        page.wait_for_function("window._jupyterhub_page_loaded === true")
        page.click("#stop")
        page.wait_for_selector("#stop", state="hidden", timeout=30_000)
        assert page.inner_text("#start").strip() == "Démarrer mon tableau de bord"
        assert_french(page)

        # the dashboard's address now leads to the "not running" page (after "stop pending",
        # which reloads itself, if the stop is not finished yet)
        page.goto(f"{BASE}/user/ferry/voila/render/tableau_de_bord.ipynb")
        page.wait_for_selector("h1:has-text('Votre tableau de bord n’est pas démarré')", timeout=30_000)
        assert page.inner_text("#start").strip() == "Démarrer mon tableau de bord"
        assert_french(page)
    finally:
        ctx.close()
