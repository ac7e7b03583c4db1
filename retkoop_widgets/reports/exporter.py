"""``RetkoopPdfExporter``: notebook → HTML (our template, no code) → PDF with WeasyPrint.

Why this route (measured in docs/reports.md): no browser and no TeX to install or
start, ~1 s of layout for a CRF, A4 pages with CSS ``@page`` margin boxes for
« Page x / y » footers and running heads, and nothing downloaded at run time (fonts
are the system's DejaVu; images are inline data URIs; ``url_fetcher`` refuses the
network). Registered under the ``nbconvert.exporters`` entry point as ``retkoop_pdf``::

    jupyter nbconvert --to retkoop_pdf notebooks/rapport_financier.ipynb
"""
from __future__ import annotations

from pathlib import Path

from nbconvert.exporters import HTMLExporter
from traitlets import default

TEMPLATES = Path(__file__).parent / "templates"


def html_to_pdf(html: str) -> bytes:
    """Lay out the print HTML; only inline ``data:`` and local files may be fetched
    (a report never reaches the network, even if a libellé contains a URL)."""
    import weasyprint
    from weasyprint.urls import URLFetcher
    fetcher = URLFetcher(allowed_protocols={"data", "file"}, timeout=5)
    return weasyprint.HTML(string=html, base_url=str(TEMPLATES), url_fetcher=fetcher).write_pdf()


class RetkoopHtmlExporter(HTMLExporter):
    """The print HTML alone (useful to debug the layout in a browser)."""

    export_from_notebook = "Retkoop HTML (impression)"

    @default("template_name")
    def _template_name_default(self):
        return "retkoop_pdf"

    @default("template_file")
    def _template_file_default(self):
        return "index.html.j2"

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self):
        return [str(TEMPLATES)]

    @default("exclude_input")
    def _exclude_input_default(self):
        return True

    @default("exclude_input_prompt")
    def _exclude_input_prompt_default(self):
        return True

    @default("exclude_output_prompt")
    def _exclude_output_prompt_default(self):
        return True


class RetkoopPdfExporter(RetkoopHtmlExporter):
    """Retkoop PDF (WeasyPrint): the exporter the CLI, the batch and the dashboard use."""

    export_from_notebook = "Retkoop PDF"
    output_mimetype = "application/pdf"

    @default("file_extension")
    def _file_extension_default(self):
        return ".pdf"

    def from_notebook_node(self, nb, resources=None, **kw):
        html, resources = super().from_notebook_node(nb, resources=resources, **kw)
        pdf = html_to_pdf(html)
        resources["output_extension"] = ".pdf"
        return pdf, resources
