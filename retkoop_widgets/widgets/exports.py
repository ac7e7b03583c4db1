"""Exports: the cahier as CSV (the documented format of ``io.cahier_csv``) and, when the
reports package is present, the CRF and cahier as PDF. Downloads are data-URI links,
the simplest thing that works through Voilà."""
from __future__ import annotations

import importlib

import ipywidgets as W

from .common import Context, Section, attempt, button, download_link, info_html


def _optional(module: str, name: str):
    """A function from a part of the product that may not be installed yet."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


class ExportsSection(Section):
    title = "Exports"

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.status = W.HTML()
        self.status.add_class("rk-estatus")
        self.links = W.HTML()
        self.links.add_class("rk-elinks")
        self.csv_btn = button("Préparer le cahier (CSV)", "primary", "rk-ecsv", icon="table")
        self.csv_btn.on_click(lambda _b: self.make_csv())
        kids = [self.csv_btn]
        # PDF buttons: only when retkoop_widgets.reports is there (reports issue).
        self.crf_btn = self.cahier_pdf_btn = None
        if _optional("retkoop_widgets.reports", "render_crf_pdf"):
            self.crf_btn = button("Compte rendu financier (PDF)", cls="rk-ecrf", icon="file-pdf-o")
            self.crf_btn.on_click(lambda _b: self.make_pdf("render_crf_pdf", "compte-rendu"))
            kids.append(self.crf_btn)
        if _optional("retkoop_widgets.reports", "render_cahier_pdf"):
            self.cahier_pdf_btn = button("Cahier (PDF)", cls="rk-ecahierpdf", icon="file-pdf-o")
            self.cahier_pdf_btn.on_click(lambda _b: self.make_pdf("render_cahier_pdf", "cahier"))
            kids.append(self.cahier_pdf_btn)
        note = "" if self.crf_btn else info_html("Les exports PDF (compte rendu financier, cahier) arrivent avec "
                                                  "le module des rapports.")
        box = W.VBox([W.HTML('<div class="rk-title">Exports</div><div class="rk-help">Le cahier au format CSV '
                             '(séparateur point-virgule, lisible par un tableur et réimportable).</div>'),
                      W.HBox(kids), self.links, self.status, W.HTML(note)])
        box.add_class("rk-card")
        self.root = box

    def _name(self, stem: str, ext: str) -> str:
        return f"{stem}-{self.ctx.coop}-{self.ctx.exercice}.{ext}"

    def make_csv(self) -> None:
        export = _optional("retkoop_widgets.io.cahier_csv", "export_cahier")
        if export is None:
            self.status.value = info_html("L'export CSV n'est pas encore disponible dans cette version.")
            return
        ok, text = attempt(lambda: export(self.ctx.entries(), self.ctx.chart()), self.status)
        if ok:
            data = text.encode("utf-8") if isinstance(text, str) else text
            self.links.value = download_link(data, self._name("cahier", "csv"), "text/csv;charset=utf-8",
                                             f"Télécharger {self._name('cahier', 'csv')}")
            self.status.value = ""

    def make_pdf(self, fn_name: str, stem: str) -> None:
        fn = _optional("retkoop_widgets.reports", fn_name)
        if fn is None:
            return
        ok, pdf = attempt(lambda: fn(self.ctx.books, self.ctx.coop, self.ctx.exercice), self.status)
        if ok:
            self.links.value = download_link(pdf, self._name(stem, "pdf"), "application/pdf",
                                             f"Télécharger {self._name(stem, 'pdf')}")
            self.status.value = ""

    def refresh(self) -> None:
        self.links.value = ""  # a link made before a change would export stale data
        self.stale = False
