"""Finding 3: a stranger who knows a login must not be able to lock its owner out, nor learn
which logins exist. Real hub; the stranger and the owner connect from different loopback
addresses (127.0.0.2 vs 127.0.0.1), as the proxy sees them."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hubkit import PASSWORD, Session, running_platform
pytestmark = [pytest.mark.slow, pytest.mark.security]
RETKOOP = str(Path(sys.executable).parent / "retkoop")


@pytest.fixture(scope="module")
def platform():
    with running_platform("retkoop-sec-thr-", accounts=[("tilleuls", "mandataire", "AD76-0421")]) as hub:
        yield hub


def attempt(source: str, login: str, password: str) -> tuple[int, str]:
    status, body, _ = Session(source=source).login(login, password)
    m = re.search(r'<p class="login_error">([^<]*)</p>', body)
    return status, m.group(1) if m else ""


def test_a_stranger_cannot_lock_the_owner_out_nor_probe_logins(platform):
    from sqlalchemy import select
    from retkoop_widgets.services import Books
    from retkoop_widgets.storage import orm
    from retkoop_widgets.storage.uow import UnitOfWork
    answers = {attempt("127.0.0.2", "tilleuls", f"mauvais-{i}") for i in range(8)}
    answers.add(attempt("127.0.0.2", "tilleuls", PASSWORD))  # the right one, once throttled
    answers.add(attempt("127.0.0.3", "personne", "quelconque"))  # a login that does not exist
    assert answers == {(403, "Identifiant ou mot de passe incorrect.")}, answers
    # the owner, elsewhere, is not locked out
    assert attempt("127.0.0.1", "tilleuls", PASSWORD)[0] == 302
    # every failure and the throttle are in the audit log, with the address
    with UnitOfWork(Books(platform.settings.db_url).engine, read_only=True) as uow:
        rows = uow.session.execute(select(orm.AuditRow.action, orm.AuditRow.object_id, orm.AuditRow.after)
                                   .where(orm.AuditRow.object_type == "user")).all()
    failed = [r for r in rows if r[0] == "login_failed" and r[2]["adresse"] == "127.0.0.2"]
    throttled = [r for r in rows if r[0] == "login_throttled" and r[2]["adresse"] == "127.0.0.2"]
    assert len(failed) >= 3 and throttled, rows
    # the operator lifts the throttle
    env = {**os.environ, "RETKOOP_DB_URL": platform.settings.db_url}
    subprocess.run([RETKOOP, "user", "unlock", "tilleuls"], env=env, check=True, capture_output=True)
    deadline = time.monotonic() + 60
    while attempt("127.0.0.2", "tilleuls", PASSWORD)[0] != 302:
        assert time.monotonic() < deadline, "unlock did not lift the throttle"
        time.sleep(1)
