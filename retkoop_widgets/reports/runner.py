"""Executing the report notebooks: parameters injected papermill-style, one kernel reused.

Why not papermill itself: it writes the executed notebook to a file and restarts a
kernel per run; a batch of 300 coops would pay ~1–2 s of kernel start each time. Here a
``ReportKernel`` starts one kernel (database URL in its environment, never in the
notebook) and runs notebook after notebook in it. The injected cell follows the cell
tagged ``parameters`` and is tagged ``injected-parameters``, as papermill does, so the
notebooks stay compatible with ``papermill -p coop …``.
"""
from __future__ import annotations

import copy
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path

import nbformat

from ..settings import settings
from . import ReportError, plain_url, unexpected  # noqa: F401 (plain_url: re-exported for callers)

log = logging.getLogger(__name__)

NOTEBOOKS = {"crf": "rapport_financier.ipynb", "cahier": "cahier.ipynb"}
# User-facing refusals raised inside the kernel keep their French message.
_USER_ERRORS = {"NotFound", "Forbidden", "ValidationError", "LockedExercice", "Conflict", "RetkoopError",
                "ReportError", "SettingsError"}


def notebooks_dir() -> Path:
    """``RETKOOP_NOTEBOOKS_DIR`` (``settings.notebooks_dir``), else the repository's ``notebooks/``."""
    return settings().notebooks_dir


def load_notebook(kind: str) -> nbformat.NotebookNode:
    path = notebooks_dir() / NOTEBOOKS[kind]
    if not path.exists():
        # the folder is a server path: for the log (and the administrator), not for the page
        log.error("report template %s not found (RETKOOP_NOTEBOOKS_DIR / settings.notebooks_dir)", path)
        raise ReportError(f"modèle de rapport introuvable : {path.name} (installation incomplète : "
                          "prévenez votre AD)")
    return nbformat.read(path, as_version=4)


def inject_parameters(nb: nbformat.NotebookNode, **params) -> nbformat.NotebookNode:
    """A copy of ``nb`` with a cell setting ``params`` right after the ``parameters`` cell."""
    nb = copy.deepcopy(nb)
    src = "# Parameters\n" + "".join(f"{k} = {v!r}\n" for k, v in params.items())
    cell = nbformat.v4.new_code_cell(src, metadata={"tags": ["injected-parameters"]})
    cells = [c for c in nb.cells if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    at = next((i + 1 for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", [])), 0)
    cells.insert(at, cell)
    nb.cells = cells
    return nb


def _kernel_specs():
    """A kernelspec manager whose ``python3`` runs ``reports.kernel`` (ipykernel without
    debugpy nor history) with this interpreter: ~0.15 s less per kernel start."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class ReportKernelSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return KernelSpec(argv=[sys.executable, "-m", "retkoop_widgets.reports.kernel", "-f",
                                    "{connection_file}"],
                              display_name="Retkoop (rapports)", language="python", resource_dir="")
    return ReportKernelSpecs()


class ReportKernel:
    """One Python kernel for many reports (context manager; ``close()`` stops it).

    ``db_url=None``: the kernel inherits this process's environment, so it opens the same
    database as a ``Books(None, …)`` here (``RETKOOP_DB_URL``, else the default file). That is
    what lets the CLI start the kernel before it has even imported the services."""

    def __init__(self, db_url: str | None = None, *, timeout: int = 180, warm: bool = False):
        from jupyter_client.manager import KernelManager
        env = dict(os.environ)
        if db_url:
            env["RETKOOP_DB_URL"] = db_url
        env["MPLBACKEND"] = "Agg"
        env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        self.timeout = timeout
        # IPC sockets (absolute path: the kernel runs in another cwd): no TCP port to
        # find, nothing listening on the network, no "unencrypted TCP" warning.
        self._tmp = tempfile.mkdtemp(prefix="retkoop-kernel-")
        self.km = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(self._tmp, "k"),
                                kernel_spec_manager=_kernel_specs())
        self.km.start_kernel(env=env, cwd=str(notebooks_dir()) if notebooks_dir().is_dir() else None)
        self.kc = None
        if warm:  # import the heavy modules now (a batch worker, before its first coop)
            self._run(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
                "import retkoop_widgets.reports.views, retkoop_widgets.reports.charts, "
                "retkoop_widgets.services.books")]))

    def _run(self, nb):
        from nbclient import NotebookClient
        client = NotebookClient(nb, km=self.km, kc=self.kc, timeout=self.timeout, kernel_name="python3",
                                allow_errors=False)
        client.execute()
        self.kc = client.kc
        return nb

    def execute(self, kind: str, **params) -> nbformat.NotebookNode:
        from nbclient.exceptions import CellExecutionError
        nb = inject_parameters(load_notebook(kind), **params)
        try:
            return self._run(nb)
        except CellExecutionError as e:
            if e.ename in _USER_ERRORS:
                raise ReportError(e.evalue) from None
            if e.ename == "InvariantBreach":  # a bug, reported as such (the CLI exits 3)
                from ..domain.errors import InvariantBreach
                raise InvariantBreach(e.evalue) from None
            # anything else is ours to fix, and its text may name server paths, modules or
            # SQL: the log keeps it under a reference, the person reads a plain sentence
            raise unexpected(f"{e.ename}: {e.evalue}\n{e.traceback}", kind, params) from None

    def alive(self) -> bool:
        return self.km.is_alive()

    def close(self) -> None:
        try:
            if self.kc is not None:
                self.kc.stop_channels()
        finally:
            if self.km.has_kernel:
                self._kill_and_reap()
                self.km.shutdown_kernel(now=True)
            shutil.rmtree(self._tmp, ignore_errors=True)

    def _kill_and_reap(self) -> None:
        """SIGKILL the kernel's process group and wait for it here: jupyter_client's own
        shutdown polls for the death every 0.1 s, which the CLI paid at the end of each PDF."""
        proc = getattr(self.km.provisioner, "process", None)
        try:
            self.km.signal_kernel(signal.SIGKILL)
            if proc is not None:
                proc.wait(timeout=5)
        except Exception:  # noqa: BLE001 - shutdown_kernel below does it the slow way
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_EXPORTER = None
_EXPORTER_LOCK = threading.Lock()

# What the first conversion of a process pays once (measured, 2 cores): nbconvert's first
# ``from_notebook_node`` ~0.2 s (filters, lazy imports), WeasyPrint's first document
# ~0.1–0.2 s (fonts, pango, the user-agent stylesheet). ``warm_exporter`` pays them on a
# two-line document while the kernel works, instead of after it.
_WARM_HTML = ('<p class="ident">Été <b>gras</b> <i>italique</i> 1\u202f234,56\u00a0€</p>'
              '<table class="grid"><thead><tr><th>a</th></tr></thead><tbody><tr><td class="n">1</td></tr>'
              '</tbody></table>')


def pdf_exporter():
    """The process's exporter, template compiled and WeasyPrint imported (~1 s the first
    time). Thread-safe: ``warm_exporter`` may be building it in the background."""
    global _EXPORTER
    with _EXPORTER_LOCK:
        if _EXPORTER is None:
            import weasyprint  # noqa: F401  (import cost paid here, not after the kernel)
            from .exporter import RetkoopPdfExporter
            e = RetkoopPdfExporter()
            _ = e.template  # compile now (a property)
            _EXPORTER = e
        return _EXPORTER


def warm_exporter(kind: str = "crf") -> None:
    """Build the exporter and run it once on a tiny notebook, so that the real report's
    conversion starts warm. Meant to run in a thread while the kernel executes the
    notebook (the parent would wait idle otherwise)."""
    e = pdf_exporter()
    nb = nbformat.v4.new_notebook(metadata={"retkoop": {"kind": kind}}, cells=[nbformat.v4.new_code_cell(
        "", outputs=[nbformat.v4.new_output("display_data", data={"text/html": _WARM_HTML})])])
    e.from_notebook_node(nb)


class Warmer:
    """``warm_exporter`` in a daemon thread; ``join()`` waits for it. A failure there is
    not raised: the real conversion, in the caller's thread, raises it again if it persists."""

    def __init__(self, kind: str = "crf"):
        self._t = threading.Thread(target=self._run, args=(kind,), name="retkoop-pdf-warm", daemon=True)
        self._t.start()

    @staticmethod
    def _run(kind: str) -> None:
        try:
            warm_exporter(kind)
        except Exception:  # noqa: BLE001 - re-raised by to_pdf in the caller's thread
            pass

    def join(self) -> None:
        self._t.join()


def to_pdf(nb: nbformat.NotebookNode) -> bytes:
    pdf, _ = pdf_exporter().from_notebook_node(nb)
    return pdf


def produce_pdf(kernel: ReportKernel, kind: str, coop: str, exercice: str) -> bytes:
    """Execute ``kind``'s notebook in ``kernel`` and convert it, with NO permission check
    here: the caller has checked (``reports.render_pdf``) or acts as the system actor (the
    CLI). While the kernel works, a thread here imports WeasyPrint and converts a tiny
    document, so that the real conversion starts warm (the two cores both busy)."""
    warmer = Warmer(kind)
    try:
        nb = kernel.execute(kind, coop=coop, exercice=exercice)
    finally:  # also on a refusal: no import left half-done in a long-lived process
        warmer.join()
    return to_pdf(nb)
