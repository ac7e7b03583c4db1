"""Finding 1 (High): an analyst's kernel must not reach the hub's secrets, other servers'
environments, the books or the password hashes. Real hub, real analyst login, code run in
the analyst's own kernel through their server's kernel API with their own token: exactly
what their JupyterLab does."""
from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from hubkit import (PASSWORD, Session, hub_pid_of_server, new_token, run_in_kernel,
                    running_platform, start_server)

pytestmark = [pytest.mark.slow, pytest.mark.security]

ATTACK = r'''
import json, os, sqlite3
out = {"uid": os.getuid()}
def attempt(name, fn):
    try:
        out[name] = "OK " + str(fn())[:80]
    except Exception as e:
        out[name] = "refused " + type(e).__name__
attempt("cookie_secret", lambda: open(%(secret)r, "rb").read().hex())
attempt("hub_db", lambda: open(%(hub_db)r, "rb").read(16))
attempt("hub_environ", lambda: open("/proc/%(hub_pid)d/environ", "rb").read())
attempt("other_server_environ", lambda: open("/proc/%(other_pid)d/environ", "rb").read())
def write_books():
    c = sqlite3.connect(%(books)r)
    c.execute("INSERT INTO ad (code, name) VALUES ('AD99', 'Pirate')")
    c.commit()
    return "wrote"
attempt("books_write", write_books)
attempt("books_read", lambda: open(%(books)r, "rb").read(16))
attempt("books_wal", lambda: open(%(books)r + "-wal", "rb").read(16))
attempt("backup_dir", lambda: os.listdir(%(data)r))
attempt("db_url_is_books", lambda: os.environ["RETKOOP_DB_URL"] == "sqlite:///" + %(books)r)
from sqlalchemy import text
from retkoop_widgets.hub.analyst import analyst_engine
with analyst_engine().connect() as c:
    hashes = [r[0] for r in c.execute(text("SELECT password_hash FROM app_user"))]
out["hashes"] = [h[:10] for h in hashes if h]
with analyst_engine().connect() as c:
    out["coops"] = c.execute(text("SELECT count(*) FROM coop")).scalar()
print("RESULT " + json.dumps(out))
'''


@pytest.fixture(scope="module")
def platform():
    with running_platform("retkoop-sec-iso-", accounts=[
        ("ana", "analyste", "AD76"), ("tilleuls", "mandataire", "AD76-0421"),
        ("formatrice", "formateur", None)]) as hub:
        yield hub


def attack_as(platform, login: str) -> dict:
    settings = platform.settings
    victim = Session()
    assert victim.login("tilleuls")[0] == 302
    start_server(victim, "tilleuls")
    s = Session()
    assert s.login(login, PASSWORD)[0] == 302
    status, body = new_token(s, login)
    assert status == 201, (status, body)
    token = body["token"]
    start_server(s, login, token=token)
    books = settings.db_url.split("///", 1)[1]
    with open(books) as _:
        pass  # the books exist where the attacker looks
    code = ATTACK % {"secret": str(settings.data_dir / "jupyterhub_cookie_secret"),
                     "hub_db": str(settings.data_dir / "jupyterhub.sqlite"),
                     "hub_pid": platform.proc.pid, "other_pid": hub_pid_of_server("tilleuls"),
                     "books": books, "data": str(settings.data_dir)}
    out = run_in_kernel(login, token, code)
    line = [x for x in out.splitlines() if x.startswith("RESULT ")]
    assert line, out
    return json.loads(line[0][len("RESULT "):])


@pytest.mark.parametrize("login", ["ana", "formatrice"])
def test_code_running_roles_cannot_reach_hub_secrets_other_servers_or_the_books(platform, login):
    from retkoop_widgets.services import Books
    out = attack_as(platform, login)
    assert out["uid"] != 0, out  # not the hub's user
    for name in ("cookie_secret", "hub_db", "hub_environ", "other_server_environ", "books_write",
                 "books_read", "books_wal", "backup_dir"):
        assert out[name].startswith("refused"), (name, out)
    assert out["db_url_is_books"] == "OK False", out  # they work on their own copy…
    assert out["hashes"] == [], out  # …without any password hash
    assert out["coops"] == 2, out  # and they do read the books
    assert "AD99" not in {a for a, _ in Books(platform.settings.db_url).ads()}


def test_platform_files_are_private(platform):
    """Modes of everything the platform writes (the hub runs with umask 077)."""
    settings = platform.settings
    from retkoop_widgets.backup import backup
    from retkoop_widgets.services import Books
    Books(settings.db_url).add_coop("AD76-0555", "École du Port", "AD76")  # a write: WAL exists
    books = Path(settings.db_url.split("///", 1)[1])
    b = backup(settings.db_url, settings.data_dir.parent / "sauvegardes")

    def mode(p: Path) -> int:
        return stat.S_IMODE(p.stat().st_mode)
    expected = {settings.data_dir: 0o700, b.parent: 0o700, b: 0o600, books: 0o600}
    for f in ("jupyterhub_cookie_secret", "jupyterhub.sqlite", "jupyterhub.log"):
        expected[settings.data_dir / f] = 0o600
    wal = Path(f"{books}-wal")
    assert wal.exists()
    expected[wal] = 0o600
    wrong = {str(p): oct(mode(p)) for p, m in expected.items() if mode(p) != m}
    assert wrong == {}


def test_homes_of_code_running_roles_are_private(platform):
    homes = platform.settings.homes_dir
    assert {h.name for h in homes.iterdir()} >= {"ana", "formatrice"}
    for home in homes.iterdir():
        assert stat.S_IMODE(home.stat().st_mode) == 0o700 and home.stat().st_uid != 0, home


def test_an_analyst_moved_to_another_role_loses_os_user_server_and_home(platform):
    """Created by the platform, removed by it: a role change ends the session and removes
    the OS user and its home (nothing of the analyst's access survives)."""
    import time
    from sqlalchemy import text
    from retkoop_widgets.hub.isolation import lookup, os_user_name
    from retkoop_widgets.services import Books
    entry = lookup(os_user_name("ana"))
    assert entry is not None  # made at the analyst's first start (tests above)
    home = Path(entry.pw_dir)
    with Books(platform.settings.db_url).engine.begin() as c:  # what an operator's SQL would do
        c.execute(text("UPDATE app_user SET role = 'mandataire', coop_code = 'AD76-0102' WHERE login = 'ana'"))
    deadline = time.monotonic() + 60
    while lookup(os_user_name("ana")) is not None and time.monotonic() < deadline:
        time.sleep(0.5)
    assert lookup(os_user_name("ana")) is None
    assert not home.exists()
    assert hub_pid_of_server("ana") is None
