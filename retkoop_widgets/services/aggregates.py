"""Totals across many cooperatives in one SQL query (an AD's overview, the analysis
notebooks): the query itself is storage's (``storage.aggregates``); this is the name
services and notebooks have always imported it by."""
from ..storage.aggregates import CoopAccountTotal, as_crf_amount, totals_by_coop, totals_query  # noqa: F401
