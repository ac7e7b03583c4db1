"""Lock a ``jupyterhub-singleuser`` server down to "show these dashboards, nothing else".

Why: the Voilà server extension inside a Jupyter server is not a sandbox. From the
dashboard page a user could create kernels, run code on the dashboard's own kernel, open
a terminal, read and write files, or render any other notebook of the folder (stack notes).
A mandataire's (and an AD's) server must only render their dashboard notebooks and talk
to those dashboards' kernels through widget messages. Four locks, each closing holes the
others cannot:

1. ``DashboardAuthorizer`` (``ServerApp.authorizer_class``): every Jupyter REST and
   websocket handler asks it; it allows only ``execute`` on ``kernels`` (the websocket of
   a kernel Voilà started) and refuses kernels creation/listing, contents, files,
   sessions, terminals, nbconvert, kernelspecs… (reading one kernel's model by its id is
   allowed: Voilà's page needs it for the kernel it was given)
2. This module as a server extension (``jpserver_extensions``): Voilà's own handlers do
   not ask the authorizer, so a gate placed *before* every other route refuses
   ``/voila/tree``, ``/voila/files``, ``/voila/api/contents`` and ``/voila/render/`` of
   any notebook that is not in ``allowed_notebooks``.
3. ``ReadOnlyContentsManager``: nothing can be saved, renamed or deleted, whatever route.
4. In the server config (``hub_config/singleuser_locked.py``):
   ``MappingKernelManager.allowed_message_types`` = Voilà's list (no ``execute_request``),
   ``allow_tracebacks=False`` (no traceback and no database URL in the page),
   ``terminals_enabled=False``.
"""
from __future__ import annotations

import re

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from jupyter_server.base.handlers import JupyterHandler
from jupyterhub.singleuser.extension import JupyterHubAuthorizer
from tornado import web
from tornado.routing import PathMatches, Rule
from traitlets import List, Tuple, Unicode

# What Voilà's front end sends on a kernel websocket (same list standalone Voilà enforces).
_ONE_KERNEL = re.compile(r"/api/kernels/[0-9a-f-]{36}$")
VOILA_MESSAGE_TYPES = ["comm_open", "comm_close", "comm_msg", "comm_info_request",
                       "kernel_info_request", "shutdown_request"]


class DashboardAuthorizer(JupyterHubAuthorizer):
    """Allow only the (action, resource) pairs listed in ``allowed``; the Hub's own check
    (the viewer may access this server) still applies first."""

    allowed = List(Tuple(Unicode(), Unicode()), default_value=[("execute", "kernels")], config=True,
                   help="(action, resource) pairs a viewer may use; everything else is refused.")
    allowed_notebooks = List(Unicode(), default_value=[], config=True,
                             help="Notebook paths (relative to the root dir) Voilà may render.")

    def is_authorized(self, handler, user, action, resource):
        if not super().is_authorized(handler, user, action, resource):
            return False
        ok = (action, resource) in {tuple(a) for a in self.allowed}
        if not ok and (action, resource) == ("read", "kernels"):
            # Voilà's page asks for the model of *its* kernel (by id, a UUID it was given);
            # the list of kernels (GET /api/kernels) stays refused.
            ok = bool(_ONE_KERNEL.search(handler.request.path))
        if not ok:
            self.log.warning("retkoop lockdown: refused %s on %s (%s %s)", action, resource,
                             handler.request.method, handler.request.path)
        return ok


class ReadOnlyContentsManager(AsyncLargeFileManager):
    """Contents can be read by the server itself (Voilà reads its notebook) but never changed."""

    def _refuse(self, *args, **kwargs):
        raise web.HTTPError(403, "lecture seule")

    async def save(self, model, path=""):
        self._refuse()

    async def delete_file(self, path):
        self._refuse()

    async def rename_file(self, old_path, new_path):
        self._refuse()

    async def new(self, model=None, path=""):
        self._refuse()

    async def new_untitled(self, path="", type="", ext=""):
        self._refuse()

    async def copy(self, from_path, to_path=None):
        self._refuse()

    async def create_checkpoint(self, path):
        self._refuse()


class RefusedHandler(JupyterHandler):
    """403 for every method, with a French page and no detail."""

    def _refuse(self, *args, **kwargs):
        self.log.warning("retkoop lockdown: refused %s %s", self.request.method, self.request.path)
        raise web.HTTPError(403, "accès refusé")

    get = post = put = patch = delete = head = options = _refuse

    def check_xsrf_cookie(self):  # refuse before XSRF checks so the answer is always 403
        return None


def gate_pattern(base_url: str, allowed_notebooks: list[str]) -> str:
    """Regex of Voilà paths to refuse: the tree, files and contents routes, and rendering of
    any notebook whose path is not exactly one of ``allowed_notebooks``."""
    base = base_url.rstrip("/")
    names = "|".join(re.escape(n) for n in allowed_notebooks) or "(?!)"
    return (rf"{re.escape(base)}/voila(?:/?|/tree.*|/files/.*|/api/contents.*|/execution/.*"
            rf"|/render/(?!(?:{names})$).*)$")


def _jupyter_server_extension_points():
    return [{"module": "retkoop_widgets.hub.lockdown"}]


def _load_jupyter_server_extension(serverapp):
    authorizer = serverapp.authorizer
    allowed = list(getattr(authorizer, "allowed_notebooks", []))
    pattern = gate_pattern(serverapp.base_url, allowed)
    # Tornado tries rules in order: putting ours first makes it win over Voilà's routes,
    # whatever the order extensions were loaded in.
    serverapp.web_app.default_router.rules.insert(
        0, Rule(PathMatches(pattern), RefusedHandler))
    if not isinstance(authorizer, DashboardAuthorizer):  # a config mistake must not open the server
        raise RuntimeError("retkoop lockdown needs ServerApp.authorizer_class = DashboardAuthorizer")
    serverapp.log.info("retkoop lockdown: dashboards %s only", allowed)
