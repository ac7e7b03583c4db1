"""Exercices: open, read, submit (lock), reopen, close with carry-forward.

The submission (who, when, vérificateurs, "Fait à …, le …") is kept on the exercice row
(``Repository.save_submission``, migration 0006), where ``submission.submission_info``
and the CRF read it; the lock's audit record repeats it as history.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Sequence

from ..domain.errors import Conflict, Forbidden, ValidationError
from ..domain.exercice import CLOSED, OPEN, REOPENED, SUBMITTED, Exercice, next_name
from ..domain.ledger import balances_at
from ..storage.records import Submission
from .guard import exercice_name, reading, writing

if TYPE_CHECKING:  # pragma: no cover
    from .books import Books


def current(exercices: Sequence[Exercice]) -> Exercice | None:
    """The latest exercice that is not closed (else the latest); ``exercices`` by name."""
    live = [e for e in exercices if e.state != CLOSED]
    return (live or list(exercices) or [None])[-1]


def open_exercice(books: "Books", coop: str, name: str, opening_bank: int = 0, opening_cash: int = 0) -> Exercice:
    """Open ``name`` (any way a person types it: ``2025/2026`` opens ``2025-2026``)."""
    name = exercice_name(name)
    if opening_cash < 0:
        raise ValidationError("le solde d'ouverture de la caisse ne peut pas être négatif", "caisse")
    with writing(books, coop) as w:
        existing = w.repo.exercice(coop, name)
        if existing is not None:  # « déjà ouvert », « clos » or « soumis »: what it is
            raise Conflict(existing.already_exists_message())
        ex = w.repo.add_exercice(Exercice(coop, name, opening_bank, opening_cash, OPEN, version=1))
        w.audit("open", "exercice", ex.id, exercice=name, after={"banque": opening_bank, "caisse": opening_cash})
    return ex


def exercice(books: "Books", coop: str, name: str) -> Exercice:
    with reading(books, coop, name) as r:
        return r.exercice


def exercices(books: "Books", coop: str) -> list[Exercice]:
    with reading(books, coop) as r:
        return r.repo.exercices(coop)


def current_exercice(books: "Books", coop: str) -> Exercice | None:
    """The latest exercice that is not closed (else the latest)."""
    return current(exercices(books, coop))


def current_exercices(books: "Books", coops: Sequence[str]) -> dict[str, Exercice]:
    """``current_exercice`` of many coops in one query (readable coops only)."""
    with reading(books) as r:
        readable = [code for code, c in r.repo.coops_by_code(list(coops)).items()
                    if books.actor.may_read(c.code, c.ad_code, c.training)]
        by_coop: dict[str, list[Exercice]] = {}
        for x in r.repo.exercices_of(readable):  # by name
            by_coop.setdefault(x.coop, []).append(x)
        return {code: current(exs) for code, exs in by_coop.items()}


def submit_exercice(books: "Books", coop: str, name: str, verificateurs: Sequence[dict] = (), *,
                    place: str = "", signed_on: date | None = None) -> Exercice:
    """Lock the books (CRF submitted). ``services.submission`` checks readiness first.

    The signature block (vérificateurs, place and date of signature) is stored on the
    exercice with the date and author of the submission (``submission_info`` reads it
    there for the PDF); the lock's audit record keeps the same as history. A reopening
    keeps it; a new submission replaces it."""
    with writing(books, coop, name) as w:
        ex = w.exercice
        new = replace(ex.to(SUBMITTED), version=ex.version + 1)
        now = books.now()
        w.repo.save_exercice(new)
        w.repo.save_submission(ex.id, Submission(now, books.actor.login, tuple(verificateurs), place.strip(),
                                                 signed_on))
        w.audit("lock", "exercice", ex.id, before={"etat": ex.state}, at=now,
                after={"etat": new.state, "verificateurs": list(verificateurs), "lieu": place.strip(),
                       "signe_le": signed_on.isoformat() if signed_on else None})
    return new


def reopen_exercice(books: "Books", coop: str, name: str, reason: str) -> Exercice:
    if not (reason or "").strip():
        raise ValidationError("indiquez la raison de la réouverture", "raison")
    if not books.actor.may_unlock:
        raise Forbidden("seule l'AD peut rouvrir un exercice soumis")
    with writing(books, coop, name, writable=False) as w:
        ex = w.exercice
        new = replace(ex.to(REOPENED), version=ex.version + 1)
        w.repo.save_exercice(new)
        w.audit("unlock", "exercice", ex.id, before={"etat": ex.state}, after={"etat": new.state},
                reason=reason.strip())
    return new


def close_exercice(books: "Books", coop: str, name: str) -> Exercice:
    """Close the exercice and carry its closing balances into the next one's opening."""
    name = exercice_name(name)  # next_name needs the one name
    with writing(books, coop, name, writable=False) as w:
        ex = w.exercice
        closed = replace(ex.to(CLOSED), version=ex.version + 1)
        bank, cash = balances_at(ex, w.repo.entries(ex.id))
        w.repo.save_exercice(closed)
        nxt_name = next_name(name)
        nxt = w.repo.exercice(coop, nxt_name, lock=True)
        if nxt is None:
            nxt = w.repo.add_exercice(Exercice(coop, nxt_name, bank, cash, OPEN, version=1))
        else:
            if not nxt.writable:
                raise Conflict(f"l'exercice {nxt_name} est déjà verrouillé : report impossible")
            before = {"banque": nxt.opening_bank, "caisse": nxt.opening_cash}
            nxt = replace(nxt, opening_bank=bank, opening_cash=cash, version=nxt.version + 1)
            w.repo.save_exercice(nxt)
            w.audit("carry_forward", "exercice", nxt.id, exercice=nxt_name, before=before,
                    after={"banque": bank, "caisse": cash})
        w.audit("close", "exercice", ex.id, before={"etat": ex.state},
                after={"etat": CLOSED, "report": {"banque": bank, "caisse": cash}})
    return nxt
