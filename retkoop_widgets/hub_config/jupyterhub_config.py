"""JupyterHub configuration of Retkoop (one machine; ``retkoop hub`` starts it).

Every setting lives here, once, as a traitlet. What changes between deployments comes
from the one ``Settings`` (``retkoop_widgets/settings.py``, read from the environment that
``retkoop hub``, ``retkoop_widgets/hub/launcher.py``, fills; nothing here reads
``os.environ``):

  RETKOOP_DB_URL          Retkoop's database (accounts + books), the tables' owner: the
                          authenticator alone uses it. Required.
  RETKOOP_DASHBOARD_DB_URL / RETKOOP_FORMATEUR_DB_URL / RETKOOP_ANALYST_DB_URL
                          the least-privilege PostgreSQL roles given to dashboards,
                          formateurs and analysts (hub/db_roles.py; ``retkoop hub`` creates them).
  RETKOOP_NATIONAL_ANALYSTS
                          analysts without an AD who read every AD (others are refused).
  RETKOOP_HUB_DATA_DIR    the Hub's own state (its SQLite database, cookie secret, pids).
  RETKOOP_HUB_IP / RETKOOP_HUB_PORT
                          public address; the proxy API listens on PORT+1, the Hub on
                          PORT+2 and single-user servers on PORT+10 … PORT+99
                          (RETKOOP_HUB_SERVER_PORTS="LOW-HIGH" to choose).
  RETKOOP_NOTEBOOKS_DIR   folder holding tableau_de_bord.ipynb, ad.ipynb, formation/.
  RETKOOP_CULL_TIMEOUT    seconds of inactivity before a server is stopped (default 3600).
  RETKOOP_HUB_HOMES_DIR   parent of the private homes of formateurs' and analysts' OS users
                          (default /var/lib/retkoop/homes).
  RETKOOP_HUB_USER_PYTHON Python those users' servers run with (default: this one; it must be
                          readable by an unprivileged user, see docs/security.md).
  RETKOOP_PUBLIC_URL      the address people type, e.g. https://retkoop.example.org/ behind
                          nginx: with https, every cookie is Secure.
  RETKOOP_TRUSTED_PROXY   address(es) of that reverse proxy (comma-separated), whose
                          X-Real-IP is believed for login throttling (default: none).
"""
import os
import sys
from pathlib import Path

from retkoop_widgets.settings import settings

c = get_config()  # noqa: F821
_settings = settings()

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent  # retkoop_widgets/
BIN = Path(sys.executable).parent
if not _settings.db_url:
    raise SystemExit("retkoop : RETKOOP_DB_URL manquant : lancez la plateforme avec « retkoop hub »")
DB_URL = _settings.db_url
DATA = _settings.hub_data_dir
os.umask(0o077)  # everything the hub writes (its database, secret, logs): owner only
DATA.mkdir(parents=True, exist_ok=True)
DATA.chmod(0o700)
IP = _settings.hub_ip
PORT = _settings.hub_port
NOTEBOOKS = _settings.notebooks_dir
CULL_TIMEOUT = _settings.cull_timeout
SERVER_PORTS = _settings.hub_server_ports

# --- network: proxy (PyPI configurable-http-proxy, no Node), hub, servers --------------
c.JupyterHub.bind_url = f"http://{IP}:{PORT}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{PORT + 2}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PORT + 1}"
c.ConfigurableHTTPProxy.command = [str(BIN / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(DATA / "proxy.pid")
c.ConfigurableHTTPProxy.should_start = True

# --- the Hub's own state, separate from Retkoop's database -----------------------------
c.JupyterHub.db_url = f"sqlite:///{DATA / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(DATA / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(DATA / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

# --- accounts: Retkoop's app_user table, no self sign-up, groups from role/coop/AD -----
c.JupyterHub.authenticator_class = "retkoop_widgets.hub.authenticator.RetkoopAuthenticator"
c.RetkoopAuthenticator.db_url = DB_URL
c.Authenticator.manage_groups = True
c.Authenticator.allow_all = True  # authenticate() refuses anyone without an active account
c.Authenticator.admin_users = set()  # the platform is run from the CLI, not the Hub's admin page
c.JupyterHub.shutdown_on_logout = True  # logging out ends the session and its kernels
# Sessions end for real (retkoop_widgets/hub/sessions.py): logout, reset, lock, role/coop
# change rotate the cookie id, revoke tokens, stop the server.
c.RetkoopAuthenticator.session_stamps_file = str(DATA / "session-stamps.json")
c.RetkoopAuthenticator.session_watch_interval = 5
c.Authenticator.auth_refresh_age = 60
# Login throttling per (login, address), growing delays, never a lock (hub/throttle.py).
c.RetkoopAuthenticator.free_failures = 3
c.RetkoopAuthenticator.base_delay = 2.0
c.RetkoopAuthenticator.max_delay = 900.0
c.RetkoopAuthenticator.free_failures_per_address = 30
c.RetkoopAuthenticator.trusted_proxies = list(_settings.trusted_proxies)
# Tokens: none for mandataires (no "tokens" scope, no token page); a week at most for others.
c.JupyterHub.token_expires_in_max_seconds = 7 * 24 * 3600
# Cookies: HttpOnly (JupyterHub), SameSite=Lax, Secure when the public address is https
# (the proxies between nginx and the Hub speak http, so the request's own scheme cannot say).
PUBLIC_URL = _settings.public_url
if PUBLIC_URL:
    c.JupyterHub.public_url = PUBLIC_URL
COOKIE_OPTIONS = {"samesite": "Lax", **({"secure": True} if PUBLIC_URL.startswith("https://") else {})}
# the same for the cookies of single-user servers (JUPYTERHUB_COOKIE_OPTIONS: their OAuth
# cookie; singleuser_*.py apply it to their XSRF cookie too)
c.Spawner.cookie_options = COOKIE_OPTIONS
# French pages: login, password, home, start/stop, "not running", errors, OAuth consent.
c.JupyterHub.template_paths = [str(HERE / "templates")]

# --- servers ----------------------------------------------------------------------------
c.JupyterHub.spawner_class = "retkoop_widgets.hub.spawner.RetkoopSpawner"
c.RetkoopSpawner.db_url = DB_URL
# each kind of server its own PostgreSQL role (hub/db_roles.py); on PostgreSQL a kind
# without one is refused, never given DB_URL
c.RetkoopSpawner.dashboard_db_url = _settings.dashboard_db_url
c.RetkoopSpawner.formateur_db_url = _settings.formateur_db_url
c.RetkoopSpawner.analyst_db_url = _settings.analyst_db_url
c.RetkoopSpawner.national_analysts = list(_settings.national_analysts)
c.RetkoopSpawner.port_range = SERVER_PORTS
c.RetkoopSpawner.workspace_seeds = {
    "formateur": [str(NOTEBOOKS / "formation")],
    "analyste": [str(NOTEBOOKS / "analyse_departementale.ipynb")],
}
# Roles that run code (formateur, analyste) run as their own OS user (hub/isolation.py).
c.RetkoopSpawner.isolated_roles = ["formateur", "analyste"]
c.RetkoopSpawner.homes_dir = str(_settings.hub_homes_dir)
c.RetkoopSpawner.isolated_python = _settings.hub_user_python or sys.executable
c.SimpleLocalProcessSpawner.home_dir_template = str(DATA / "home" / "{username}")
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
# Hub-side caps: servers starting at once (others get "try again"), servers alive at once
# (0: no limit; the bench holds >= 100 mandataires on 24 GB).
c.JupyterHub.concurrent_spawn_limit = 20
c.JupyterHub.active_server_limit = 0
# A server gets 5 s per signal (INT, TERM, KILL) to stop: the hub's own stop stays well
# within systemd's and `retkoop hub`'s 30 s.
c.LocalProcessSpawner.interrupt_timeout = 5
c.LocalProcessSpawner.term_timeout = 5
c.LocalProcessSpawner.kill_timeout = 5
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
# Default (no role group, should not happen): the locked server with no dashboard at all.
LOCKED = ["--allow-root", f"--config={HERE / 'singleuser_locked.py'}"]
LAB = ["--allow-root", f"--config={HERE / 'singleuser_lab.py'}"]
c.Spawner.args = LOCKED
c.Spawner.notebook_dir = str(NOTEBOOKS)
c.Spawner.default_url = "/voila/render/tableau_de_bord.ipynb"
# glibc gives every thread its own malloc arena; servers and kernels are mostly idle and
# threaded (tornado, ZMQ): two arenas are enough and save memory per session.
c.Spawner.environment = {"MALLOC_ARENA_MAX": "2"}
c.Spawner.mem_limit = "1G"  # informative on one machine; enforced by KubeSpawner (z2jh)
c.Spawner.group_overrides = {
    "1-mandataire": {"groups": ["role-mandataire"], "spawner_override": {
        "args": LOCKED, "notebook_dir": str(NOTEBOOKS),
        "default_url": "/voila/render/tableau_de_bord.ipynb"}},
    "2-admin-ad": {"groups": ["role-admin-ad"], "spawner_override": {
        "args": LOCKED, "notebook_dir": str(NOTEBOOKS), "default_url": "/voila/render/ad.ipynb"}},
    "3-formateur": {"groups": ["role-formateur"], "spawner_override": {
        "args": LAB, "notebook_dir": str(DATA / "workspaces" / "{username}"), "default_url": "/lab"}},
    "4-analyste": {"groups": ["role-analyste"], "spawner_override": {
        "args": LAB, "notebook_dir": str(DATA / "workspaces" / "{username}"), "default_url": "/lab"}},
}

# --- roles: trainers may open their trainees' (training coops') dashboards --------------
c.JupyterHub.load_roles = [
    # everybody: their own server and profile, no API tokens ("self" would include them)
    {"name": "user", "scopes": ["read:users!user", "users:activity!user", "servers!user",
                                "access:servers!user"]},
    {"name": "token-holders", "groups": ["role-admin-ad", "role-formateur", "role-analyste"],
     "scopes": ["tokens!user"]},
    {"name": "formateur", "groups": ["role-formateur"],
     "scopes": ["self", "access:servers!group=formation", "read:users!group=formation"]},
    {"name": "idle-culler", "services": ["idle-culler"],
     "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]},
]

# --- idle culling: servers (here) and kernels (singleuser_*.py) -------------------------
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={CULL_TIMEOUT}",
                "--cull-every=300"],
}]

# --- no traceback, no internals in pages -----------------------------------------------
# (error.html shows a French message per status code, never the Hub's English detail)
c.JupyterHub.log_level = "INFO"
c.JupyterHub.template_vars = {
    "retkoop": True,
    # who is looking: pages about a server (not_running.html) get its owner as `user`
    "retkoop_viewer": lambda user: user.name if user else "",
}
c.JupyterHub.tornado_settings = {"serve_traceback": False, "cookie_options": COOKIE_OPTIONS}

# --- the hub's REST API answers in French too (a person may type /hub/api/… by hand) ------
from jupyterhub.apihandlers.base import APIHandler as _HubAPIHandler  # noqa: E402
from retkoop_widgets.hub.api_errors import french_api_errors  # noqa: E402
french_api_errors(_HubAPIHandler)
