"""The spawner: what each person's single-user server gets.

``SimpleLocalProcessSpawner`` (one machine, every server runs as the hub's OS user) plus:

* the identity contract with the dashboards: ``RETKOOP_USER``, ``RETKOOP_ROLE``,
  ``RETKOOP_COOP`` (mandataire), ``RETKOOP_AD`` (admin-ad, analyste), ``RETKOOP_DB_URL``
  (the URL of the server kind's own PostgreSQL role, ``db_roles.py``) and, for analysts,
  ``RETKOOP_READ_ONLY=1`` (and ``RETKOOP_NATIONAL=1`` for one configured to read every AD)
  — read from the ``app_user`` row at every start, so a role change applies at the next start;
* ``port_range``: servers listen in a known range (firewalls, several hubs on one host);
* per-role working folders for JupyterLab users, seeded on first start (formateur: a copy
  of the training notebooks; analyste: the departmental analysis notebook);
* OS isolation of the roles that run code (``isolated_roles``: formateur, analyste): their
  server runs as their own unprivileged OS user (``hub/isolation.py``), in a private home
  (0700) that is also their workspace, with ``isolated_python`` (an interpreter that user
  can read). With SQLite they get a copy of the books without password hashes, made at
  every start (the books themselves are 0600, hub only). Mandataires and AD keep the hub's
  user: their kernels run no code of theirs (``lockdown.py``).

Per-role command, served folder and landing page are plain configuration
(``c.Spawner.group_overrides`` in ``hub_config/jupyterhub_config.py``).
"""
from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sys
from pathlib import Path

from jupyterhub.spawner import SimpleLocalProcessSpawner, set_user_setuid
from sqlalchemy.engine import make_url
from tornado import web
from traitlets import Bool, Dict, Integer, List, Tuple, Unicode

from . import isolation

from ..domain.actor import ANALYSTE, FORMATEUR
from ..services.accounts import Accounts, Profile
from ..settings import settings


def server_env(profile: Profile, db_url: str, analyst_db_url: str = "", *, dashboard_db_url: str = "",
               formateur_db_url: str = "", national_analysts=()) -> dict[str, str]:
    """Environment variables telling a server (and its kernels) who acts, on which database.

    Each kind of server gets the URL of its own least-privilege role (``db_roles.py``):
    dashboards ``retkoop_tableaux``, formateurs ``retkoop_formateur``, analysts
    ``retkoop_analyste``. Fail closed: on PostgreSQL a server whose role URL is not
    configured is refused rather than given the platform's (owner) URL; an analyst without an
    AD is refused unless listed in ``national_analysts`` (then ``RETKOOP_NATIONAL=1``).
    SQLite has no roles: dashboards keep the books' URL (their kernels run no code of theirs),
    formateurs and analysts get a private copy when isolated (``RetkoopSpawner._isolate``)."""
    pg = db_url.startswith("postgresql")
    url = {ANALYSTE: analyst_db_url, FORMATEUR: formateur_db_url}.get(profile.role, dashboard_db_url)
    if not url:
        if pg:
            raise refusal(503, f"no database role configured for {profile.role} servers",
                          "la plateforme n'est pas configurée pour ce type de compte (rôle de base de "
                          "données manquant) : prévenez l'administrateur")
        url = db_url
    env = {"RETKOOP_USER": profile.login, "RETKOOP_ROLE": profile.role,
           "RETKOOP_FULL_NAME": profile.full_name or profile.login,
           "RETKOOP_COOP": profile.coop or "", "RETKOOP_AD": profile.ad or "",
           "RETKOOP_DB_URL": url, "RETKOOP_READ_ONLY": "", "RETKOOP_NATIONAL": ""}
    if profile.role == ANALYSTE:
        if not profile.ad:
            if profile.login.lower() not in {n.lower() for n in national_analysts}:
                raise refusal(403, f"analyst {profile.login} has no AD and is not a national analyst",
                              "ce compte analyste n'est rattaché à aucune AD : demandez à "
                              "l'administrateur de lui en attribuer une")
            env["RETKOOP_NATIONAL"] = "1"
        env["RETKOOP_READ_ONLY"] = "1"
    return env


def refusal(status: int, message: str, public: str | None = None) -> web.HTTPError:
    """An HTTP error whose French message the Hub's pages show to the person.

    Our error templates (``hub_config/templates/error.html``, ``not_running.html``) never show
    the Hub's own messages, which are English and sometimes technical; they show
    ``retkoop_message`` only, set here on refusals written for people. ``message`` goes to
    the log (and JSON API answers); ``public``, if given, is what the person reads instead.
    """
    error = web.HTTPError(status, message)
    text = public or message
    error.retkoop_message = text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
    return error


def free_port(low: int, high: int, host: str = "127.0.0.1") -> int:
    """First port in [low, high] nobody listens on."""
    for port in range(low, high + 1):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            # as the servers bind: a port whose last connections are in TIME_WAIT is free
            # (without this, a few restarts in a row exhaust a small range); a port someone
            # listens on is still refused
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((host, port))
            except OSError:
                continue
            return port
    raise refusal(503, f"plus aucun port libre pour démarrer un serveur ({low}-{high})",
                  "trop de sessions sont ouvertes en ce moment : réessayez dans quelques minutes")


def checked_profile(login: str, db_url: str | None) -> Profile:
    """The account behind a server about to start, or a refusal (unknown, disabled, or a
    temporary password not yet changed)."""
    try:
        profile = Accounts(db_url or None).profile(login)
    except Exception:
        raise refusal(403, "compte inconnu")
    if not profile.active:
        raise refusal(403, "compte désactivé : contactez votre AD")
    if profile.must_change_password:
        raise refusal(403, "changez d'abord votre mot de passe (/hub/mot-de-passe)")
    return profile


async def identity_hook(spawner) -> None:
    """``pre_spawn_hook`` giving any spawner (KubeSpawner on Zero to JupyterHub) the same
    identity environment as ``RetkoopSpawner``; URLs from the hub's settings
    (``RETKOOP_DB_URL``, ``RETKOOP_DASHBOARD_DB_URL``, ``RETKOOP_FORMATEUR_DB_URL``,
    ``RETKOOP_ANALYST_DB_URL``, ``RETKOOP_NATIONAL_ANALYSTS``)."""
    s = settings()
    if not s.db_url:  # never a default database picked on the hub's own machine
        raise refusal(503, "RETKOOP_DB_URL is not set on the hub",
                      "la plateforme n'est pas configurée (base de données) : prévenez l'administrateur")
    db_url = s.db_url
    profile = await asyncio.to_thread(checked_profile, spawner.user.name, db_url)
    spawner.environment.update(server_env(
        profile, db_url, s.analyst_db_url, dashboard_db_url=s.dashboard_db_url,
        formateur_db_url=s.formateur_db_url, national_analysts=s.national_analysts))


class RetkoopSpawner(SimpleLocalProcessSpawner):
    db_url = Unicode("", config=True, help="Retkoop database URL given to read-write kernels.")
    analyst_db_url = Unicode("", config=True,
                             help="Read-only URL for analysts (PostgreSQL role with SELECT only).")
    dashboard_db_url = Unicode("", config=True,
                               help="URL of mandataire and AD dashboards (PostgreSQL: retkoop_tableaux).")
    formateur_db_url = Unicode("", config=True,
                               help="URL of formateurs' servers (PostgreSQL: retkoop_formateur).")
    national_analysts = List(Unicode(), config=True,
                             help="Logins of analysts without an AD who read every AD (others are refused).")
    port_range = Tuple(Integer(), Integer(), default_value=(0, 0), config=True,
                       help="Ports for single-user servers, inclusive; (0, 0): any free port.")
    workspace_seeds = Dict(config=True, help="{role: [file or folder, ...]} copied into a JupyterLab "
                                             "user's workspace when absent (training notebooks…).")

    isolated_roles = List(Unicode(), default_value=[FORMATEUR, ANALYSTE], config=True,
                          help="Roles whose server runs as its own unprivileged OS user (they run code).")
    isolate = Bool(True, config=True,
                   help="Run isolated_roles as their own OS user (needs a hub running as root). "
                        "False only for a trusted single-person test set-up.")
    homes_dir = Unicode("/var/lib/retkoop/homes", config=True,
                        help="Parent of the private homes (0700) of isolated users.")
    isolated_python = Unicode(sys.executable, config=True,
                              help="Python the isolated users' servers run with (must be readable "
                                   "by unprivileged users, with the platform's packages).")

    _os_user = None  # pwd entry of the isolated user of the current start, if any

    async def start(self):
        profile = await asyncio.to_thread(checked_profile, self.user.name, self.db_url)
        env = server_env(profile, self.db_url, self.analyst_db_url, dashboard_db_url=self.dashboard_db_url,
                         formateur_db_url=self.formateur_db_url, national_analysts=self.national_analysts)
        self._os_user = None
        if profile.role in self.isolated_roles and self.isolate:
            env.update(await asyncio.to_thread(self._isolate, profile))
        elif profile.role in (FORMATEUR, ANALYSTE):
            self._prepare_workspace(profile)
        self.environment.update(env)
        low, high = self.port_range
        if high:
            self.port = await asyncio.to_thread(free_port, low, high, self.ip or "127.0.0.1")
        return await super().start()

    def _isolate(self, profile: Profile) -> dict[str, str]:
        """Create/refresh the OS user, its home-workspace and (SQLite) its books copy."""
        if os.geteuid() != 0:
            raise refusal(503, "isolation impossible: the hub does not run as root",
                          "les comptes formateur et analyste ne peuvent pas démarrer sur ce serveur : "
                          "le hub doit tourner en root pour les isoler (voir docs/security.md)")
        entry = isolation.ensure_os_user(profile.login, Path(self.homes_dir))
        home = Path(entry.pw_dir)
        self._os_user = entry
        self.notebook_dir = str(home)
        self.cmd = [self.isolated_python, "-m", "jupyterhub.singleuser"]
        self._prepare_workspace(profile, home)
        # Jupyter's extensions, settings and assets are the platform's (this environment's),
        # whatever interpreter runs the server; PATH without the hub's own bin folder.
        extra: dict[str, str] = {
            "JUPYTER_CONFIG_PATH": str(Path(sys.prefix) / "etc" / "jupyter"),
            "JUPYTER_PATH": str(Path(sys.prefix) / "share" / "jupyter"),
            "PATH": f"{Path(self.isolated_python).parent}:/usr/local/bin:/usr/bin:/bin"}
        url = make_url(self.db_url) if self.db_url else None
        if url is not None and url.get_backend_name() == "sqlite":
            # The books are the hub's (0600): a private copy, without any password hash.
            copy = isolation.sqlite_snapshot(Path(url.database), home / ".retkoop" / "livres.sqlite3",
                                             entry.pw_uid, entry.pw_gid)
            extra["RETKOOP_DB_URL"] = f"sqlite:///{copy}"
        isolation.chown_tree(home, entry.pw_uid, entry.pw_gid)
        return extra

    def make_preexec_fn(self, name):
        if self._os_user is None:
            return super().make_preexec_fn(name)
        entry = self._os_user
        setuid = set_user_setuid(entry.pw_name)

        def preexec():
            os.umask(0o077)
            setuid()
            os.chdir(entry.pw_dir)
        return preexec

    def user_env(self, env):
        env = super().user_env(env)
        if self._os_user is not None:
            env.update(USER=self._os_user.pw_name, HOME=self._os_user.pw_dir, SHELL="/bin/sh")
        return env

    async def stop(self, now=False):
        await super().stop(now)
        entry = self._os_user or isolation.lookup(isolation.os_user_name(self.user.name))
        if entry is not None and entry.pw_uid != 0:
            # kernels the server left behind (a kernel is its own session, immune to the
            # server's signals): nothing of that user outlives its server
            await asyncio.to_thread(isolation.kill_processes_of, entry.pw_uid)

    def _prepare_workspace(self, profile: Profile, ws: Path | None = None) -> None:
        if ws is None:
            if not self.notebook_dir:
                return
            ws = Path(self.format_string(self.notebook_dir))
        ws.mkdir(parents=True, exist_ok=True)
        for seed in self.workspace_seeds.get(profile.role, []):
            src = Path(seed)
            dst = ws / src.name
            if dst.exists() or not src.exists():
                continue
            if src.is_dir():
                shutil.copytree(src, dst)
            else:
                shutil.copy2(src, dst)

