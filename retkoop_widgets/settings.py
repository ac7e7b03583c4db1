"""Every ``RETKOOP_*`` environment variable, read in ONE place into one frozen ``Settings``.

Why one place: the same knobs are read by the CLI, the storage, the reports, the
dashboards, the hub and its config file; read separately they drifted (two names for the
notebooks folder, two ways to parse a flag, two defaults for the hub's data directory).
Here each variable has one name, one parser and one default, and a refusal in French
when its value makes no sense (``RETKOOP_READ_ONLY=peut-être`` must not silently mean
"no").

``settings()`` is what code calls: it reads the process environment once and reads it
again only when a ``RETKOOP_*`` variable changed (``retkoop --db`` sets
``RETKOOP_DB_URL`` after start; tests use ``monkeypatch.setenv``). ``Settings.from_env``
reads any mapping (the identity of a kernel is tested with plain dicts).

Variables used only by the test suite and the benches (``RETKOOP_TEST_PG``,
``RETKOOP_SKIP_PG``, ``RETKOOP_TEST_WORKERS``, ``RETKOOP_BENCH_PG``…) are not settings
of the application and stay where they are read.
"""
from __future__ import annotations

import os
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

from .domain.errors import RetkoopError

PREFIX = "RETKOOP_"
# What ships inside the package (notebooks, hub configuration, templates, migrations, data),
# so an installed wheel finds them as a checkout does. A real directory, not a
# ``importlib.resources`` traversable: Voilà, JupyterHub and nbconvert are handed paths, and a
# wheel installs as files (the wheel test in tests/test_packaging.py runs it from one).
PACKAGE = Path(__file__).resolve().parent

# Old name -> current name. The old name still works (with a DeprecationWarning) when
# the current one is not set.
ALIASES = {"RETKOOP_NOTEBOOKS": "RETKOOP_NOTEBOOKS_DIR"}

_TRUE = ("1", "true", "oui", "yes", "on")
_FALSE = ("", "0", "false", "non", "no", "off")


class SettingsError(RetkoopError):
    """A ``RETKOOP_*`` variable whose value cannot be understood."""


def parse_bool(name: str, value: str | None) -> bool:
    """The one flag parser: 1/true/oui/yes/on and 0/false/non/no/off (any case), unset or
    empty is false; anything else is refused, never guessed."""
    v = (value or "").strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise SettingsError(f"variable d'environnement {name} : valeur « {value} » non reconnue "
                        "(attendu : 1 ou 0, oui ou non, true ou false)")


def parse_int(name: str, value: str | None, default: int, *, minimum: int = 0) -> int:
    v = (value or "").strip()
    if not v:
        return default
    try:
        n = int(v)
    except ValueError:
        n = None
    if n is None or n < minimum:
        raise SettingsError(f"variable d'environnement {name} : valeur « {value} » non reconnue "
                            f"(attendu : un nombre entier, au moins {minimum})")
    return n


def parse_port_range(name: str, value: str | None, default: tuple[int, int]) -> tuple[int, int]:
    v = (value or "").strip()
    if not v:
        return default
    parts = v.split("-")
    try:
        lo, hi = (int(p) for p in parts)
    except ValueError:
        lo = hi = 0
    if not (0 < lo <= hi <= 65535):
        raise SettingsError(f"variable d'environnement {name} : valeur « {value} » non reconnue "
                            "(attendu : deux ports BAS-HAUT, par exemple 8010-8099)")
    return lo, hi


def _text(env: Mapping[str, str], name: str) -> str:
    value = env.get(name)
    if value is None:
        old = next((o for o, new in ALIASES.items() if new == name and env.get(o) is not None), None)
        if old is not None:
            warnings.warn(f"{old} est obsolète : utilisez {name}", DeprecationWarning, stacklevel=4)
            value = env.get(old)
    return (value or "").strip()


def _code(env: Mapping[str, str], name: str) -> str | None:
    return _text(env, name).upper() or None


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list (blanks around items ignored, empty items dropped)."""
    return tuple(x.strip() for x in _text(env, name).split(",") if x.strip())


def _user_data_dir() -> Path:
    from platformdirs import user_data_dir
    return Path(user_data_dir("retkoop", appauthor=False))


@dataclass(frozen=True)
class Settings:
    # --- the database --------------------------------------------------------------
    db_url: str | None = None
    """RETKOOP_DB_URL: the books and accounts database; None means the SQLite file in
    ``data_dir`` (so that ``./dev run`` needs no configuration)."""
    data_dir: Path = Path(".")
    """RETKOOP_DATA_DIR: where the default SQLite file, exports and backups live (per-user
    platformdirs folder by default, so nothing is written into the source tree)."""
    read_only: bool = False
    """RETKOOP_READ_ONLY: set by the hub for analysts; forces every engine read-only
    whatever the caller asks (SQLite ``mode=ro``, PostgreSQL read-only transactions)."""
    analyst_db_url: str = ""
    """RETKOOP_ANALYST_DB_URL: SELECT-only URL the hub gives analysts (PostgreSQL); empty:
    ``retkoop hub`` creates the role, SQLite falls back to ``read_only``."""
    dashboard_db_url: str = ""
    """RETKOOP_DASHBOARD_DB_URL: URL the hub gives dashboard kernels (mandataires, AD): writes
    the ledger, never reads ``app_user.password_hash``; empty: ``retkoop hub`` creates the
    ``retkoop_tableaux`` role (PostgreSQL), SQLite uses the books' URL (hub/db_roles.py)."""
    formateur_db_url: str = ""
    """RETKOOP_FORMATEUR_DB_URL: URL the hub gives formateurs' servers: training coops only
    (row-level security), no password hash; empty: ``retkoop hub`` creates
    ``retkoop_formateur`` (PostgreSQL), SQLite gives them a private copy."""
    # --- the hub ---------------------------------------------------------------------
    hub_data_dir: Path = Path("hub")
    """RETKOOP_HUB_DATA_DIR: the hub's own state (its SQLite, cookie secret, logs); default
    ``data_dir/hub``, the one place both ``retkoop hub`` and the hub config use."""
    hub_ip: str = "127.0.0.1"
    """RETKOOP_HUB_IP: address the proxy listens on; loopback unless a deployment opens it."""
    hub_port: int = 8000
    """RETKOOP_HUB_PORT: public port of the hub's proxy."""
    hub_server_ports: tuple[int, int] = (8010, 8099)
    """RETKOOP_HUB_SERVER_PORTS "LOW-HIGH": ports for single-user servers (default
    hub_port+10 … hub_port+99), so that several hubs (tests, benches) do not collide."""
    hub_config_dir: Path = PACKAGE / "hub_config"
    """RETKOOP_HUB_CONFIG: folder of jupyterhub_config.py and the single-user configs."""
    hub_homes_dir: Path = Path("/var/lib/retkoop/homes")
    """RETKOOP_HUB_HOMES_DIR: private homes (0700) of the formateurs' and analysts' OS users,
    who run code and so must not share the hub's user (docs/security.md)."""
    hub_user_python: str = ""
    """RETKOOP_HUB_USER_PYTHON: the Python those isolated servers run; empty: this one (or,
    as root, a shared venv an unprivileged user can read; hub/launcher.py)."""
    cull_timeout: int = 3600
    """RETKOOP_CULL_TIMEOUT: seconds of inactivity before a user's server is stopped
    (each holds a kernel of ~110-140 MB)."""
    public_url: str = ""
    """RETKOOP_PUBLIC_URL: the address people type (``https://…`` behind nginx): with https,
    every cookie of the hub and of the servers is ``Secure``."""
    trusted_proxies: tuple[str, ...] = ()
    """RETKOOP_TRUSTED_PROXY: address(es) of the reverse proxy, comma-separated, whose
    ``X-Real-IP`` the login throttle believes (default: none)."""
    national_analysts: tuple[str, ...] = ()
    """RETKOOP_NATIONAL_ANALYSTS: logins (comma-separated) of analysts who read EVERY AD; an
    analyst account without an AD and not listed here is refused (fail closed)."""
    notebooks_dir: Path = PACKAGE / "notebooks"
    """RETKOOP_NOTEBOOKS_DIR (old name RETKOOP_NOTEBOOKS): the dashboards, the report
    templates and formation/; default the installed package's ``notebooks/``."""
    # --- who acts (the hub -> kernel identity contract, see identity.py) -------------
    user: str = ""
    """RETKOOP_USER: login of the person the hub started this server for; empty: nobody."""
    role: str = ""
    """RETKOOP_ROLE: mandataire | admin-ad | formateur | analyste (empty: mandataire)."""
    coop: str | None = None
    """RETKOOP_COOP: the mandataire's cooperative code (upper case)."""
    ad: str | None = None
    """RETKOOP_AD: the admin-ad's (or analyst's) AD code (upper case)."""
    hub_base_url: str = ""
    """JUPYTERHUB_BASE_URL, set by JupyterHub for the servers it starts (``/``): where the
    dashboards' « Se déconnecter » leads (``<base>hub/logout``); empty outside a hub."""
    national: bool = False
    """RETKOOP_NATIONAL: set by the hub for an analyst listed in ``national_analysts``: no AD
    means every AD only then; otherwise an analyst without an AD is refused."""
    demo: bool = False
    """RETKOOP_DEMO: set only by ``retkoop demo``; without it a kernel with no identity
    refuses to show anything instead of acting as the demo mandataire."""
    # --- developers ------------------------------------------------------------------
    debug: bool = False
    """RETKOOP_DEBUG: the CLI re-raises unexpected errors with their traceback."""
    chromium: str = "/usr/bin/chromium"
    """RETKOOP_CHROMIUM: the Chromium the browser tests, benches and PDF checks drive."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        env = environ
        data_dir = Path(_text(env, "RETKOOP_DATA_DIR") or _user_data_dir())
        hub_port = parse_int("RETKOOP_HUB_PORT", env.get("RETKOOP_HUB_PORT"), 8000, minimum=1)
        return cls(
            db_url=_text(env, "RETKOOP_DB_URL") or None,
            data_dir=data_dir,
            read_only=parse_bool("RETKOOP_READ_ONLY", env.get("RETKOOP_READ_ONLY")),
            analyst_db_url=_text(env, "RETKOOP_ANALYST_DB_URL"),
            dashboard_db_url=_text(env, "RETKOOP_DASHBOARD_DB_URL"),
            formateur_db_url=_text(env, "RETKOOP_FORMATEUR_DB_URL"),
            hub_data_dir=Path(_text(env, "RETKOOP_HUB_DATA_DIR") or data_dir / "hub"),
            hub_ip=_text(env, "RETKOOP_HUB_IP") or "127.0.0.1",
            hub_port=hub_port,
            hub_server_ports=parse_port_range("RETKOOP_HUB_SERVER_PORTS", env.get("RETKOOP_HUB_SERVER_PORTS"),
                                              (hub_port + 10, hub_port + 99)),
            hub_config_dir=Path(_text(env, "RETKOOP_HUB_CONFIG") or PACKAGE / "hub_config"),
            hub_homes_dir=Path(_text(env, "RETKOOP_HUB_HOMES_DIR") or "/var/lib/retkoop/homes"),
            hub_user_python=_text(env, "RETKOOP_HUB_USER_PYTHON"),
            cull_timeout=parse_int("RETKOOP_CULL_TIMEOUT", env.get("RETKOOP_CULL_TIMEOUT"), 3600, minimum=1),
            public_url=_text(env, "RETKOOP_PUBLIC_URL"),
            trusted_proxies=_list(env, "RETKOOP_TRUSTED_PROXY"),
            national_analysts=tuple(x.lower() for x in _list(env, "RETKOOP_NATIONAL_ANALYSTS")),
            notebooks_dir=Path(_text(env, "RETKOOP_NOTEBOOKS_DIR") or PACKAGE / "notebooks"),
            user=_text(env, "RETKOOP_USER"),
            role=_text(env, "RETKOOP_ROLE"),
            coop=_code(env, "RETKOOP_COOP"),
            ad=_code(env, "RETKOOP_AD"),
            hub_base_url=_text(env, "JUPYTERHUB_BASE_URL"),
            national=parse_bool("RETKOOP_NATIONAL", env.get("RETKOOP_NATIONAL")),
            demo=parse_bool("RETKOOP_DEMO", env.get("RETKOOP_DEMO")),
            debug=parse_bool("RETKOOP_DEBUG", env.get("RETKOOP_DEBUG")),
            chromium=_text(env, "RETKOOP_CHROMIUM") or "/usr/bin/chromium",
        )

    @property
    def database_url(self) -> str:
        """``db_url``, else the SQLite file in ``data_dir``."""
        return self.db_url or f"sqlite:///{self.data_dir / 'retkoop.sqlite3'}"


# What the default data directory depends on besides RETKOOP_* (platformdirs).
_ALSO = ("HOME", "XDG_DATA_HOME", "JUPYTERHUB_BASE_URL")
_cached: tuple[tuple, Settings] | None = None


def settings() -> Settings:
    """The process's settings, read once per distinct ``RETKOOP_*`` environment."""
    global _cached
    key = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(PREFIX) or k in _ALSO))
    cached = _cached
    if cached is None or cached[0] != key:
        cached = _cached = (key, Settings.from_env(os.environ))
    return cached[1]


@contextmanager
def environment(**values: str | None) -> Iterator[None]:
    """Set ``RETKOOP_*`` variables for one block, then put back what was there (the CLI's
    ``--db`` holds for its command only: a caller in the same process, a test, keeps its own).
    ``environment(RETKOOP_DB_URL="sqlite:///…")``; a None value leaves the variable alone."""
    previous = {k: os.environ.get(k) for k, v in values.items() if v is not None}
    for k in previous:
        os.environ[k] = values[k]
    try:
        yield
    finally:
        for k, v in previous.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
