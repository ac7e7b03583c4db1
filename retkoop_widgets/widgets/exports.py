"""Exports: the compte rendu financier and the printable cahier as PDF, the cahier as CSV
(the documented format of ``io.cahier_csv``) and as an Excel workbook.

Why a "génération en cours…" state: a PDF is rendered by a child process (the CLI's
``retkoop report|cahier … -o -``: a report kernel, nbconvert, WeasyPrint; ~2–3 s) after a
permission check with the dashboard's own ``Books``; without a visible state and a
disabled button a teacher clicks again and again. Why a child process and not this
kernel: WeasyPrint and nbconvert would stay loaded in the dashboard's kernel (~198 MB
after one PDF, against a 150 MB budget); see ``reports.render_in_child``. The widget
updates are sent to the browser before the rendering starts (ipykernel flushes comm
messages as they are made). Downloads are data-URI links, the simplest thing that works
through Voilà.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import ipywidgets as W

from .common import Context, Section, attempt, button, download_link, esc, status_line


def _running_loop():
    """The kernel's event loop when a widget message is being handled (``None`` in tests that
    click buttons directly: they get the synchronous path)."""
    import asyncio
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Target(NamedTuple):
    """What a PDF is made of, fixed at the click: the books, the coop and the exercice."""
    books: object
    coop: str
    exercice: str


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _crf_pdf(ctx: "Context | Target") -> bytes:
    from ..reports import render_crf_pdf
    return render_crf_pdf(ctx.books, ctx.coop, ctx.exercice)


def _cahier_pdf(ctx: "Context | Target") -> bytes:
    from ..reports import render_cahier_pdf
    return render_cahier_pdf(ctx.books, ctx.coop, ctx.exercice)


def _cahier_csv(ctx: Context) -> bytes:
    from ..io.cahier_csv import export_cahier
    text = export_cahier(ctx.entries(), ctx.chart())
    return text.encode("utf-8") if isinstance(text, str) else text


def _cahier_xlsx(ctx: Context) -> bytes:
    from ..reports.xlsx import cahier_xlsx
    return cahier_xlsx(ctx.cahier(), ctx.chart(), title=f"Cahier {ctx.exercice}")


class Export:
    """One button, its "génération en cours…" state, its download link and its message."""

    def __init__(self, ctx: Context, label: str, cls: str, icon: str, stem: str, ext: str, mime: str,
                 make: Callable[[Context], bytes], slow: bool = False):
        self.ctx, self.stem, self.ext, self.mime, self.make, self.slow = ctx, stem, ext, mime, make, slow
        self._generation = 0  # bumped at every click and every change of the books
        self.label = label
        self.btn = button(label, "primary" if slow else "", cls, icon=icon, width="300px")
        self.btn.on_click(lambda _b: self.run())
        self.link = W.HTML()
        self.link.add_class(f"{cls}-link")
        self.status = status_line(f"{cls}-status")
        self.box = W.HBox([self.btn, W.VBox([self.link, self.status])],
                          layout=W.Layout(align_items="center", margin="3px 0"))
        self.box.add_class("rk-export")

    def filename(self, target: "Target | None" = None) -> str:
        """``CRF_AD76-0421_2025-2026.pdf``: coop and exercice in the name, so a folder of
        downloads (or an AD's mailbox) stays sorted."""
        t = target or Target(self.ctx.books, self.ctx.coop, self.ctx.exercice)
        return f"{self.stem}_{t.coop}_{t.exercice}.{self.ext}"

    def run(self) -> None:
        if self.btn.disabled:  # a second click while the first one renders
            return
        self.link.value = ""
        self.btn.disabled = True
        self._label = self.btn.description
        self.btn.description = "Génération en cours…"
        self.status.value = (f'<span class="rk-help rk-busy">⏳ {esc(self.label)} : génération en cours… '
                             f'{"(quelques secondes)" if self.slow else ""}</span>')
        self._generation += 1
        job = (self._generation, Target(self.ctx.books, self.ctx.coop, self.ctx.exercice))
        loop = _running_loop() if self.slow else None
        if loop is None:
            self._finish(job, *attempt(lambda: self.make(self.ctx), self.status))
            return
        # A PDF takes seconds: render it off the kernel's event loop so that the rest of the
        # page keeps answering (typing, other sections) meanwhile. It renders what was asked
        # at the click (coop, exercice), not whatever the page shows when the thread runs;
        # widgets are updated back on the loop when it is done.
        future = loop.run_in_executor(None, lambda: attempt(lambda: self.make(job[1]), self.status))
        future.add_done_callback(lambda f: self._done(job, f))

    def _done(self, job, future) -> None:
        try:
            self._finish(job, *future.result())
        except Exception:  # noqa: BLE001 - outside any widget message: report it ourselves
            from .boundary import report, unexpected_message
            from .common import ko_html
            self.status.value = ko_html(unexpected_message(report()))

    def _finish(self, job, ok: bool, data) -> None:
        generation, target = job
        try:
            stale = generation != self._generation or (target.coop, target.exercice) != (self.ctx.coop,
                                                                                          self.ctx.exercice)
            if stale:  # the books changed (or another exercice is shown) since the click: a file
                return  # made before would hold other figures; the teacher asks again
            if ok:
                name = self.filename(target)
                self.link.value = download_link(data, name, self.mime, f"Télécharger {name}")
                size = len(data) / 1024
                self.status.value = f'<span class="rk-help">prêt ({size:,.0f} Ko)</span>'.replace(",", " ")
        finally:
            self.btn.description = self._label
            self.btn.disabled = False

    def clear(self) -> None:
        """The books changed: a file made (or being made) before would hold stale figures."""
        self._generation += 1
        self.link.value = ""
        self.status.value = ""


class ExportsSection(Section):
    title = "Exports"

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.crf = Export(ctx, "Compte rendu financier (PDF)", "rk-ecrf", "file-pdf-o", "CRF", "pdf",
                          "application/pdf", _crf_pdf, slow=True)
        self.cahier_pdf = Export(ctx, "Version imprimable du cahier (PDF)", "rk-ecahierpdf", "print",
                                 "Cahier", "pdf", "application/pdf", _cahier_pdf, slow=True)
        self.csv = Export(ctx, "Cahier au format CSV", "rk-ecsv", "table", "Cahier", "csv",
                          "text/csv;charset=utf-8", _cahier_csv)
        self.xlsx = Export(ctx, "Cahier au format Excel (XLSX)", "rk-exlsx", "file-excel-o", "Cahier", "xlsx",
                           XLSX_MIME, _cahier_xlsx)
        self.exports = [self.crf, self.cahier_pdf, self.csv, self.xlsx]
        self.csv_btn = self.csv.btn  # kept for callers of the first version
        pdf = W.VBox([W.HTML('<div class="rk-title">Documents à imprimer</div><div class="rk-help">Le compte '
                             'rendu financier à signer et à remettre à l’AD, et le cahier de comptabilité '
                             'en A4 paysage. La génération prend quelques secondes.</div>'),
                      self.crf.box, self.cahier_pdf.box])
        pdf.add_class("rk-card")
        data = W.VBox([W.HTML('<div class="rk-title">Le cahier pour un tableur</div><div class="rk-help">CSV : '
                              'séparateur point-virgule, réimportable dans Retkoop. Excel : montants en '
                              'nombres et dates en dates, avec les totaux.</div>'),
                       self.csv.box, self.xlsx.box])
        data.add_class("rk-card")
        self.root = W.VBox([pdf, data])

    def refresh(self) -> None:
        for x in self.exports:  # a file made before a change would hold stale figures
            x.clear()
        self.stale = False
