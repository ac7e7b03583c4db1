"""Printed reports: the compte rendu financier (CRF) and the cahier, as PDF.

The notebooks ``notebooks/rapport_financier.ipynb`` and ``notebooks/cahier.ipynb`` are
the templates: they are executed with their parameters (``runner``), then exported
without code by ``exporter.RetkoopPdfExporter`` (nbconvert HTML + WeasyPrint).

Three ways in:

* ``render_crf_pdf`` / ``render_cahier_pdf`` — the dashboard's buttons. They check, with
  the caller's ``Books`` (and so its permissions), that the coop and exercice exist and
  may be read, then run ``retkoop report|cahier … -o -`` in a CHILD process and return
  its PDF. Why a child: rendering in the caller (the dashboard's kernel) loaded
  jupyter_client, nbconvert and WeasyPrint there for good (~198 MB after one PDF, against
  150 MB for a dashboard kernel); the child gives all of it back when it exits, and
  the CLI path is the fastest one (``docs/reports.md``).
* ``render_pdf(kind, books, …)`` — the same check, then a report kernel of this process.
* the CLI (``commands/reports.py``) and the AD batch (``batch.py``) use ``runner`` directly.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
import tempfile

from ..domain.errors import InvariantBreach, Problem, RetkoopError, problems_of

# The runner (nbformat, nbclient, WeasyPrint) is imported only when a PDF is rendered in
# this process: the notebooks' kernels import ``reports.views`` through this package and
# must start fast, and the dashboard must not load it at all.

__all__ = ["render_crf_pdf", "render_cahier_pdf", "render_pdf", "render_in_child", "ReportError",
           "ReportKernel"]

log = logging.getLogger(__name__)

CHILD_TIMEOUT = 180  # seconds, as a report kernel's cell timeout


class ReportError(RetkoopError):
    """A report could not be produced (message in French, no traceback); ``problems``: the
    located problems of a refusal, when there were some."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems: list[Problem] = list(problems or [])


def unexpected(details: str, kind: str, params: dict | None = None) -> ReportError:
    """An error nobody can act on from the page (a bug, a broken install…): its details go
    to the log under a short reference, the person gets a French sentence with that
    reference — never an exception's class, text or a server path."""
    ref = "R-" + secrets.token_hex(3).upper()
    log.error("report %s %s failed, reference %s: %s", kind, params or {}, ref, details)
    return ReportError(f"le document n'a pas pu être produit à cause d'une erreur interne (référence {ref}) : "
                       "réessayez, puis prévenez votre AD en donnant cette référence si cela persiste")


def plain_url(engine) -> str:
    """The engine's URL with its password, in a form ``get_engine`` accepts again (for a
    kernel's or a child's environment, never for a command line or a message)."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database.startswith("file:"):
        return "sqlite:///" + url.database[len("file:"):]
    return url.render_as_string(hide_password=False)


def _check(kind: str, books, coop: str, exercice: str) -> None:
    """Refusals in French (NotFound, Forbidden) with the caller's permissions; for the CRF,
    an inconsistent ledger fails here (InvariantBreach), not inside a kernel."""
    books.exercice(coop, exercice)
    if kind == "crf":
        books.crf(coop, exercice)


def __getattr__(name: str):
    if name == "ReportKernel":
        from . import runner
        return runner.ReportKernel
    raise AttributeError(name)


def render_pdf(kind: str, books, coop: str, exercice: str, kernel=None) -> bytes:
    """Check with ``books`` (the caller's permissions), then execute the notebook in a
    kernel and convert it in this process (``runner.produce_pdf``). ``kernel``: one already
    started (and closed by the caller); otherwise one is started here, and boots while
    this process checks. The notebook is sent to the kernel only once the check has passed."""
    from .runner import ReportKernel, produce_pdf
    own = kernel is None
    if own:
        kernel = ReportKernel(plain_url(books.engine))
    try:
        _check(kind, books, coop, exercice)  # a refusal stops the kernel (finally below)
        try:
            return produce_pdf(kernel, kind, coop, exercice)
        except (RetkoopError, InvariantBreach):  # French refusals; a broken invariant stays one
            raise
        except Exception as e:  # noqa: BLE001 - nbconvert/WeasyPrint/kernel: log, plain sentence
            raise unexpected(f"{type(e).__name__}: {e}", kind, {"coop": coop, "exercice": exercice}) from None
    finally:
        if own:
            kernel.close()


def render_in_child(kind: str, books, coop: str, exercice: str, *, timeout: int = CHILD_TIMEOUT) -> bytes:
    """Check with ``books`` (the caller's permissions) BEFORE anything is started, then
    run the CLI in a child process (``python -m retkoop_widgets.cli --result FILE report …
    -o -``) and return the PDF it writes on its standard output.

    The child acts as the system actor on the caller's database (URL in its environment,
    never on its command line, where ``ps`` would show a password). How it ended is read
    from the JSON result it writes (``cli.write_result``): a refusal comes back as a
    ``ReportError`` with the child's French message and its problems, locations in parts
    (``domain.errors.problems_of``); anything else as a generic French sentence, the
    details going to the log — never a traceback nor an internal error text
    (``RETKOOP_DEBUG`` is removed from its environment). Its stderr is only logged."""
    _check(kind, books, coop, exercice)
    fd, result_path = tempfile.mkstemp(prefix="retkoop-pdf-", suffix=".json")
    os.close(fd)
    command = ["--result", result_path, "report" if kind == "crf" else "cahier", "--format", "pdf", "-o", "-",
               "--", coop, exercice]
    env = dict(os.environ, RETKOOP_DB_URL=plain_url(books.engine))
    env.pop("RETKOOP_DEBUG", None)
    try:
        try:
            done = subprocess.run([sys.executable, "-m", "retkoop_widgets.cli", *command], env=env,
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ReportError(f"la production du PDF a dépassé {timeout} s : réessayez plus tard") from None
        result = _read_result(result_path)
    finally:
        os.unlink(result_path)
    err = done.stderr.decode("utf-8", "replace").strip()
    if result.get("ok") and done.returncode == 0 and done.stdout.startswith(b"%PDF-"):
        return done.stdout
    refusal = result.get("refusal")
    if refusal and result.get("exit") == 1:  # a refusal written for people (RetkoopError): pass it on
        if err:  # e.g. the child's log of an unexpected error in its kernel, with its reference
            log.warning("PDF child for %s %s %s: %s", kind, coop, exercice, err[-2000:])
        raise ReportError(refusal.get("message") or "refusé", problems_of(refusal))
    # anything else (database down, internal inconsistency, a crash…) may name hosts, paths
    # or SQL: the log keeps it, the page gets a plain sentence
    log.error("PDF child for %s %s %s failed (code %s): %s", kind, coop, exercice, done.returncode, err[-2000:])
    raise ReportError(f"la production du PDF a échoué (code {done.returncode}) : réessayez, puis prévenez "
                      "votre AD si cela persiste")


def _read_result(path: str) -> dict:
    """The child's JSON result; ``{}`` (a failure) when it wrote none or half of one."""
    try:
        with open(path, encoding="utf-8") as f:
            result = json.load(f)
    except (OSError, ValueError):
        return {}
    return result if isinstance(result, dict) else {}


def render_crf_pdf(books, coop: str, exercice: str) -> bytes:
    """The compte rendu financier of ``coop`` for ``exercice``, A4 portrait, as PDF bytes."""
    return render_in_child("crf", books, coop, exercice)


def render_cahier_pdf(books, coop: str, exercice: str) -> bytes:
    """The printable cahier de comptabilité, A4 landscape, as PDF bytes."""
    return render_in_child("cahier", books, coop, exercice)
