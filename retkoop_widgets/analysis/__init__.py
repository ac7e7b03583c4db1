"""AD-wide analysis for departmental analysts: pandas DataFrames from a few set-based
queries over a read-only connection (``overview.analyse_ad``), matplotlib charts
(``charts``), XLSX export (``export``), and the notebook helpers (``notebook``)."""
from .overview import AdAnalysis, analyse_ad, crf_due

__all__ = ["AdAnalysis", "analyse_ad", "crf_due"]
