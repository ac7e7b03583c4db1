"""Every widget callback is an error boundary: an unexpected exception is logged on the
server with a short reference, the page says so in French, and nothing typed is lost.

Why one place and not a try/except in every handler: ipywidgets already funnels every
failure of a callback (``on_click``, ``on_submit``) and of a widget message (a state the
kernel cannot deserialise, an ``observe`` handler that raises) into the shell's
``showtraceback()``. By default that publishes the traceback to the page (a secret may be in
it), and with tracebacks filtered the page used to freeze (see ``hub/kernel_errors.py``).
``install`` replaces ``showtraceback`` on *this kernel's* shell instance (nothing in
site-packages is changed) with ``report``: log the exception with a reference to the
server's log, show « Une erreur inattendue est survenue (réf. 7F3A) ; votre saisie est
conservée » in the dashboard's alert line. Handlers never reset a form on failure, so what
the teacher typed stays in the fields.

The log goes to the kernel process's *original* stderr (the Voilà server's log), not to
``sys.stderr``: ipykernel forwards that one, and even file descriptor 2, to the browser.
"""
from __future__ import annotations

import logging
import os
import secrets
import sys
import weakref

import ipywidgets as W

log = logging.getLogger("retkoop.dashboard")


def reference() -> str:
    """Four hex digits: short enough to read over the phone to the AD, unique enough to
    find the line in a day's log."""
    return secrets.token_hex(2).upper()


def unexpected_message(ref: str) -> str:
    return f"Une erreur inattendue est survenue (réf. {ref}) ; votre saisie est conservée."


def report(exc_info=None) -> str:
    """Log the current (or given) exception with a new reference; return the reference."""
    ensure_server_log()
    ref = reference()
    log.error("erreur inattendue, réf. %s", ref, exc_info=exc_info or True)
    return ref


_HANDLER: logging.Handler | None = None


def ensure_server_log() -> None:
    """Send ``retkoop.*`` log records to the server's log only (once per process)."""
    global _HANDLER
    if _HANDLER is not None:
        return
    try:
        stream = os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1, encoding="utf-8",
                           errors="replace")
    except (AttributeError, OSError, ValueError):
        stream = sys.__stderr__
    _HANDLER = logging.StreamHandler(stream)
    _HANDLER.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger("retkoop")
    root.addHandler(_HANDLER)
    root.propagate = False  # never through the root logger's handlers (ipykernel's iopub)
    if root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


_LIVE: "weakref.WeakSet[Boundary]" = weakref.WeakSet()  # every dashboard's alert line in this kernel
_HOOKED: set[int] = set()  # shells whose showtraceback is ours


class Boundary:
    """The dashboard's alert line, and the hook that writes into it."""

    def __init__(self):
        self.alert = W.HTML("")
        self.alert.add_class("rk-unexpected")

    def show(self, ref: str) -> None:
        from .common import ko_html
        self.alert.value = f'<div role="alert">{ko_html(unexpected_message(ref))}</div>'

    def clear(self) -> None:
        self.alert.value = ""

    def install(self, shell=None) -> None:
        """Route this kernel's ``showtraceback`` (what ipywidgets calls when a callback or a
        widget message fails) to ``report`` + every live dashboard's alert line (a kernel
        rarely holds two dashboards; when it does, both say it, neither stays silent)."""
        if shell is None:
            try:
                from IPython import get_ipython
            except ImportError:  # pragma: no cover - ipywidgets depends on IPython
                return
            shell = get_ipython()
        if shell is None:
            return
        _LIVE.add(self)
        if id(shell) in _HOOKED:
            return
        _HOOKED.add(id(shell))
        ensure_server_log()
        original = shell.showtraceback
        # Installed from the notebook's cell (build_dashboard): until that cell ends, an error
        # is the cell's own and keeps IPython's report (nbval sees it); afterwards every
        # error comes from a widget message.
        in_cell = [True]
        shell.events.register("pre_run_cell", lambda *_a: in_cell.__setitem__(0, True))
        shell.events.register("post_run_cell", lambda *_a: in_cell.__setitem__(0, False))

        def showtraceback(exc_tuple=None, *args, **kwargs):
            if in_cell[0]:
                return original(exc_tuple, *args, **kwargs)
            ref = report(exc_tuple if exc_tuple and exc_tuple[0] is not None else None)
            for boundary in list(_LIVE):
                boundary.show(ref)

        shell.showtraceback = showtraceback
