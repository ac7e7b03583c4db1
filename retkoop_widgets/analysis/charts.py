"""Matplotlib charts of an ``AdAnalysis``, titled and labelled in French.

Amounts are converted from cents to euros here, for drawing only (a chart axis is a
picture, not a ledger): no figure drawn here is ever written back or summed again.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

from .overview import AdAnalysis


MONTH_ABBR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")


def _eur(x, _pos=None) -> str:
    return f"{x:,.0f} €".replace(",", "\u202f")


def _euros(series):
    return series.astype("int64") / 100  # display only


def results_chart(a: AdAnalysis, top: int = 15):
    """The coops' results, lowest first (deficits stand out in red)."""
    c = a.coops[a.coops["etat"] != "absent"].sort_values("resultat").head(top)
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.35 * len(c) + 1)))
    values = _euros(c["resultat"])
    ax.barh(c["nom"], values, color=["#b91c1c" if v < 0 else "#2563eb" for v in values])
    ax.xaxis.set_major_formatter(FuncFormatter(_eur))
    ax.set_title(f"Résultat par coopérative — {a.ad} {a.exercice}")
    ax.set_xlabel("résultat (produits − charges)")
    fig.tight_layout()
    return fig


def distribution_chart(a: AdAnalysis):
    """Histograms of closing bank balance and result over the AD's coops."""
    c = a.coops[a.coops["etat"] != "absent"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for ax, col, title in ((axes[0], "banque", "Solde bancaire au 31/08"), (axes[1], "resultat", "Résultat")):
        ax.hist(_euros(c[col]), bins=min(20, max(3, len(c))), color="#2563eb", edgecolor="white")
        ax.xaxis.set_major_formatter(FuncFormatter(_eur))
        ax.set_title(title)
        ax.set_ylabel("coopératives")
    fig.suptitle(f"Distributions — {a.ad} {a.exercice}")
    fig.tight_layout()
    return fig


def flows_chart(a: AdAnalysis):
    """Month-by-month produits and charges over the AD."""
    f = a.flux
    fig, ax = plt.subplots(figsize=(10, 3.5))
    x = range(len(f))
    ax.bar([i - 0.2 for i in x], _euros(f["produits"]), width=0.4, label="produits", color="#16a34a")
    ax.bar([i + 0.2 for i in x], _euros(f["charges"]), width=0.4, label="charges", color="#dc2626")
    ax.set_xticks(list(x), [MONTH_ABBR[int(m[5:]) - 1] for m in f["mois"]] if len(f) else [])
    ax.yaxis.set_major_formatter(FuncFormatter(_eur))
    ax.set_title(f"Flux mensuels — {a.ad} {a.exercice}")
    ax.legend()
    fig.tight_layout()
    return fig


def rubrics_chart(a: AdAnalysis):
    r = a.rubriques
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.35 * len(r) + 1)))
    labels = [f"{row.rubrique} ({row.classe})" for row in r.itertuples()]
    ax.barh(labels, _euros(r["total"]), color=["#dc2626" if k == "charges" else "#16a34a" for k in r["classe"]])
    ax.xaxis.set_major_formatter(FuncFormatter(_eur))
    ax.set_title(f"Totaux par rubrique — {a.ad} {a.exercice}")
    fig.tight_layout()
    return fig


def all_charts(a: AdAnalysis) -> list:
    return [results_chart(a), distribution_chart(a), flows_chart(a), rubrics_chart(a)]
