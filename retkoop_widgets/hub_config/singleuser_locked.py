"""jupyter_server configuration of a locked single-user server (mandataire, admin-ad).

Loaded with ``jupyterhub-singleuser --config=<this file>`` (see ``jupyterhub_config.py``,
``c.Spawner.group_overrides``). The server renders only the role's dashboard notebooks
with Voilà; see ``retkoop_widgets/hub/lockdown.py`` for why each lock is needed.
"""
import os
from pathlib import Path

from retkoop_widgets.settings import settings

c = get_config()  # noqa: F821

ROLE = settings().role  # the identity the hub started this server with
# Which notebooks (relative to the served folder, Spawner.notebook_dir) each role may open.
DASHBOARDS = {
    "mandataire": ["tableau_de_bord.ipynb"],
    "admin-ad": ["ad.ipynb", "tableau_de_bord.ipynb"],
}

# Only Voilà and the lock: no JupyterLab, no classic notebook, no terminals, no LSP.
c.ServerApp.jpserver_extensions = {
    "voila": True,
    "retkoop_widgets.hub.lockdown": True,
    "jupyterlab": False,
    "notebook": False,
    "nbclassic": False,
    "notebook_shim": False,
    "jupyter_lsp": False,
    "jupyter_server_terminals": False,
}
c.ServerApp.terminals_enabled = False
c.ServerApp.authorizer_class = "retkoop_widgets.hub.lockdown.DashboardAuthorizer"
c.DashboardAuthorizer.allowed_notebooks = DASHBOARDS.get(ROLE, [])
c.DashboardAuthorizer.allowed = [("execute", "kernels")]
c.ServerApp.contents_manager_class = "retkoop_widgets.hub.lockdown.ReadOnlyContentsManager"
c.ContentsManager.allow_hidden = False

# Kernels: widget messages only, never a traceback (it could carry a database URL).
c.MappingKernelManager.allowed_message_types = [
    "comm_open", "comm_close", "comm_msg", "comm_info_request", "kernel_info_request",
    "shutdown_request"]
c.MappingKernelManager.allow_tracebacks = False
# ...and a kernel error must not stop the page's websocket (jupyter_server 2.21 bug with
# allow_tracebacks=False; see retkoop_widgets/hub/kernel_errors.py).
# LockedKernelConnection is QuietErrorsConnection plus: no kernel stderr (a traceback the
# kernel logs itself, e.g. for a malformed comm_open) reaches the page (hub/kernel_filters.py).
c.ServerApp.kernel_websocket_connection_class = "retkoop_widgets.hub.kernel_filters.LockedKernelConnection"
# Every page view starts a kernel: at most 3 live per server (the oldest idle one is shut
# when a fourth page opens; retkoop_widgets/hub/caps.py).
c.ServerApp.kernel_manager_class = "retkoop_widgets.hub.caps.CappedKernelManager"
c.CappedKernelManager.max_kernels = 3
# Closing the tab does not stop a kernel: cull.
c.MappingKernelManager.cull_idle_timeout = 15 * 60
c.MappingKernelManager.cull_interval = 60
c.MappingKernelManager.cull_connected = False

c.VoilaConfiguration.show_tracebacks = False
c.VoilaConfiguration.file_allowlist = []
# Our page (retkoop_widgets/voila_page.py): lang="fr", « Retkoop — École des Tilleuls » as its
# title, icons served locally (no CDN: schools are not always online).
from retkoop_widgets import voila_page  # noqa: E402
from traitlets.config import Config  # noqa: E402
voila_page.use_template()
c.merge(Config(voila_page.exporter_config()))

# Cookies as the Hub's (hub_config/jupyterhub_config.py: SameSite=Lax, Secure behind https):
# JupyterHub passes them as JUPYTERHUB_COOKIE_OPTIONS for the OAuth cookie; the XSRF cookie
# is jupyter_server's own.
import json as _json  # noqa: E402
_COOKIE_OPTIONS = _json.loads(os.environ.get("JUPYTERHUB_COOKIE_OPTIONS") or "{}")
# A pièce justificative (10 Mo) is ONE websocket message: tornado's 10 MiB default closed the
# page's websocket on it (the page froze); the kernel must receive it to refuse it in French.
from retkoop_widgets.dashboard_server import WEBSOCKET_MAX_MESSAGE  # noqa: E402
_TORNADO = {"websocket_max_message_size": WEBSOCKET_MAX_MESSAGE,
            # No MathJax: Voilà's page asks cdnjs for it on every load unless both settings are
            # present and empty (as the standalone page has them); a dashboard typesets no
            # LaTeX, and « 5 $ » in a libellé must stay text.
            "mathjax_url": None, "mathjax_config": None}
if _COOKIE_OPTIONS:
    _TORNADO["xsrf_cookie_kwargs"] = {"path": os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/"), **_COOKIE_OPTIONS}
c.ServerApp.tornado_settings = _TORNADO

# Error pages in French, without the server's API token (jupyter_server's page.html puts it
# in every page, error pages included): hub_config/singleuser_templates/.
c.ServerApp.extra_template_paths = [str(Path(__file__).resolve().parent / "singleuser_templates")]

# API errors in French (a teacher may type /user/<login>/api/… by hand): retkoop_widgets/hub/api_errors.py
from jupyter_server.base.handlers import APIHandler as _APIHandler  # noqa: E402
from retkoop_widgets.hub.api_errors import french_api_errors  # noqa: E402
french_api_errors(_APIHandler)
