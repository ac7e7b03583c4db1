"""Finding 4: sessions that really end. A hub cookie copied before logout, or before the
operator resets the password or locks the account, must stop working, with the person's
tokens and server; mandataires hold no API token, other tokens expire. Real hub, plain
HTTP, the thief replaying the exact cookies of the victim's browser."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hubkit import (PASSWORD, Session, hub_pid_of_server, new_token,
                    running_platform, start_server)

pytestmark = [pytest.mark.slow, pytest.mark.security]
RETKOOP = str(Path(sys.executable).parent / "retkoop")


@pytest.fixture(scope="module")
def platform():
    with running_platform("retkoop-sec-ses-", accounts=[
        ("tilleuls", "mandataire", "AD76-0421"), ("ferry", "mandataire", "AD76-0102"),
        ("ad76", "admin-ad", "AD76")]) as hub:
        yield hub


def thief_of(victim: Session) -> Session:
    """Another client holding a copy of every cookie the victim's browser holds."""
    jar = "; ".join(f"{c.name}={c.value}" for c in victim.jar)
    return Session(headers={"Cookie": jar})


def logged_in(s: Session) -> bool:
    status, _, headers = s.request("GET", "/hub/home")
    return status == 200


def eventually(predicate, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return predicate()


def cli(platform, *args, stdin: str | None = None) -> None:
    env = {**os.environ, "RETKOOP_DB_URL": platform.settings.db_url}
    r = subprocess.run([RETKOOP, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_cookie_copied_before_logout_is_refused_after_it(platform):
    victim = Session()
    assert victim.login("tilleuls")[0] == 302
    start_server(victim, "tilleuls")
    thief = thief_of(victim)
    assert logged_in(thief)  # the copy works while the session lives
    victim.request("GET", "/hub/logout")
    assert not logged_in(thief)
    status, body, _ = thief.request("GET", "/user/tilleuls/voila/render/tableau_de_bord.ipynb")
    assert status != 200 and "tilleuls AD76-0421" not in body
    assert eventually(lambda: hub_pid_of_server("tilleuls") is None)


@pytest.mark.parametrize("action", ["reset", "lock"])
def test_reset_or_lock_ends_cookie_token_and_server(platform, action):
    victim = Session()
    assert victim.login("ad76")[0] == 302
    status, body = new_token(victim, "ad76")
    assert status == 201, body
    token = body["token"]
    start_server(victim, "ad76")
    thief = thief_of(victim)
    assert logged_in(thief) and Session().api("GET", "/user", token=token)[0] == 200
    if action == "reset":
        cli(platform, "user", "reset", "ad76", "--password-stdin", stdin="un-autre-secret-2026\n")
    else:
        cli(platform, "user", "lock", "ad76")
    assert eventually(lambda: not logged_in(thief))
    assert Session().api("GET", "/user", token=token)[0] in (401, 403)
    assert eventually(lambda: hub_pid_of_server("ad76") is None)
    if action == "lock":
        cli(platform, "user", "unlock", "ad76")
    cli(platform, "user", "reset", "ad76", "--password-stdin", stdin=PASSWORD + "\n")
    assert Session().login("ad76")[0] == 302  # the account itself works again


def test_mandataires_hold_no_token_and_other_tokens_expire(platform):
    m = Session()
    assert m.login("ferry")[0] == 302
    status, _ = new_token(m, "ferry")
    assert status == 403
    assert m.request("GET", "/hub/token")[0] == 404
    a = Session()
    assert a.login("ad76")[0] == 302
    status, body = new_token(a, "ad76")
    assert status == 201 and body["expires_at"], body
    status, body = a.api("POST", "/users/ad76/tokens", {"note": "pour toujours", "expires_in": 10 ** 9})
    assert status == 400, body
