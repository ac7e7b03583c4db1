"""Backups of Retkoop's database, and restore.

* SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent
  snapshot while the hub keeps writing (WAL readers are not blocked); the copy is a plain
  SQLite file, openable by anyone.
* PostgreSQL: ``pg_dump --format=custom`` (compressed, restorable table by table with
  ``pg_restore``). The password goes through ``PGPASSWORD``, never on a command line.
* Modes: the folder is 0700 and every backup 0600 (they hold the password hashes and the
  books), whatever the umask of the process that made them.
* Rotation: files are named ``retkoop-AAAAMMJJ-HHMMSS.<ext>``; only the newest ``keep`` are
  kept, so a scheduled backup never fills the disk.

Restore replaces the whole database content with the file's.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from .domain.errors import NotFound, ValidationError
from .storage import db as storage_db

PREFIX = "retkoop-"
EXT = {"sqlite": ".sqlite3", "postgresql": ".dump"}


def _backend(url: str) -> str:
    return make_url(storage_db.resolve_url(url)).get_backend_name()


def _sqlite_path(url: str) -> Path:
    u = make_url(storage_db.resolve_url(url))
    if not u.database or u.database == ":memory:":
        raise ValidationError("une base SQLite en mémoire ne se sauvegarde pas", "db")
    return Path(u.database)


def _pg_env_args(url: str) -> tuple[dict, list[str]]:
    u = make_url(storage_db.resolve_url(url))
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    args = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres",
            "-d", u.database]
    return env, args


def backup(url: str | None, directory: Path, *, keep: int = 0, now: datetime | None = None) -> Path:
    """Write one backup file into ``directory`` and return its path; keep the newest ``keep``."""
    url = storage_db.resolve_url(url)
    backend = _backend(url)
    if backend not in EXT:
        raise ValidationError(f"sauvegarde impossible pour une base « {backend} »", "db")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(directory, 0o700)
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    target = directory / f"{PREFIX}{stamp}{EXT[backend]}"
    n = 1
    while target.exists():  # two backups in the same second
        target = directory / f"{PREFIX}{stamp}-{n}{EXT[backend]}"
        n += 1
    tmp = target.with_suffix(target.suffix + ".partial")
    os.close(os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))  # 0600 from the start
    if backend == "sqlite":
        src_path = _sqlite_path(url)
        if not src_path.exists():
            tmp.unlink(missing_ok=True)
            raise NotFound(f"base SQLite introuvable : {src_path}")
        src = sqlite3.connect(f"file:{src_path}?mode=ro", uri=True)
        dst = sqlite3.connect(tmp)
        try:
            with dst:
                src.backup(dst)
        finally:
            dst.close()
            src.close()
    else:
        env, args = _pg_env_args(url)
        r = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                            "-f", str(tmp), *args], env=env, capture_output=True, text=True)
        if r.returncode:
            tmp.unlink(missing_ok=True)
            raise RuntimeError(f"pg_dump a échoué : {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode}")
    os.chmod(tmp, 0o600)
    tmp.rename(target)  # a half-written file never looks like a backup
    if keep:
        rotate(directory, keep)
    return target


def backups(directory: Path) -> list[Path]:
    """Backup files in ``directory``, oldest first."""
    files = [p for p in Path(directory).glob(f"{PREFIX}*") if p.suffix in EXT.values()]
    return sorted(files, key=_order)


def _order(p: Path) -> tuple:
    """Backup time from the name (``retkoop-AAAAMMJJ-HHMMSS[-n]``), not the file's mtime,
    which a copy or a restore from tape would change."""
    parts = p.stem[len(PREFIX):].split("-")
    n = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 0
    return ("-".join(parts[:2]), n, p.name)


def rotate(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups; return the deleted paths."""
    files = backups(directory)
    doomed = files[:-keep] if keep > 0 else []
    for p in doomed:
        p.unlink()
    return doomed


def restore(url: str | None, file: Path) -> None:
    """Replace the database's content with the backup ``file``'s."""
    url = storage_db.resolve_url(url)
    file = Path(file)
    if not file.exists():
        raise NotFound(f"fichier de sauvegarde introuvable : {file}")
    backend = _backend(url)
    if backend == "sqlite":
        if file.suffix != EXT["sqlite"]:
            raise ValidationError("une base SQLite se restaure depuis un fichier .sqlite3", "fichier")
        dst_path = _sqlite_path(url)
        dst_path.parent.mkdir(parents=True, exist_ok=True)
        for engine_key in [k for k in storage_db._ENGINES if k[0] == url]:
            storage_db._ENGINES.pop(engine_key).dispose()
        src = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        dst = sqlite3.connect(dst_path, timeout=30)
        try:
            src.backup(dst)  # page by page, under SQLite's own locks: safe for other readers
        finally:
            dst.close()
            src.close()
    elif backend == "postgresql":
        if file.suffix != EXT["postgresql"]:
            raise ValidationError("une base PostgreSQL se restaure depuis un fichier .dump (pg_dump)", "fichier")
        for engine_key in [k for k in storage_db._ENGINES if k[0] == url]:
            storage_db._ENGINES.pop(engine_key).dispose()
        env, args = _pg_env_args(url)
        r = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
                            "--single-transaction", "--exit-on-error", *args, str(file)],
                           env=env, capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError("pg_restore a échoué : " + (r.stderr.strip().splitlines()[-1] if r.stderr.strip() else str(r.returncode)))
    else:
        raise ValidationError(f"restauration impossible pour une base « {backend} »", "db")
