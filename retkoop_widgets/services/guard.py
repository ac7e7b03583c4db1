"""The one guard around every use case: ``reading`` and ``writing``.

``with writing(books, coop, exercice) as w:`` is the shape of every write:

1. one unit of work (``books.uow(True)``, from the factory ``bootstrap`` injected): a
   read-only connection is refused here (``Forbidden``) before anything is read;
2. **permission**: the coop must exist and the acting user may write it
   (``Actor.require``, the one place permissions are decided);
3. **lock**: the exercice row is locked (PostgreSQL ``SELECT … FOR UPDATE``; SQLite is
   serialised by ``BEGIN IMMEDIATE``), so pièce numbers are allocated by one writer at a
   time;
4. **writable state**: a submitted or closed exercice refuses (``LockedExercice``);
5. **version**: ``w.check_version`` refuses a stale edit (``Conflict``) — the record's
   version is read under the lock;
6. **audit**: ``w.audit(…)`` writes who/when/before/after/why in the same transaction;
   the *why* is the use case's own ``reason`` and the one the person gave for the whole
   call (``books.because("…")``). AD staff and formateurs must give one for every change
   of a coop's books: ``Actor.require_reason`` decides, here, for every use case (a
   refusal rolls the whole block back);
7. the block's normal end commits (a duplicate refused at commit becomes a French
   ``Conflict`` naming ``w.piece``); any exception rolls everything back.

A use case that reaches its exercice through a record (an entry, a subsidy, a good)
opens ``writing(books)`` and calls ``w.require_coop`` / ``w.lock`` itself, in that order.
``reading`` is the same without lock, state, version or audit (and never commits).

An exercice name given by a caller goes through ``exercice_name`` (the domain's
``normalise_exercice_name``) here, in ``Scope.lock``, before any lookup: ``2025/2026``,
`` 2025 - 2026 `` or ``25-26`` reach the exercice ``2025-2026``, what is not a school year
gets the domain's French refusal on every store. Inside the block, use
``w.exercice.name``, never the name the caller typed.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from ..domain.errors import Conflict, NotFound, ValidationError
from ..domain.exercice import Exercice, normalise_exercice_name
from ..domain.text import describe as describe_char
from ..domain.text import forbidden_characters, printable, text_problems
from ..storage.records import Coop
from ..storage.uow import DuplicateKey

#: A reason is read in the history and the teacher's notice: a sentence or two.
MAX_REASON = 1000

if TYPE_CHECKING:  # pragma: no cover
    from .books import Books


def exercice_name(name: str) -> str:
    """The one name of the exercice a caller typed (``2025/2026`` → ``2025-2026``); refuses
    in French what is not a school year. Every ``Books`` entry point that takes an exercice
    name calls it (through ``Scope.lock``, or itself when it reads no exercice row)."""
    return normalise_exercice_name(name)


class Scope:
    """What a use case holds inside the guard: the repository, the coop and exercice
    checked for it, and (writing) the audit and version checks."""

    def __init__(self, books: "Books", uow, write: bool):
        self.books, self.uow, self.repo, self.write = books, uow, uow.repo, write
        self.coop: Coop | None = None
        self.exercice: Exercice | None = None
        self.piece = ""  # named by the refusal if a duplicate pièce slips through to the commit

    # -- permission ------------------------------------------------------------------
    def require_coop(self, code: str) -> Coop:
        """The coop, if it exists and the acting user may read (write) it. A code no coop
        can have (too long, a NUL byte…) is unknown without a lookup: PostgreSQL would
        refuse the query in English."""
        c = None if text_problems(code, "coop_code") else self.repo.coop(code)
        if c is None:
            raise NotFound(f"coopérative « {printable(code[:40])} » inconnue")
        self.books.actor.require(self.write, c.code, c.ad_code, c.training)
        self.coop = c
        return c

    # -- lock and state --------------------------------------------------------------
    def lock(self, coop: str, name: str, *, writable: bool = True) -> Exercice:
        """The coop (permission) then its exercice ``name``: locked when writing, and
        required writable unless ``writable=False`` (reopen, close: the state machine
        decides those)."""
        self.require_coop(coop)
        name = exercice_name(name)
        ex = self.repo.exercice(coop, name, lock=self.write)
        if ex is None:
            raise NotFound(f"l'exercice {name} de la coopérative {coop} n'est pas ouvert "
                           f"(retkoop exercice open {coop} {name})")
        if self.write and writable:
            ex.require_writable()
        self.exercice = ex
        return ex

    def lock_by_id(self, exercice_id: int, *, writable: bool = True) -> Exercice:
        """``lock`` for the exercice a record belongs to."""
        found = self.repo.exercice_by_id(exercice_id)
        return self.lock(found.coop, found.name, writable=writable)

    # -- version and audit -----------------------------------------------------------
    @staticmethod
    def check_version(actual: int, expected: int | None, message: str) -> None:
        """Optimistic locking: ``expected`` is the version the user saw (None: no check)."""
        if expected is not None and actual != expected:
            raise Conflict(message)

    def audit(self, action: str, object_type: str, object_id, *, coop: str | None = None,
              exercice: str | None = None, before=None, after=None, reason: str = "", at=None,
              generated: bool = False) -> None:
        """One audit record in this transaction; coop and exercice default to the guarded
        ones, ``at`` to ``books.now()``. The reason stored is the person's
        (``books.because``) and the use case's own, both when they differ; a change of a
        guarded coop's books by someone who owes a reason is refused without one. A reason
        the use case writes itself (``generated``: « pointage après la fin de l'exercice… »)
        says what happened, not why: it never stands for the person's."""
        given = (getattr(self.books, "reason", "") or "").strip()
        own = (reason or "").strip()
        for text in (given, own):
            bad = forbidden_characters(text)
            if bad or len(text) > MAX_REASON:
                raise ValidationError(
                    f"le motif contient un caractère interdit : {describe_char(bad[0])}" if bad else
                    f"le motif est trop long : {len(text)} caractères (au plus {MAX_REASON})", "motif")
        if self.coop is not None:
            self.books.actor.require_reason(given or ("" if generated else own), self.coop.code, action)
        reason = "; ".join(dict.fromkeys(r for r in (given, own) if r))
        coop = coop if coop is not None else (self.coop.code if self.coop else None)
        exercice = exercice if exercice is not None else (self.exercice.name if self.exercice else None)
        self.repo.audit(actor=self.books.actor.login, action=action, object_type=object_type,
                        object_id=object_id, now=at or self.books.now(), coop=coop, exercice=exercice,
                        before=before, after=after, reason=reason)

    def commit(self) -> None:
        try:
            self.uow.commit()
        except DuplicateKey as exc:  # belt and braces: the lock should make this unreachable
            raise Conflict(f"la pièce {self.piece} vient d'être utilisée par une autre session : "
                           "enregistrez à nouveau pour obtenir un nouveau numéro") from exc


@contextmanager
def writing(books: "Books", coop: str | None = None, exercice: str | None = None, *,
            writable: bool = True) -> Iterator[Scope]:
    """One write use case: see the module docstring. With ``coop`` (and ``exercice``)
    the permission (and lock, state) checks run before the block."""
    with books.uow(True) as uow:  # SQLite busy: storage's DatabaseBusy, a French Conflict
        scope = Scope(books, uow, True)
        if exercice is not None:
            scope.lock(coop, exercice, writable=writable)
        elif coop is not None:
            scope.require_coop(coop)
        yield scope
        scope.commit()


@contextmanager
def reading(books: "Books", coop: str | None = None, exercice: str | None = None) -> Iterator[Scope]:
    """One read: a read-only unit of work, the coop's read permission, its exercice."""
    with books.uow() as uow:
        scope = Scope(books, uow, False)
        if exercice is not None:
            scope.lock(coop, exercice)
        elif coop is not None:
            scope.require_coop(coop)
        yield scope
