"""XLSX export of an AD analysis (openpyxl): one sheet per table, amounts as numbers in
euros with a euro format, so the AD can sort and sum in its spreadsheet.

Cents become ``Decimal`` euros (exact), never floats computed by us.
"""
from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..io.spreadsheet import keep_as_text

from .overview import STATE_LABELS, AdAnalysis

EUR = '#,##0.00 "€"'
DATE = "DD/MM/YYYY"


def _eur(cents) -> Decimal:
    return Decimal(int(cents)) / 100


def _sheet(wb: Workbook, title: str, headers: list[str], rows, money: set[int] = frozenset(),
           dates: set[int] = frozenset()) -> None:
    ws = wb.create_sheet(title)
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([_eur(v) if i in money and v is not None else v for i, v in enumerate(row)])
        keep_as_text(ws[ws.max_row])  # coop names, details: text, never formulas
    for i, h in enumerate(headers):
        col = get_column_letter(i + 1)
        ws.column_dimensions[col].width = max(12, min(60, len(h) + 4))
        if i in money or i in dates:
            for cell in ws[col][1:]:
                cell.number_format = EUR if i in money else DATE
    ws.freeze_panes = "A2"


def _date(v):
    import pandas as pd
    return None if v is None or pd.isna(v) else v


def to_workbook(a: AdAnalysis) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    c = a.coops
    _sheet(wb, "Coopératives",
           ["Code", "Coopérative", "État", "Banque", "Caisse", "Produits", "Charges", "Résultat", "CRF soumis le",
            "Dernier pointage", "Dernier arrêté de caisse", "Écritures", "Anomalies"],
           ([r.code, r.nom, STATE_LABELS.get(r.etat, r.etat), r.banque, r.caisse, r.produits, r.charges, r.resultat,
             _date(r.soumis_le), _date(r.dernier_pointage), _date(r.dernier_arrete), r.ecritures, r.anomalies]
            for r in c.itertuples()), money={3, 4, 5, 6, 7}, dates={8, 9, 10})
    _sheet(wb, "Anomalies", ["Code", "Coopérative", "Anomalie", "Détail", "Date"],
           ([r.code, r.nom, r.anomalie, r.detail, _date(r.date)] for r in a.anomalies.itertuples()), dates={4})
    _sheet(wb, "Rubriques", ["Classe", "Rubrique", "Total AD", "Moyenne par coopérative", "Coopératives"],
           ([r.classe, r.rubrique, r.total, r.moyenne_par_coop, r.cooperatives] for r in a.rubriques.itertuples()),
           money={2, 3})
    _sheet(wb, "Flux mensuels", ["Mois", "Produits", "Charges", "Entrées banque", "Sorties banque",
                                 "Entrées caisse", "Sorties caisse"],
           ([r.libelle, r.produits, r.charges, r.entrees_banque, r.sorties_banque, r.entrees_caisse,
             r.sorties_caisse] for r in a.flux.itertuples()), money={1, 2, 3, 4, 5, 6})
    d = a.distributions
    _sheet(wb, "Distributions", ["Indicateur", "Minimum", "1er quartile", "Médiane", "3e quartile", "Maximum",
                                 "Moyenne"],
           ([idx, r["min"], r["q1"], r["mediane"], r["q3"], r["max"], r["moyenne"]] for idx, r in d.iterrows()),
           money={1, 2, 3, 4, 5, 6})
    info = wb.create_sheet("À propos", 0)
    for row in (["AD", f"{a.ad} {a.ad_name}".strip()], ["Exercice", a.exercice],
                ["Date de l'analyse", a.today.strftime("%d/%m/%Y")],
                ["Coopératives", len(c)], ["Anomalies", len(a.anomalies)],
                ["Note", "Les bacs à sable de formation ne sont pas comptés."]):
        info.append(row)
    info.column_dimensions["A"].width = 20
    info.column_dimensions["B"].width = 50
    return wb


def export_xlsx(a: AdAnalysis, path: str | Path | None = None) -> bytes:
    """The workbook's bytes; also written to ``path`` when given."""
    buf = BytesIO()
    to_workbook(a).save(buf)
    data = buf.getvalue()
    if path:
        Path(path).write_bytes(data)
    return data
