"""The composition root: what the use cases are wired to (cosmicpython's ``bootstrap``).

``bootstrap(url, actor)`` gives the ``Books`` every caller uses, on the SQL unit of work
of that database (``storage.uow.sql_unit_of_work``); ``bootstrap(actor=…,
uow_factory=…)`` wires the same use cases to another unit of work — the in-memory fake
of ``tests/fakes.py``, so the service tests run in milliseconds. The clocks are injected
here too (``today``, ``now``): tests and the demo data pin them.

A unit-of-work factory is ``factory(read_only: bool) -> uow`` where ``uow`` is a context
manager with ``.repo`` (the repository methods of ``storage.repository.Repository``) and
``.commit()``; leaving it without committing rolls back.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Callable

from ..domain.actor import Actor
from .books import Books


def bootstrap(url=None, actor: Actor | str | None = None, *, uow_factory: Callable | None = None,
              today: Callable[[], date] = date.today, now: Callable[[], datetime] = datetime.now,
              read_only: bool = False) -> Books:
    """``Books`` for ``actor`` on ``url`` (URL, engine, None: ``RETKOOP_DB_URL``), or on
    ``uow_factory`` when given (then ``url`` is ignored)."""
    return Books(url, actor, today=today, now=now, read_only=read_only, uow_factory=uow_factory)
