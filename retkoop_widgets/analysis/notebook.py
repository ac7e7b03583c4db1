"""What ``notebooks/analyse_departementale.ipynb`` calls: a few lines per section.

The notebook reads ``RETKOOP_DB_URL`` through a read-only engine: an analyst's notebook
can never change the books. Under the hub it analyses the analyst's own AD only (a national
analyst: any), and an analyst without an AD is refused (``identity.require_analysis_of``).
"""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown, display

from .overview import (AdAnalysis, analyse_ad, display_anomalies, display_coops, display_distributions,
                       display_flows, display_rubrics)


def load(ad: str = "AD76", exercice: str = "2025-2026", aujourdhui: str | date | None = None,
         url: str | None = None) -> AdAnalysis:
    """Run the analysis; ``aujourdhui`` (jj/mm/aaaa or ISO) fixes the reference date."""
    from ..identity import require_analysis_of
    require_analysis_of(ad)
    today = None
    if isinstance(aujourdhui, date):
        today = aujourdhui
    elif aujourdhui:
        from datetime import datetime
        fmt = "%d/%m/%Y" if "/" in aujourdhui else "%Y-%m-%d"
        today = datetime.strptime(aujourdhui.strip(), fmt).date()
    a = analyse_ad(url, ad, exercice, today)
    display(Markdown(f"## {a.title}\n\n{len(a.coops)} coopérative(s) (bacs à sable de formation exclus), "
                     f"{len(a.anomalies)} anomalie(s) au {a.today:%d/%m/%Y}."))
    return a


def _show(df: pd.DataFrame, empty: str) -> None:
    if df.empty:
        display(Markdown(f"*{empty}*"))
    else:
        display(HTML(df.to_html(index=False, escape=True)))


def show_coops(a: AdAnalysis) -> None:
    _show(display_coops(a), "aucune coopérative dans cette AD")


def show_anomalies(a: AdAnalysis) -> None:
    _show(display_anomalies(a), "aucune anomalie détectée")


def show_rubrics(a: AdAnalysis) -> None:
    _show(display_rubrics(a), "aucune écriture")


def show_flows(a: AdAnalysis) -> None:
    _show(display_flows(a), "aucune écriture")


def show_distributions(a: AdAnalysis) -> None:
    d = display_distributions(a)
    display(HTML(d.to_html()))


def show_charts(a: AdAnalysis) -> None:
    import matplotlib.pyplot as plt
    from .charts import all_charts
    if a.coops.empty:
        display(Markdown("*pas de graphique : aucune coopérative*"))
        return
    for fig in all_charts(a):
        display(fig)
        plt.close(fig)


def export_folder() -> Path:
    """Where the XLSX goes by default: ``exports/`` beside the notebook, i.e. in the kernel's
    working directory, which is what the analyst's JupyterLab file browser shows (and lets
    them download). Run from inside the package itself (nbval, a checkout), the user's data
    folder instead: never write into the installed package."""
    from ..settings import PACKAGE, settings
    here = Path.cwd().resolve()
    if here == PACKAGE or PACKAGE in here.parents:
        return settings().data_dir / "exports"
    return here / "exports"


def export(a: AdAnalysis, path: str | None = None) -> str:
    from .export import export_xlsx
    if not path:
        folder = export_folder()
        folder.mkdir(parents=True, exist_ok=True)
        path = str(folder / f"analyse_{a.ad}_{a.exercice}.xlsx")
    export_xlsx(a, path)
    shown = os.path.relpath(path) if not os.path.relpath(path).startswith("..") else path
    display(Markdown(f"Classeur enregistré : `{shown}` (feuilles Coopératives, Anomalies, Rubriques, "
                     "Flux mensuels, Distributions) ; dans le navigateur de fichiers, clic droit → "
                     "Télécharger."))
    return path
