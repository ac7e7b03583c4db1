"""Pointage: ticking bank lines against a bank statement (relevé)."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Iterable, Mapping

from ..domain.errors import ValidationError
from .entries import for_write
from .guard import writing

if TYPE_CHECKING:  # pragma: no cover
    from .books import Books


def point(books: "Books", entry_ids: Iterable[int], statement_date: date | None, *, pointed: bool = True,
          versions: Mapping[int, int] | None = None) -> int:
    """Tick (or untick) bank lines against a statement; returns how many changed.

    ``versions`` (entry id → version the caller saw): a line changed or pointed by
    someone else since is refused (``Conflict``) and nothing is pointed — what a
    statement import needs, since its proposal was computed from an earlier read."""
    ids = list(entry_ids)
    if versions is not None and set(ids) - set(versions):  # a caller's slip, not a user's
        raise ValueError(f"point(versions=…) lacks the versions of entries {sorted(set(ids) - set(versions))}")
    changed = 0
    with writing(books) as w:
        for entry_id in ids:
            old = for_write(w, entry_id, None if versions is None else versions[entry_id]).entry
            if not old.bank:
                raise ValidationError(f"la pièce {old.piece} ne passe pas par la banque : "
                                      "elle ne peut pas être pointée", "pointage")
            if pointed and statement_date and statement_date < old.date:
                raise ValidationError(f"la pièce {old.piece} du {old.date:%d/%m/%Y} ne peut pas figurer "
                                      f"sur un relevé du {statement_date:%d/%m/%Y}", "pointage")
            if old.pointed == pointed and (not pointed or old.statement_date == statement_date):
                continue
            before = {"pointe": old.pointed,
                      "date_releve": old.statement_date.isoformat() if old.statement_date else None}
            w.repo.set_pointed(entry_id, pointed, statement_date if pointed else None, books.actor.login,
                               books.now())
            w.audit("point" if pointed else "unpoint", "entry", entry_id, before=before,
                    after={"pointe": pointed,
                           "date_releve": statement_date.isoformat() if pointed and statement_date else None})
            changed += 1
    return changed
