"""Backups: backup → wipe → restore gives the same CRF JSON for every coop (SQLite and
PostgreSQL); rotation keeps the newest N; the CLI and the hub's scheduler write them."""
from __future__ import annotations

import os
import time
from datetime import datetime

import pytest
from sqlalchemy import text

from retkoop_widgets.backup import backup, backups, restore, rotate
from retkoop_widgets.demo import seed_demo
from retkoop_widgets.domain.crf import crf_json
from retkoop_widgets.services import Books
from retkoop_widgets.services.accounts import Accounts
from retkoop_widgets.storage.db import get_engine
from retkoop_widgets.storage.orm import Base
from retkoop_widgets.storage.schema import upgrade


def all_crfs(books: Books) -> dict:
    out = {}
    for c in books.coops():
        for ex in books.exercices(c["code"]):
            out[(c["code"], ex.name)] = crf_json(books.crf(c["code"], ex.name))
    return out


def wipe(url: str) -> None:
    """Destroy the database content: drop every table (PostgreSQL) or the file (SQLite)."""
    engine = get_engine(url)
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
    else:
        with engine.begin() as c:
            for t in reversed(Base.metadata.sorted_tables):
                c.execute(text(f'DROP TABLE IF EXISTS "{t.name}" CASCADE'))
            c.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture
def seeded(db_url, clock):
    books = Books(db_url, today=clock.today, now=clock.now)
    seed_demo(books)
    Accounts(db_url).add("tilleuls", "mandataire", coop="AD76-0421", password="un-secret-solide")
    return books


def test_backup_wipe_restore_gives_the_same_crf_for_every_coop(seeded, db_url, tmp_path, clock):
    before = all_crfs(seeded)
    assert len(before) >= 5 and ("AD27-0101", "2025-2026") in before
    path = backup(db_url, tmp_path)
    assert path.exists() and path.stat().st_size > 10_000
    wipe(db_url)
    with pytest.raises(Exception):
        Books(db_url).coops()  # really gone
    if db_url.startswith("postgresql"):
        upgrade(get_engine(db_url))  # an empty schema, as a freshly installed server would have
        wipe(db_url)
    restore(db_url, path)
    after = all_crfs(Books(db_url, today=clock.today, now=clock.now))
    assert after == before
    # accounts come back too (same database), with their hashes
    assert Accounts(db_url).verify_login("tilleuls", "un-secret-solide").ok


def test_restore_refuses_a_wrong_kind_of_file(db_url, tmp_path):
    from retkoop_widgets.domain.errors import NotFound, ValidationError
    bogus = tmp_path / "x.txt"
    bogus.write_text("x")
    with pytest.raises(ValidationError):
        restore(db_url, bogus)
    with pytest.raises(NotFound):
        restore(db_url, tmp_path / "absent.sqlite3")


def test_rotation_keeps_the_newest(books, db_url, tmp_path):
    paths = []
    for i in range(5):
        paths.append(backup(db_url, tmp_path, keep=3, now=datetime(2026, 9, 15, 10, i)))
    same_second = backup(db_url, tmp_path, keep=0, now=datetime(2026, 9, 15, 10, 4))
    assert same_second.name.endswith("-1.sqlite3") or same_second.name.endswith("-1.dump")
    assert backups(tmp_path)[-1] == same_second
    same_second.unlink()
    left = backups(tmp_path)
    assert left == paths[-3:]
    assert rotate(tmp_path, 1) == paths[-3:-1]


def test_cli_backup_and_restore(seeded, db_url, tmp_path, capsys):
    from retkoop_widgets import cli
    assert cli.main(["--db", db_url, "backup", "--dir", str(tmp_path), "--keep", "2"]) == 0
    out = capsys.readouterr().out
    path = out.strip().split(" : ", 1)[1]
    seeded.as_user("test").add_coop("AD76-0999", "Coop ajoutée après la sauvegarde", "AD76")
    assert cli.main(["--db", db_url, "restore", path]) == 1  # asks for confirmation
    assert cli.main(["--db", db_url, "restore", path, "--oui"]) == 0
    assert "AD76-0999" not in {c["code"] for c in Books(db_url).coops()}


def test_scheduler_backs_up_while_running(seeded, db_url, tmp_path):
    from retkoop_widgets.hub.launcher import BackupScheduler
    s = BackupScheduler(db_url, tmp_path, every=0.5, keep=2)
    s.start()
    try:
        deadline = time.time() + 30
        while len(backups(tmp_path)) < 2 and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(1.5)
    finally:
        s.stop()
        s.join(10)
    assert s.error == ""
    assert len(backups(tmp_path)) == 2  # rotation held while it kept writing
