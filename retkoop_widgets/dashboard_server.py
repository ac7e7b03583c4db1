"""Serve the teacher dashboard with standalone Voilà on 127.0.0.1.

Why these options: Voilà must never show a traceback (it may hold a database URL), so
both the first render (``show_tracebacks``) and widget callbacks (``allow_tracebacks``)
are closed; every page view starts a kernel (~110-140 MB) that closing the tab does not
stop, so idle kernels are culled even while a tab is still connected.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from . import voila_page
from .settings import settings

NOTEBOOK_NAME = "tableau_de_bord.ipynb"
# errors without traceback, and no kernel stderr in the page (hub/kernel_filters.py), as in the hub
KERNEL_CONNECTION = "retkoop_widgets.hub.kernel_filters.LockedKernelConnection"

def notebook_path() -> Path:
    """``tableau_de_bord.ipynb`` of the notebooks folder (shipped inside the package, found
    by ``settings.notebooks_dir``, so a checkout and an installed wheel serve the same file)."""
    return settings().notebooks_dir / NOTEBOOK_NAME


def voila_command(notebook: Path, port: int, *, cull_idle: int = 900, cull_interval: int = 60) -> list[str]:
    voila_page.use_template()  # this process's JUPYTER_PATH, inherited by the Voilà it starts
    return [sys.executable, "-m", "voila", str(notebook),
            f"--port={port}", "--Voila.ip=127.0.0.1", "--no-browser",
            "--VoilaConfiguration.show_tracebacks=False",
            "--MappingKernelManager.allow_tracebacks=False",
            # jupyter_server 2.21 breaks the websocket on the first kernel error when
            # tracebacks are off; our connection class does not (hub/kernel_errors.py).
            f"--Voila.kernel_websocket_connection_class={KERNEL_CONNECTION}",
            f"--MappingKernelManager.cull_idle_timeout={cull_idle}",
            f"--MappingKernelManager.cull_interval={cull_interval}",
            "--MappingKernelManager.cull_connected=False",
            f"--Voila.config_file_paths={config_dir()}",
            ]


#: A pièce justificative may weigh 10 Mo (``domain.attachment.MAX_BYTES``); the upload is
#: one websocket message. Tornado's default cap (10 MiB) *closed the page's websocket* on a
#: bigger file (the page froze); with room above the limit the kernel receives the file
#: and refuses it in French, naming its size.
WEBSOCKET_MAX_MESSAGE = 64 * 1024 * 1024


def config_dir() -> str:
    """A private folder holding ``voila.json`` for the settings the command line cannot
    carry (a dict of tornado settings with an integer value)."""
    global _CONFIG_DIR
    if _CONFIG_DIR is None:
        folder = Path(tempfile.mkdtemp(prefix="retkoop-voila-"))
        (folder / "voila.json").write_text(json.dumps(
            {"Voila": {"tornado_settings": {"websocket_max_message_size": WEBSOCKET_MAX_MESSAGE}},
             **voila_page.exporter_config()}),  # French, titled, offline page (voila_page.py)
            encoding="utf-8")
        _CONFIG_DIR = str(folder)
    return _CONFIG_DIR


_CONFIG_DIR: str | None = None


def start(db_url: str, port: int, *, demo: bool = False, env: dict | None = None, quiet: bool = False,
          **kw) -> subprocess.Popen:
    """Start Voilà in the background; the caller stops it (``proc.terminate()``).

    ``demo=True`` (``retkoop demo``, tests, benches) lets a kernel with no identity act as
    the demo mandataire (``RETKOOP_DEMO=1``, see identity.py); otherwise such a page
    refuses, whatever the caller's environment says."""
    e = voila_page.use_template(dict(os.environ if env is None else env))
    e["RETKOOP_DB_URL"] = db_url
    e.pop("RETKOOP_DEMO", None)
    if demo:
        e["RETKOOP_DEMO"] = "1"
    out = subprocess.DEVNULL if quiet else None
    return subprocess.Popen(voila_command(notebook_path(), port, **kw), env=e, stdout=out, stderr=out,
                            cwd=str(Path(tempfile.gettempdir())))


def wait_ready(port: int, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    import socket
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("Voilà s'est arrêté au démarrage")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"Voilà ne répond pas sur le port {port}")
