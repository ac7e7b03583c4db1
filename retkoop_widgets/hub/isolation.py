"""OS isolation on one machine: one unprivileged OS user per login of a role that runs code.

Why: an analyst or a formateur runs arbitrary Python in JupyterLab. If their server ran as
the hub's OS user, their code could read the hub's cookie secret (and forge anybody's login
cookie), the hub's database, every other server's ``/proc/<pid>/environ`` (hub tokens,
database URLs) and open the SQLite books read-write. The kernel cannot be trusted; the
kernel's *OS user* can be chosen. This is what JupyterHub's ``LocalProcessSpawner`` does
with ``create_system_users``; we do the same for the code-running roles only.

* ``os_user_name``: ``rk-<login>`` (shortened with a hash past Linux's 32 characters).
* ``ensure_os_user``: ``useradd`` a system user, no login shell, own group, home
  ``<homes>/<login>`` mode 0700 (nobody else can list or read it).
* ``remove_os_user``: kill what still runs under that uid (by pid), ``userdel`` it and
  delete its home (an account disabled, deleted or moved to a role without code).
* ``sqlite_snapshot``: what a code-running role gets instead of the SQLite books (which
  stay ``0600``, hub only): a fresh copy through SQLite's backup API, with every
  ``app_user.password_hash`` blanked (``secure_delete`` + ``VACUUM``: the old pages are
  overwritten, not just unlinked), owned by the OS user.
* ``harden_file`` / ``harden_dir``: the modes the platform keeps on what it writes.
"""
from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

PREFIX = "rk-"


def os_user_name(login: str) -> str:
    name = PREFIX + login
    if len(name) <= 32:
        return name
    digest = hashlib.sha1(login.encode()).hexdigest()[:8]
    return f"{PREFIX}{login[:20]}-{digest}"


def lookup(name: str):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def ensure_os_user(login: str, homes: Path) -> pwd.struct_passwd:
    """The OS user of ``login`` (created if absent) with a private home under ``homes``."""
    name = os_user_name(login)
    homes = Path(homes)
    homes.mkdir(parents=True, exist_ok=True)
    os.chmod(homes, 0o711)  # traversable, not listable: nobody learns the other logins
    home = homes / login
    entry = lookup(name)
    if entry is None:
        r = subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                            "--home-dir", str(home), "--shell", "/usr/sbin/nologin",
                            "--comment", f"Retkoop {login}", name],
                           capture_output=True, text=True)
        if r.returncode not in (0, 9):  # 9: created meanwhile by a concurrent start
            raise RuntimeError(f"useradd {name} a échoué : {r.stderr.strip()}")
        entry = pwd.getpwnam(name)
    home = Path(entry.pw_dir)
    home.mkdir(parents=True, exist_ok=True)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    os.chmod(home, 0o700)
    return entry


def chown_tree(path: Path, uid: int, gid: int) -> None:
    for root, dirs, files in os.walk(path):
        os.chown(root, uid, gid)
        for n in dirs + files:
            os.chown(os.path.join(root, n), uid, gid, follow_symlinks=False)


def processes_of(uid: int) -> list[int]:
    import psutil
    out = []
    for p in psutil.process_iter(["uids"]):
        try:
            if p.info["uids"] and p.info["uids"].real == uid:
                out.append(p.pid)
        except Exception:
            continue
    return out


def stop_processes(pids: list[int], still_running, grace: float = 5.0) -> None:
    """SIGTERM ``pids``, give them ``grace`` seconds, then SIGKILL what ``still_running(pids)``
    says is left (the one way the platform stops processes it did not start itself)."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while pids and time.monotonic() < deadline:
        time.sleep(0.1)
        pids = still_running(pids)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def kill_processes_of(uid: int, grace: float = 5.0) -> None:
    """Every process still running as ``uid`` (a kernel left behind), stopped."""
    if uid == 0:
        raise ValueError("refusing to kill root's processes")
    stop_processes(processes_of(uid), lambda _pids: processes_of(uid), grace)


def remove_os_user(login: str) -> bool:
    name = os_user_name(login)
    entry = lookup(name)
    if entry is None:
        return False
    kill_processes_of(entry.pw_uid)
    subprocess.run(["userdel", name], capture_output=True, text=True)
    shutil.rmtree(entry.pw_dir, ignore_errors=True)
    return True


def sqlite_snapshot(src: Path, dst: Path, uid: int | None = None, gid: int | None = None) -> Path:
    """A copy of the SQLite books without password hashes, owned by ``uid``."""
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".tmp")
    for p in (tmp, Path(str(tmp) + "-journal")):
        p.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    os.close(fd)
    s = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
    d = sqlite3.connect(tmp)
    try:
        s.backup(d)
        d.execute("PRAGMA journal_mode=DELETE")
        d.execute("PRAGMA secure_delete=ON")
        d.execute("UPDATE app_user SET password_hash = ''")
        d.commit()
        d.execute("VACUUM")
    finally:
        d.close()
        s.close()
    if uid is not None:
        os.chown(tmp, uid, gid if gid is not None else -1)
    os.replace(tmp, dst)
    return dst


def harden_dir(path: Path) -> None:
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def harden_file(path: Path) -> None:
    if Path(path).exists():
        os.chmod(path, 0o600)


def sqlite_files(db_path: Path) -> list[Path]:
    return [Path(str(db_path) + s) for s in ("", "-wal", "-shm", "-journal")]


def _runs_as_nobody(python: str) -> bool:
    """Can an unprivileged user start ``python`` with the platform's packages?"""
    def drop():
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    try:
        r = subprocess.run([python, "-c", "import jupyterhub.singleuser, retkoop_widgets.hub"],
                           preexec_fn=drop if os.geteuid() == 0 else None, cwd="/",
                           capture_output=True, timeout=120)
    except OSError:
        return False
    return r.returncode == 0


def shared_python(dest: Path) -> str:
    """A Python the isolated users can run: this process's one if an unprivileged user can,
    otherwise a venv at ``dest`` on the system Python of the same version whose ``.pth``
    adds this environment's site-packages (e.g. an interpreter under /root, mode 0700).
    Production installs the platform in a world-readable venv (/srv/retkoop/venv) and needs
    none of this."""
    import sys
    import sysconfig
    if _runs_as_nobody(sys.executable):
        return sys.executable
    dest = Path(dest)
    py = dest / "bin" / "python"
    if py.exists() and _runs_as_nobody(str(py)):
        return str(py)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    base = next((str(p) for p in (Path("/usr/bin") / version, Path("/usr/local/bin") / version) if p.exists()),
                None)
    if base is None:
        raise RuntimeError(f"aucun {version} lisible par un utilisateur non privilégié : "
                           "installez Retkoop dans un environnement lisible par tous (docs/security.md)")
    shutil.rmtree(dest, ignore_errors=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([base, "-m", "venv", "--without-pip", str(dest)], check=True, capture_output=True)
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    purelib = sysconfig.get_paths()["purelib"]
    (site / "retkoop-shared.pth").write_text(f"import site; site.addsitedir({purelib!r})\n")
    for root, dirs, files in os.walk(dest):
        os.chmod(root, 0o755)
        for f in files:
            p = os.path.join(root, f)
            if not os.path.islink(p):
                os.chmod(p, 0o755 if os.access(p, os.X_OK) else 0o644)
    if not _runs_as_nobody(str(py)):
        raise RuntimeError(f"{py} ne fonctionne pas pour un utilisateur non privilégié")
    return str(py)
