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
import os
import shutil
import tempfile
from pathlib import Path

import nbformat

from ..domain.errors import RetkoopError

NOTEBOOKS = {"crf": "rapport_financier.ipynb", "cahier": "cahier.ipynb"}
# User-facing refusals raised inside the kernel keep their French message.
_USER_ERRORS = {"NotFound", "Forbidden", "ValidationError", "LockedExercice", "Conflict", "RetkoopError"}


class ReportError(RetkoopError):
    """A report could not be produced (message in French, no traceback)."""


def notebooks_dir() -> Path:
    """``RETKOOP_NOTEBOOKS``, else the repository's ``notebooks/`` folder."""
    env = os.environ.get("RETKOOP_NOTEBOOKS")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "notebooks"


def load_notebook(kind: str) -> nbformat.NotebookNode:
    path = notebooks_dir() / NOTEBOOKS[kind]
    if not path.exists():
        raise ReportError(f"modèle de rapport introuvable : {path.name} (dossier {path.parent})")
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


def plain_url(engine) -> str:
    """The engine's URL with its password, in a form ``get_engine`` accepts again."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database.startswith("file:"):
        return "sqlite:///" + url.database[len("file:"):]
    return url.render_as_string(hide_password=False)


class ReportKernel:
    """One Python kernel for many reports (context manager; ``close()`` stops it)."""

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
        self.km = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(self._tmp, "k"))
        self.km.start_kernel(env=env, cwd=str(notebooks_dir()) if notebooks_dir().is_dir() else None)
        self.kc = None
        if warm:  # import the heavy modules now (a batch worker, before its first coop)
            self._run(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
                "import retkoop_widgets.reports.views, matplotlib.pyplot")]))

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
            raise ReportError(f"erreur pendant la production du rapport ({e.ename}) : "
                              f"{(e.evalue or '').splitlines()[0] if e.evalue else ''}") from None

    def alive(self) -> bool:
        return self.km.is_alive()

    def close(self) -> None:
        try:
            if self.kc is not None:
                self.kc.stop_channels()
        finally:
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=True)
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_EXPORTER = None


def pdf_exporter():
    """The process's exporter, template compiled and WeasyPrint imported (~1 s the first
    time). Call it while a kernel boots: the two overlap on a two-core machine."""
    global _EXPORTER
    if _EXPORTER is None:
        import weasyprint  # noqa: F401  (import cost paid here, not after the kernel)
        from .exporter import RetkoopPdfExporter
        e = RetkoopPdfExporter()
        e.template  # compile now
        _EXPORTER = e
    return _EXPORTER


def to_pdf(nb: nbformat.NotebookNode) -> bytes:
    pdf, _ = pdf_exporter().from_notebook_node(nb)
    return pdf
