"""The unit of work: one transaction around each service call.

``with UnitOfWork(engine) as uow:`` opens a session; ``uow.commit()`` makes the work
durable; leaving the block without committing (or on any exception) rolls everything
back, so a refused entry or a failed import leaves nothing behind.
"""
from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from .repository import Repository


class UnitOfWork:
    def __init__(self, engine: Engine, *, read_only: bool = False):
        self.engine = engine.execution_options(retkoop_read=True) if read_only else engine
        self.read_only = read_only

    def __enter__(self) -> "UnitOfWork":
        self.session = Session(self.engine, expire_on_commit=False, autoflush=True)
        self.repo = Repository(self.session)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("read-only unit of work")
        self.session.commit()
