"""``retkoop hub``: the whole platform on one machine, in one command.

Steps: bring Retkoop's database to the latest schema; for PostgreSQL, create or refresh the
least-privilege roles of the dashboards, formateurs and analysts (``db_roles.py``); in demo mode, seed the demo books and create the
documented demo accounts; start JupyterHub (``hub_config/jupyterhub_config.py``) with the
PyPI ``configurable-http-proxy`` (no Node); back up the database every
``backup_every`` hours with rotation (a thread of this process, so backups run exactly
while the platform runs); stop everything cleanly on Ctrl-C / SIGTERM (systemd).

``HubProcess`` is also what tests and ``bench/hub.py`` use to start a real hub.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ..settings import settings
from ..storage.db import get_engine, redact, resolve_url
from ..storage.schema import upgrade

HUB_CONFIG_DIR = settings().hub_config_dir
BIN = Path(sys.executable).parent

# Documented in docs/deploy.md and printed by ``retkoop hub --demo``.
DEMO_PASSWORD = "retkoop-demo-2026"
DEMO_ACCOUNTS = [
    # login, role, coop, ad, full name
    ("tilleuls", "mandataire", "AD76-0421", None, "Mandataire de l'école des Tilleuls"),
    ("ad76", "admin-ad", None, "AD76", "Gestionnaire OCCE Seine-Maritime"),
    ("ad27", "admin-ad", None, "AD27", "Gestionnaire OCCE Eure"),
    ("formateur", "formateur", None, None, "Formateur OCCE"),
    ("analyste", "analyste", None, None, "Analyste (lecture seule)"),
]


@dataclass
class HubSettings:
    """What one hub is started with. Defaults come from the one ``Settings``
    (``retkoop_widgets/settings.py``); ``env()`` hands them to the Hub's process by name."""
    db_url: str
    port: int = 8000
    ip: str = "127.0.0.1"
    data_dir: Path = field(default_factory=lambda: settings().hub_data_dir)
    notebooks_dir: Path = field(default_factory=lambda: settings().notebooks_dir)
    # PostgreSQL: the URLs of the least-privilege roles (hub/db_roles.py); empty: created by
    # ``prepare_database``.
    analyst_db_url: str = field(default_factory=lambda: settings().analyst_db_url)
    dashboard_db_url: str = field(default_factory=lambda: settings().dashboard_db_url)
    formateur_db_url: str = field(default_factory=lambda: settings().formateur_db_url)
    # analysts without an AD who read every AD (any other analyst without an AD is refused)
    national_analysts: tuple[str, ...] = field(default_factory=lambda: settings().national_analysts)
    cull_timeout: int = field(default_factory=lambda: settings().cull_timeout)
    server_ports: tuple[int, int] | None = None  # default: port+10 … port+99
    # Private homes of the formateurs' and analysts' OS users, and the Python their servers
    # run with (readable by an unprivileged user; docs/security.md).
    homes_dir: Path = field(default_factory=lambda: settings().hub_homes_dir)
    user_python: str = field(default_factory=lambda: settings().hub_user_python)  # "": this one, or a shared venv
    # Behind nginx: the https address people use (cookies Secure) and nginx's address(es),
    # comma-separated (its X-Real-IP is believed for login throttling).
    public_url: str = field(default_factory=lambda: settings().public_url)
    trusted_proxy: str = field(default_factory=lambda: ",".join(settings().trusted_proxies))

    def resolve_user_python(self) -> str:
        """``user_python``, or (as root, when unprivileged users cannot run this Python, e.g.
        an interpreter under /root) a shared venv in /var/lib/retkoop/python."""
        if not self.user_python:
            if os.geteuid() == 0:
                from .isolation import shared_python
                self.user_python = shared_python(Path("/var/lib/retkoop/python"))
            else:
                self.user_python = sys.executable
        return self.user_python

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{self.port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "RETKOOP_DB_URL": self.db_url,
            "RETKOOP_ANALYST_DB_URL": self.analyst_db_url,
            "RETKOOP_DASHBOARD_DB_URL": self.dashboard_db_url,
            "RETKOOP_FORMATEUR_DB_URL": self.formateur_db_url,
            "RETKOOP_NATIONAL_ANALYSTS": ",".join(self.national_analysts),
            "RETKOOP_HUB_DATA_DIR": str(self.data_dir),
            "RETKOOP_HUB_IP": self.ip,
            "RETKOOP_HUB_PORT": str(self.port),
            "RETKOOP_NOTEBOOKS_DIR": str(self.notebooks_dir),
            "RETKOOP_CULL_TIMEOUT": str(self.cull_timeout),
            "RETKOOP_HUB_HOMES_DIR": str(self.homes_dir),
            "RETKOOP_HUB_USER_PYTHON": self.user_python,
            "RETKOOP_PUBLIC_URL": self.public_url,
            "RETKOOP_TRUSTED_PROXY": self.trusted_proxy,
        })
        if self.server_ports:
            env["RETKOOP_HUB_SERVER_PORTS"] = f"{self.server_ports[0]}-{self.server_ports[1]}"
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
        return env


def protect_sqlite(db_url: str) -> None:
    """The SQLite books (and WAL/SHM) readable by the hub's OS user only (0600)."""
    from sqlalchemy.engine import make_url
    from .isolation import harden_file, sqlite_files
    url = make_url(resolve_url(db_url))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        for f in sqlite_files(Path(url.database)):
            harden_file(f)


def prepare_database(settings: HubSettings) -> None:
    """Schema up to date; for PostgreSQL, the least-privilege roles created or refreshed
    (``db_roles.ensure_roles``, idempotent, at every start) and their URLs filled in where
    not given."""
    old = os.umask(0o077)
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        settings.data_dir.chmod(0o700)
        engine = get_engine(settings.db_url)
        upgrade(engine)
        protect_sqlite(settings.db_url)
    finally:
        os.umask(old)
    if engine.dialect.name == "postgresql":
        from .db_roles import ensure_roles
        urls = ensure_roles(settings.db_url, settings.data_dir)
        settings.analyst_db_url = settings.analyst_db_url or urls["analyste"]
        settings.dashboard_db_url = settings.dashboard_db_url or urls["tableaux"]
        settings.formateur_db_url = settings.formateur_db_url or urls["formateur"]


def create_demo(settings: HubSettings) -> list[tuple[str, str, str]]:
    """Seed the demo books if absent and (re)create the demo accounts; returns
    (login, role, scope) rows to print."""
    from ..domain.errors import Conflict
    from ..services.accounts import Accounts
    from ..services.books import Books
    books = Books(settings.db_url)
    if not any(code == "AD76" for code, _ in books.ads()):
        from ..demo import seed_demo
        seed_demo(books)
    accounts = Accounts(settings.db_url, "retkoop-demo")
    rows = []
    for login, role, coop, ad, name in DEMO_ACCOUNTS:
        try:
            accounts.add(login, role, coop=coop, ad=ad, full_name=name, password=DEMO_PASSWORD)
        except Conflict:
            accounts.reset(login, DEMO_PASSWORD)
        rows.append((login, role, coop or ad or "—"))
    return rows


class HubProcess:
    """A running JupyterHub (and, through it, the proxy and the servers)."""

    def __init__(self, settings: HubSettings, log_path: Path | None = None):
        self.settings = settings
        self.log_path = log_path or settings.data_dir / "jupyterhub.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 90) -> "HubProcess":
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings.data_dir.chmod(0o700)
        fd = os.open(self.log_path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
        self._log = os.fdopen(fd, "ab")
        protect_sqlite(self.settings.db_url)
        self.settings.resolve_user_python()
        cmd = [str(BIN / "jupyterhub"), "-f", str(HUB_CONFIG_DIR / "jupyterhub_config.py")]
        self.proc = subprocess.Popen(cmd, env=self.settings.env(), cwd=self.settings.data_dir,
                                     stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
                                     umask=0o077)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterHub s'est arrêté au démarrage (journal : {self.log_path})")
            try:
                with urllib.request.urlopen(f"{self.settings.url}/hub/api/", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"JupyterHub n'a pas répondu en {timeout:.0f} s (journal : {self.log_path})")

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM: the Hub stops the servers and the proxy it started, then exits. If it
        does not in ``timeout`` seconds it is killed, and so is whatever it started (the
        proxy, the culler, servers and kernels run in sessions of their own: a kill of the
        hub's process group does not reach them)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        reap_leftovers(self.settings)
        self._log.close()
        self.proc = None

    def wait(self) -> int:
        return self.proc.wait() if self.proc else 0


def leftovers(settings: HubSettings) -> list[int]:
    """Pids of processes this platform started and that still run: the proxy and the culler
    (the hub's data folder in their environment), servers and their kernels (this hub's API
    in theirs), anything of the formateurs' and analysts' OS users."""
    import psutil
    from .isolation import PREFIX
    data = str(settings.data_dir)
    api = f"http://127.0.0.1:{settings.port + 2}/"
    me = os.getpid()
    out = []
    for p in psutil.process_iter(["pid", "environ", "username"]):
        if p.info["pid"] == me:
            continue
        env = p.info.get("environ") or {}
        mine = (env.get("RETKOOP_HUB_DATA_DIR") == data or env.get("JUPYTERHUB_API_URL", "").startswith(api)
                or (env.get("HOME", "").startswith(str(settings.homes_dir) + os.sep)
                    and (p.info.get("username") or "").startswith(PREFIX)))
        if mine:
            out.append(p.info["pid"])
    return out


def reap_leftovers(settings: HubSettings, grace: float = 5.0) -> list[int]:
    """SIGTERM, then SIGKILL, what ``leftovers`` finds; returns the pids."""
    from .isolation import stop_processes
    pids = leftovers(settings)
    stop_processes(pids, lambda alive: [p for p in alive if _exists(p)], grace)
    return pids


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is gone for our purpose
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return False



class BackupScheduler(threading.Thread):
    """Back up Retkoop's database every ``every`` seconds, keeping the newest ``keep``."""

    def __init__(self, db_url: str, directory: Path, every: float, keep: int):
        super().__init__(daemon=True, name="retkoop-backups")
        self.db_url, self.directory, self.every, self.keep = db_url, directory, every, keep
        self.stopped = threading.Event()
        self.last: Path | None = None
        self.error: str = ""

    def run(self) -> None:
        from ..backup import backup
        while not self.stopped.wait(self.every):
            try:
                self.last = backup(self.db_url, self.directory, keep=self.keep)
                self.error = ""
            except Exception as e:  # keep the platform running; say it in the log
                self.error = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
                print(f"retkoop : sauvegarde échouée : {self.error}", file=sys.stderr, flush=True)

    def stop(self) -> None:
        self.stopped.set()


def run(settings: HubSettings, *, demo: bool = False, backup_dir: Path | None = None,
        backup_every_hours: float = 6, keep: int = 28) -> int:
    """Foreground: start everything, print how to log in, wait for Ctrl-C / SIGTERM."""
    os.umask(0o077)  # the books, their WAL, backups, logs: the platform's OS user only
    settings.db_url = resolve_url(settings.db_url)
    prepare_database(settings)
    if demo:
        rows = create_demo(settings)
        # the demo's "analyste" has no AD: it reads every AD only because it is declared so
        settings.national_analysts = tuple(sorted({*settings.national_analysts, "analyste"}))
        print("Comptes de démonstration (mot de passe : " + DEMO_PASSWORD + ") :")
        for login, role, scope in rows:
            print(f"  {login:<10} {role:<11} {scope}")
    hub = HubProcess(settings).start()
    scheduler = None
    if backup_every_hours > 0:
        scheduler = BackupScheduler(settings.db_url, backup_dir or settings.data_dir.parent / "sauvegardes",
                                    backup_every_hours * 3600, keep)
        scheduler.start()
    print(f"Retkoop est prêt : {settings.url}/  (base : {redact(settings.db_url)} ; Ctrl-C pour arrêter)",
          flush=True)

    def _term(*_):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, _term)
    try:
        code = hub.wait()
    except KeyboardInterrupt:
        code = 0
    finally:
        if scheduler:
            scheduler.stop()
        hub.stop()
    return code
