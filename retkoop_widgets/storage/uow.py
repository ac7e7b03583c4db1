"""The unit of work: one transaction around each service call.

``with UnitOfWork(engine) as uow:`` opens a session; ``uow.commit()`` makes the work
durable; leaving the block without committing (or on any exception) rolls everything
back, so a refused entry or a failed import leaves nothing behind.

The services never build one themselves: ``services.bootstrap`` hands them a factory
(``sql_unit_of_work(engine)``), and the service tests hand them the in-memory fake of
``tests/fakes.py`` instead. A unique constraint refused at commit comes out as
``DuplicateKey`` (a storage word, not SQLAlchemy's), for the service to explain in French.
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ..domain.errors import Conflict
from .repository import Repository


class DuplicateKey(Exception):
    """The database refused a duplicate at commit (a unique constraint): the service's
    locks should make it unreachable, the service turns it into a French ``Conflict``."""


class DatabaseBusy(Conflict):
    """SQLite's write lock stayed taken by another transaction (a large import) for the
    whole busy timeout (``db.SQLITE_BUSY_TIMEOUT_S``): nothing of this unit was written.
    A refusal in French wherever it is raised (the guard, the accounts, the hub's login):
    never SQLite's English « database is locked », never « erreur inattendue »."""

    def __init__(self, detail: str = ""):
        from .db import SQLITE_BUSY_TIMEOUT_S
        self.detail = detail  # SQLite's own words, for the log
        super().__init__("la base de données est occupée par une autre opération (un gros import ?) depuis "
                         f"plus de {SQLITE_BUSY_TIMEOUT_S} secondes : rien n'a été enregistré, réessayez "
                         "dans un instant")


def is_busy(exc: BaseException) -> bool:
    """SQLite's « database is locked / busy » (the busy timeout ran out)."""
    if not isinstance(exc, OperationalError):
        return False
    text = str(getattr(exc, "orig", None) or exc)
    return "database is locked" in text or "database is busy" in text


class UnitOfWork:
    def __init__(self, engine: Engine, *, read_only: bool = False):
        self.engine = engine.execution_options(retkoop_read=True) if read_only else engine
        self.read_only = read_only

    def __enter__(self) -> "UnitOfWork":
        self.session = Session(self.engine, expire_on_commit=False, autoflush=True)
        self.repo = Repository(self.session)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()
        if exc is not None and is_busy(exc):
            raise DatabaseBusy(str(exc)) from exc

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("read-only unit of work")
        try:
            self.session.commit()
        except IntegrityError as exc:
            raise DuplicateKey(str(exc.orig)) from exc
        except OperationalError as exc:
            if is_busy(exc):
                raise DatabaseBusy(str(exc)) from exc
            raise


def sql_unit_of_work(engine: Engine) -> Callable[..., UnitOfWork]:
    """The factory the services receive: ``factory(read_only=…)`` → a unit of work."""
    def factory(*, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(engine, read_only=read_only)
    factory.engine = engine
    return factory
