"""jupyter_server configuration of a JupyterLab single-user server (formateur, analyste).

These roles run code by design; what protects the books is the database connection their
kernels get (``RETKOOP_DB_URL``: a SELECT-only PostgreSQL role for analysts, the
``RETKOOP_READ_ONLY`` flag for SQLite) and ``Books`` permissions (``Actor``).
"""
import os
from pathlib import Path

c = get_config()  # noqa: F821

c.ServerApp.terminals_enabled = False
c.MappingKernelManager.allow_tracebacks = True  # they write code: tracebacks are their tool
c.MappingKernelManager.cull_idle_timeout = 60 * 60
c.MappingKernelManager.cull_interval = 5 * 60
c.MappingKernelManager.cull_connected = False
c.VoilaConfiguration.show_tracebacks = False
# Offline server: no news feed, no update check (they would call the internet).
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
# Default JupyterLab settings: lab_settings/overrides.json, next to this file (it travels with
# hub_config/ into the z2jh image): French interface (language pack
# jupyterlab-language-pack-fr-FR, a dependency) and no "fetch Jupyter news?" prompt. This
# folder replaces <sys.prefix>/share/jupyter/lab/settings, which pip installs leave absent.
# A person can still choose another language (Paramètres > Langue, kept in their settings).
c.LabApp.app_settings_dir = str(Path(__file__).resolve().parent / "lab_settings")

# Cookies as the Hub's (hub_config/jupyterhub_config.py: SameSite=Lax, Secure behind https):
# JupyterHub passes them as JUPYTERHUB_COOKIE_OPTIONS for the OAuth cookie; the XSRF cookie
# is jupyter_server's own.
import json as _json  # noqa: E402
_COOKIE_OPTIONS = _json.loads(os.environ.get("JUPYTERHUB_COOKIE_OPTIONS") or "{}")
if _COOKIE_OPTIONS:
    c.ServerApp.tornado_settings = {"xsrf_cookie_kwargs": {
        "path": os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/"), **_COOKIE_OPTIONS}}

# Error pages in French, without the server's API token (jupyter_server's page.html puts it
# in every page, error pages included): hub_config/singleuser_templates/.
c.ServerApp.extra_template_paths = [str(Path(__file__).resolve().parent / "singleuser_templates")]
