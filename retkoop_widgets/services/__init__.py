"""The service layer: every use case of the books, one transaction each.

Widgets, the CLI, the hub and the notebooks call these and nothing below them.
"""
from .books import Books  # noqa: F401
