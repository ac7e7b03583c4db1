"""The hub's single-user configurations, loaded as JupyterHub loads them (no server)."""
from __future__ import annotations

from pathlib import Path

import pytest

CONFIG = Path(__file__).resolve().parent.parent / "retkoop_widgets" / "hub_config"


def load(name: str, monkeypatch, **env):
    from traitlets.config.loader import PyFileConfigLoader
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return PyFileConfigLoader(name, path=str(CONFIG)).load_config()


@pytest.mark.parametrize("cookies", ["", '{"secure": true, "samesite": "Lax"}'])
def test_a_dashboard_server_takes_a_file_over_the_limit_in_one_message(monkeypatch, cookies):
    """A receipt over 10 Mo must reach the kernel (to be refused in French) instead of
    closing the page's websocket at tornado's 10 MiB default."""
    from retkoop_widgets.domain.attachment import MAX_BYTES
    c = load("singleuser_locked.py", monkeypatch, RETKOOP_ROLE="mandataire", JUPYTERHUB_COOKIE_OPTIONS=cookies)
    settings = c.ServerApp.tornado_settings
    assert settings["websocket_max_message_size"] >= 2 * MAX_BYTES
    if cookies:  # the cookie settings are still there beside it
        assert settings["xsrf_cookie_kwargs"]["secure"] is True
    assert c.ServerApp.kernel_websocket_connection_class.endswith("LockedKernelConnection")
