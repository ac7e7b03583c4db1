"""Printed reports: the compte rendu financier (CRF) and the cahier, as PDF.

The notebooks ``notebooks/rapport_financier.ipynb`` and ``notebooks/cahier.ipynb`` are
the templates: they are executed with their parameters (``runner``), then exported
without code by ``exporter.RetkoopPdfExporter`` (nbconvert HTML + WeasyPrint).

``render_crf_pdf`` / ``render_cahier_pdf`` are what the dashboard's buttons call: they
check in-process, with the caller's ``Books`` (and so its permissions), that the coop
and exercice exist and may be read — while the kernel boots — then render in that
kernel, which reads the same database.
"""
from __future__ import annotations

# The runner (nbformat, nbclient, WeasyPrint) is imported only when a PDF is rendered: the
# notebooks' kernels import ``reports.views`` through this package and must start fast.

__all__ = ["render_crf_pdf", "render_cahier_pdf", "render_pdf", "ReportError", "ReportKernel"]


def _check(kind: str, books, coop: str, exercice: str) -> None:
    """Refusals in French (NotFound, Forbidden) with the caller's permissions; for the CRF,
    an inconsistent ledger fails here (InvariantBreach), not inside a kernel."""
    books.exercice(coop, exercice)
    if kind == "crf":
        books.crf(coop, exercice)


def __getattr__(name: str):
    if name in ("ReportError", "ReportKernel"):
        from . import runner
        return getattr(runner, name)
    raise AttributeError(name)


def render_pdf(kind: str, books, coop: str, exercice: str, kernel=None) -> bytes:
    from .runner import ReportKernel, pdf_exporter, plain_url, to_pdf
    if kernel is not None:
        _check(kind, books, coop, exercice)
        return to_pdf(kernel.execute(kind, coop=coop, exercice=exercice))
    with ReportKernel(plain_url(books.engine)) as k:  # the kernel boots in its own process while this
        _check(kind, books, coop, exercice)         # one checks (a refusal stops the kernel), imports
        pdf_exporter()                              # WeasyPrint and compiles the template
        return to_pdf(k.execute(kind, coop=coop, exercice=exercice))


def render_crf_pdf(books, coop: str, exercice: str) -> bytes:
    """The compte rendu financier of ``coop`` for ``exercice``, A4 portrait, as PDF bytes."""
    return render_pdf("crf", books, coop, exercice)


def render_cahier_pdf(books, coop: str, exercice: str) -> bytes:
    """The printable cahier de comptabilité, A4 landscape, as PDF bytes."""
    return render_pdf("cahier", books, coop, exercice)
