"""The service layer: every use case of the books, one transaction each.

Widgets, the CLI, the hub and the notebooks call these and nothing below them. ``Books``
(``books.py``) is the facade; the use cases live in one module per area (``exercices``,
``entries``, ``pointage``, ``cash``, ``subsidies``, ``attachments``, ``crf``,
``administration``, ``inventory``, ``submission``), all inside the one guard of
``guard.py``; ``bootstrap.py`` wires them to a unit of work.
"""
from .books import Books  # noqa: F401
from .bootstrap import bootstrap  # noqa: F401
