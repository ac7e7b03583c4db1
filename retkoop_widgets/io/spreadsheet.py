"""Spreadsheet safety for the XLSX exports (openpyxl).

openpyxl stores any ``str`` value starting with ``=`` as a FORMULA. A libellé typed
``=HYPERLINK("http://…";"Facture")`` in the dashboard would then run in the spreadsheet of
whoever opens the export (the AD's staff). In an XLSX file, only a cell stored as a formula
runs — text cells starting with ``+``, ``-`` or ``@`` stay text — so marking those cells
as text is the whole fix, and the text shows exactly as typed (no apostrophe, unlike the
CSV export, see ``cahier_csv.guard``).
"""
from __future__ import annotations

from typing import Iterable


def keep_as_text(cells: Iterable) -> None:
    """Cells holding user text that openpyxl took for a formula become text cells again."""
    for cell in cells:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"
