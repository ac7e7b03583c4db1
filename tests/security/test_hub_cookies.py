"""Finding 5 (cookies): behind the documented nginx (TLS there, then plain HTTP through
configurable-http-proxy), every cookie a person's browser gets, from the Hub *and* from
their own server (its OAuth login cookie and its XSRF cookie), is Secure, and SameSite=Lax;
the login cookies are HttpOnly. The requests go through the real proxy with
``X-Forwarded-Proto: https``, as nginx sends them, along the whole login → dashboard path."""
from __future__ import annotations

import re
import time
import urllib.parse
from email.utils import parsedate_to_datetime

import pytest

from hubkit import PASSWORD, Session, running_platform
pytestmark = [pytest.mark.slow, pytest.mark.security]


@pytest.fixture(scope="module")
def platform():
    # docs/deploy.md: --public-url behind nginx
    with running_platform("retkoop-sec-coo-", accounts=[("tilleuls", "mandataire", "AD76-0421")],
                          public_url="https://retkoop.example.org/") as hub:
        yield hub


def test_every_cookie_is_secure_and_samesite_behind_the_https_proxy(platform):
    # (redirections name https://retkoop.example.org/…: the browser's path is followed here,
    # on the proxy's address, as nginx would forward it)
    s = Session(headers={"X-Forwarded-Proto": "https"})
    seen: dict[str, str] = {}  # cookie name -> its Set-Cookie line (lower case)
    jar: dict[str, str] = {}

    def collect(headers):
        for line in headers.get_all("Set-Cookie") or []:
            name, rest = line.split("=", 1)
            m = re.search(r"expires=([^;]+)", line, re.I)
            if m and parsedate_to_datetime(m.group(1)).timestamp() < time.time():
                jar.pop(name, None)  # a deletion: nothing is stored
                continue
            seen[name] = line.lower()
            jar[name] = rest.split(";", 1)[0]

    def send(method, path, data=None, extra=None):
        cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
        status, body, headers = s.request(method, path, data, {"Cookie": cookie, **(extra or {})})
        collect(headers)
        return status, body, headers

    # (a browser on https sends the Secure cookies back; urllib's jar would not, on http)
    _, html, _ = send("GET", "/hub/login")
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', html).group(1)
    status, _, _ = send("POST", "/hub/login", urllib.parse.urlencode(
        {"_xsrf": xsrf, "username": "tilleuls", "password": PASSWORD}).encode())
    assert status == 302
    path = "/hub/spawn"  # the browser: "start my dashboard", then on to it
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status, body, headers = send("GET", path)
        if status == 200 and "/spawn-pending/" in path:
            time.sleep(0.5)  # the page waits for the server, then goes on to it
            path = "/user/tilleuls/voila/render/tableau_de_bord.ipynb"
            continue
        if status not in (301, 302, 303, 307):
            break
        loc = urllib.parse.urlsplit(headers["Location"])
        path = loc.path + (f"?{loc.query}" if loc.query else "")
    assert status == 200 and "tilleuls AD76-0421" in body, (status, body[:300])
    assert "jupyterhub-user-tilleuls" in seen and "jupyterhub-hub-login" in seen, list(seen)
    for name in ("jupyterhub-hub-login", "jupyterhub-user-tilleuls"):
        assert "; httponly" in seen[name], seen[name]
    bad = {n: c.split(";", 1)[1] for n, c in seen.items() if "; secure" not in c or "samesite=lax" not in c}
    assert bad == {}
