"""Retkoop: bookkeeping for French school cooperatives (OCCE).

A regular package (not a namespace one): one ``retkoop_widgets`` on the path, whatever
else is installed, so ``importlib.resources`` and the layer contracts see exactly this tree.
Start with ``docs/architecture.md``.
"""
