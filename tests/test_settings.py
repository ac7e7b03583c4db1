"""settings.Settings: every RETKOOP_* variable, one name, one parser, one default."""
from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from retkoop_widgets.domain.errors import RetkoopError
from retkoop_widgets.settings import PACKAGE, Settings, SettingsError, parse_bool, settings


def test_defaults_need_no_configuration(tmp_path):
    s = Settings.from_env({"RETKOOP_DATA_DIR": str(tmp_path)})
    assert s.db_url is None and s.database_url == f"sqlite:///{tmp_path / 'retkoop.sqlite3'}"
    assert s.read_only is False and s.demo is False and s.debug is False
    assert s.hub_data_dir == tmp_path / "hub"  # one default for the hub's state, under data_dir
    assert (s.hub_ip, s.hub_port, s.hub_server_ports, s.cull_timeout) == ("127.0.0.1", 8000, (8010, 8099), 3600)
    assert s.notebooks_dir == PACKAGE / "notebooks" and s.hub_config_dir == PACKAGE / "hub_config"
    assert s.hub_homes_dir == Path("/var/lib/retkoop/homes") and s.hub_user_python == ""
    assert (s.user, s.role, s.coop, s.ad) == ("", "", None, None)
    assert s.chromium == "/usr/bin/chromium"


def test_every_variable_is_read(tmp_path):
    env = {
        "RETKOOP_DB_URL": "postgresql://u@h/db", "RETKOOP_DATA_DIR": str(tmp_path),
        "RETKOOP_READ_ONLY": "oui", "RETKOOP_ANALYST_DB_URL": "postgresql://a@h/db",
        "RETKOOP_HUB_DATA_DIR": str(tmp_path / "h"), "RETKOOP_HUB_IP": "0.0.0.0", "RETKOOP_HUB_PORT": "18000",
        "RETKOOP_HUB_CONFIG": str(tmp_path / "conf"), "RETKOOP_CULL_TIMEOUT": "60",
        "RETKOOP_NOTEBOOKS_DIR": str(tmp_path / "nb"), "RETKOOP_USER": " mme.leroy ", "RETKOOP_ROLE": "mandataire",
        "RETKOOP_COOP": "ad76-0500", "RETKOOP_AD": "ad76", "RETKOOP_DEMO": "1", "RETKOOP_DEBUG": "true",
        "RETKOOP_CHROMIUM": "/opt/chromium", "RETKOOP_HUB_HOMES_DIR": str(tmp_path / "homes"),
        "RETKOOP_HUB_USER_PYTHON": "/srv/venv/bin/python",
        "RETKOOP_DASHBOARD_DB_URL": "postgresql://t@h/db", "RETKOOP_FORMATEUR_DB_URL": "postgresql://f@h/db",
        "RETKOOP_PUBLIC_URL": "https://retkoop.example.org/", "RETKOOP_TRUSTED_PROXY": " 10.0.0.1, ,10.0.0.2 ",
        "RETKOOP_NATIONAL_ANALYSTS": "M.Martin, dupont", "RETKOOP_NATIONAL": "oui",
    }
    s = Settings.from_env(env)
    assert s.db_url == s.database_url == "postgresql://u@h/db" and s.analyst_db_url == "postgresql://a@h/db"
    assert s.read_only and s.demo and s.debug
    assert s.hub_data_dir == tmp_path / "h" and s.hub_ip == "0.0.0.0" and s.hub_port == 18000
    assert s.hub_server_ports == (18010, 18099)  # follows the hub's port unless given
    assert s.hub_config_dir == tmp_path / "conf" and s.cull_timeout == 60 and s.notebooks_dir == tmp_path / "nb"
    assert (s.user, s.role, s.coop, s.ad) == ("mme.leroy", "mandataire", "AD76-0500", "AD76")
    assert s.chromium == "/opt/chromium"
    assert s.hub_homes_dir == tmp_path / "homes" and s.hub_user_python == "/srv/venv/bin/python"
    assert (s.dashboard_db_url, s.formateur_db_url) == ("postgresql://t@h/db", "postgresql://f@h/db")
    assert s.public_url == "https://retkoop.example.org/" and s.trusted_proxies == ("10.0.0.1", "10.0.0.2")
    assert s.national_analysts == ("m.martin", "dupont") and s.national
    assert Settings.from_env({**env, "RETKOOP_HUB_SERVER_PORTS": "18010-18019"}).hub_server_ports == (18010, 18019)
    with pytest.raises(AttributeError):
        s.read_only = False  # frozen


def test_old_notebooks_name_still_works_but_the_new_one_wins(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert Settings.from_env({"RETKOOP_NOTEBOOKS": str(tmp_path)}).notebooks_dir == tmp_path
    assert any("RETKOOP_NOTEBOOKS_DIR" in str(w.message) for w in caught)
    both = {"RETKOOP_NOTEBOOKS": "/old", "RETKOOP_NOTEBOOKS_DIR": str(tmp_path)}
    assert Settings.from_env(both).notebooks_dir == tmp_path


@pytest.mark.parametrize("value, expected", [
    ("1", True), ("true", True), ("TRUE", True), (" oui ", True), ("Oui", True), ("yes", True), ("on", True),
    ("0", False), ("false", False), ("non", False), ("no", False), ("off", False), ("", False), (None, False),
])
def test_one_flag_parser(value, expected):
    assert parse_bool("RETKOOP_READ_ONLY", value) is expected


@pytest.mark.parametrize("value", ["peut-être", "2", "vrai!", "o"])
def test_flag_garbage_is_refused_in_french(value):
    with pytest.raises(SettingsError) as e:
        Settings.from_env({"RETKOOP_READ_ONLY": value})
    assert str(e.value) == (f"variable d'environnement RETKOOP_READ_ONLY : valeur « {value} » non reconnue "
                            "(attendu : 1 ou 0, oui ou non, true ou false)")
    assert isinstance(e.value, RetkoopError)  # the CLI and the dashboards show it as a refusal


@pytest.mark.parametrize("name, value", [("RETKOOP_HUB_PORT", "huit-mille"), ("RETKOOP_HUB_PORT", "0"),
                                         ("RETKOOP_CULL_TIMEOUT", "-5"), ("RETKOOP_HUB_SERVER_PORTS", "9000"),
                                         ("RETKOOP_HUB_SERVER_PORTS", "9099-9010")])
def test_numbers_garbage_is_refused_in_french(name, value):
    with pytest.raises(SettingsError, match=f"{name} : valeur « {value} » non reconnue"):
        Settings.from_env({name: value})


def test_read_only_is_one_flag_for_every_reader(monkeypatch):
    """The storage and the analyst helpers read the same flag the same way: ``oui`` used to
    force read-only engines while the analyst check said no."""
    from retkoop_widgets.storage.db import forced_read_only
    monkeypatch.setenv("RETKOOP_READ_ONLY", "yes")
    assert forced_read_only() is True and settings().read_only is True
    monkeypatch.setenv("RETKOOP_READ_ONLY", "peut-être")
    with pytest.raises(SettingsError):
        forced_read_only()


def test_settings_follow_the_environment(monkeypatch, tmp_path):
    """Read once, and again only when a RETKOOP_* variable changed (``retkoop --db``)."""
    monkeypatch.setenv("RETKOOP_DB_URL", "sqlite:///a.sqlite3")
    first = settings()
    assert settings() is first and first.db_url == "sqlite:///a.sqlite3"
    monkeypatch.setenv("RETKOOP_DB_URL", f"sqlite:///{tmp_path / 'b.sqlite3'}")
    assert settings().db_url == f"sqlite:///{tmp_path / 'b.sqlite3'}"
    from retkoop_widgets.storage.db import resolve_url
    assert resolve_url() == f"sqlite:///{tmp_path / 'b.sqlite3'}"


def test_report_templates_folder_uses_the_one_name(monkeypatch, tmp_path):
    from retkoop_widgets.reports.runner import notebooks_dir
    monkeypatch.delenv("RETKOOP_NOTEBOOKS", raising=False)
    monkeypatch.setenv("RETKOOP_NOTEBOOKS_DIR", str(tmp_path))
    assert notebooks_dir() == tmp_path
    monkeypatch.delenv("RETKOOP_NOTEBOOKS_DIR")
    assert notebooks_dir() == Path(PACKAGE / "notebooks")


def test_no_module_reads_a_retkoop_variable_but_settings():
    """One obvious place per setting: the package reads ``RETKOOP_*`` only through
    ``Settings`` (hub code and hub_config included). Setting one for a child process (the
    identity a kernel receives) is fine; reading it back elsewhere is not."""
    import re
    read = re.compile(r"""(environ\.get\(\s*|getenv\(\s*|environ\[)["']RETKOOP_[A-Z_]+["'](\](?!\s*=)|\s*[,)])""")
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "settings.py" and path.parent == PACKAGE:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if read.search(line):
                offenders.append(f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}")
    assert offenders == []
