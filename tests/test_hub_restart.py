"""A hub restart: a stranger's wrong passwords never lock the owner out, and an account
reset while the hub was down ends the sessions opened before (the session stamps are kept
in the hub's data folder). Real hub and proxy, plain HTTP."""
from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

pytestmark = [pytest.mark.slow]

PORT = 18050
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "un-secret-de-classe-42"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None  # a successful login answers 302; do not follow it into a spawn


def post_login(login: str, password: str, jar=None) -> tuple[int, str, str]:
    """(status, body, Location) of one login form submission, XSRF token included."""
    jar = jar if jar is not None else http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    html = opener.open(f"{BASE}/hub/login").read().decode()
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"_xsrf": xsrf, "username": login, "password": password}).encode()
    try:
        r = opener.open(f"{BASE}/hub/login", data)
        return r.status, r.read().decode(), r.headers.get("Location", "")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers.get("Location", "")


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    from retkoop_widgets.hub.launcher import HubSettings, prepare_database
    from retkoop_widgets.services import Books
    from retkoop_widgets.services.accounts import Accounts
    root = tmp_path_factory.mktemp("hub_restart")
    url = f"sqlite:///{root / 'retkoop.sqlite3'}"
    settings = HubSettings(db_url=url, port=PORT, data_dir=root / "hub", notebooks_dir=root,
                           server_ports=(18060, 18069))
    prepare_database(settings)
    books = Books(url)
    books.add_ad("AD76", "OCCE Seine-Maritime")
    books.add_coop("AD76-0421", "École des Tilleuls", "AD76")
    Accounts(url).add("tilleuls", "mandataire", coop="AD76-0421", password=PASSWORD)
    Accounts(url).add("ferry", "mandataire", coop="AD76-0421", password=PASSWORD)
    return settings


def home_status(jar) -> int:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    try:
        return opener.open(f"{BASE}/hub/home").status
    except urllib.error.HTTPError as e:
        return e.code


def test_no_lock_for_the_owner_and_a_reset_while_down_ends_old_sessions(platform):
    import time
    from retkoop_widgets.hub.launcher import HubProcess
    from retkoop_widgets.services.accounts import Accounts
    hub = HubProcess(platform).start()
    old_session = http.cookiejar.CookieJar()
    try:
        status, _, location = post_login("tilleuls", PASSWORD, old_session)
        assert status == 302 and "/hub/" in location  # the right password works
        assert home_status(old_session) == 200
        for i in range(6):
            status, body, _ = post_login("tilleuls", f"mauvais-{i}")
            assert status == 403 and "Identifiant ou mot de passe incorrect." in body
            assert "verrouillé" not in body
    finally:
        hub.stop()
    Accounts(platform.db_url).reset("tilleuls", "un-nouveau-secret-77")  # while the hub is down
    hub = HubProcess(platform).start()
    try:
        deadline = time.monotonic() + 60
        while home_status(old_session) == 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert home_status(old_session) != 200  # the session opened before the reset is over
        status, _, _ = post_login("ferry", PASSWORD)
        assert status == 302  # the restarted hub logs other people in
        status, _, _ = post_login("tilleuls", "un-nouveau-secret-77")
        assert status == 302
    finally:
        hub.stop()
