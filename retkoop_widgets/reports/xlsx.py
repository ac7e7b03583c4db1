"""The cahier as an Excel workbook: amounts are numbers (€ format), dates are dates.

Why not just the CSV: ADs and treasurers open the cahier in a spreadsheet to sum and
filter; a CSV's ``1234,56`` and ``12/09/2025`` become text or US dates depending on the
locale. Cells typed here need no import wizard.
"""
from __future__ import annotations

import io
from decimal import Decimal
from typing import Sequence

from ..domain.chart import Chart
from ..domain.ledger import CahierLine

EUR_FORMAT = '#,##0.00\\ "€";[Red]\\-#,##0.00\\ "€"'
DATE_FORMAT = "DD/MM/YYYY"


def _eur(cents: int) -> Decimal | None:
    return Decimal(cents).scaleb(-2) if cents else None


def cahier_xlsx(lines: Sequence[CahierLine], chart: Chart, *, title: str = "Cahier") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from ..io.spreadsheet import keep_as_text

    accounts = sorted({p.account for ln in lines for p in ln.entry.ventilation}, key=lambda c: (c[0], c))
    fixed = ["Date", "Pièce", "Libellé", "Tiers", "Mode", "N° chèque", "Banque recette", "Banque dépense",
             "Solde banque", "Pointé", "Date du relevé", "Caisse recette", "Caisse dépense", "Solde caisse"]
    acc_heads = []
    for code in accounts:
        acc = chart.get(code)
        acc_heads.append(f"{code} {acc.libelle}" if acc else code)
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(fixed + acc_heads)
    head_fill = PatternFill("solid", fgColor="DDE5EE")
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = head_fill
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")
    money_cols = {7, 8, 9, 12, 13, 14} | set(range(len(fixed) + 1, len(fixed) + len(accounts) + 1))
    for ln in lines:
        e = ln.entry
        per_acc = {}
        for code, cents, _ in e.ventilation_for_display():
            per_acc[code] = per_acc.get(code, 0) + cents
        ws.append([e.date, e.piece, e.libelle, e.tiers, e.mode, e.cheque, _eur(e.bank_in), _eur(e.bank_out),
                   Decimal(ln.bank_balance).scaleb(-2), "oui" if e.pointed else ("non" if e.bank else ""),
                   e.statement_date, _eur(e.cash_in), _eur(e.cash_out), Decimal(ln.cash_balance).scaleb(-2)]
                  + [_eur(per_acc.get(code, 0)) for code in accounts])
        keep_as_text(ws[ws.max_row][1:6])  # pièce, libellé, tiers, mode, chèque: typed text, never formulas
    for row in ws.iter_rows(min_row=2):
        row[0].number_format = DATE_FORMAT
        row[10].number_format = DATE_FORMAT
        for c in row:
            if c.column in money_cols:
                c.number_format = EUR_FORMAT
    widths = [11, 7, 40, 22, 11, 11] + [13] * 8 + [14] * len(accounts)
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "C2"
    n = len(lines) + 1
    if lines:  # totals row: formulas, so a user's edits stay summed
        total_row = ["Totaux", None, None, None, None, None]
        ws.append(total_row)
        r = ws.max_row
        for col in money_cols - {9, 14}:
            letter = get_column_letter(col)
            cell = ws.cell(row=r, column=col, value=f"=SUM({letter}2:{letter}{n})")
            cell.number_format = EUR_FORMAT
            cell.font = Font(bold=True)
        ws.cell(row=r, column=1).font = Font(bold=True)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
