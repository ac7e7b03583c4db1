"""The AD dashboard: an AD's coops at a glance, accounts, and unlocking a CRF.

``queries`` computes the overview through ``Books`` (so permissions hold: an AD sees only
its own coops); ``widgets`` is the Voilà page shown to ``admin-ad`` users (``notebooks/ad.ipynb``).
"""
