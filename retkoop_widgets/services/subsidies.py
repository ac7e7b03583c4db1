"""Public subsidies received (the CRF's subsidy table, checked against account 7410)."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from ..domain.chart import SUBSIDY_ACCOUNT
from ..domain.errors import NotFound, ValidationError
from ..domain.exercice import Exercice
from ..domain.subsidy import Subsidy, make_subsidy
from .guard import Scope, reading, writing

if TYPE_CHECKING:  # pragma: no cover
    from .books import Books


def subsidy_dict(s: Subsidy) -> dict:
    return {"organisme": s.grantor, "type": s.grantor_type, "objet": s.object, "montant": s.amount,
            "date": s.date_received.isoformat(), "piece": s.entry_piece, "justificatif": s.proof}


def _check_links(w: Scope, ex: Exercice, s: Subsidy) -> None:
    if not ex.contains(s.date_received):
        raise ValidationError(f"la date de réception {s.date_received:%d/%m/%Y} est hors de "
                              f"l'exercice {ex.name}", "date_received")
    if s.entry_piece:
        e = w.repo.entry_by_piece(ex.id, s.entry_piece)
        if e is None:
            raise ValidationError(f"pièce {s.entry_piece} introuvable dans l'exercice", "entry_piece")
        if not any(p.account == SUBSIDY_ACCOUNT for p in e.postings):
            raise ValidationError(f"la pièce {s.entry_piece} n'est pas ventilée sur le compte 7410 "
                                  "(subventions publiques)", "entry_piece")
    if s.proof and not w.repo.has_blob(s.proof):
        raise ValidationError("justificatif introuvable", "proof")


def _for_write(w: Scope, subsidy_id: int) -> Subsidy:
    found = w.repo.subsidy(subsidy_id)
    if found is None:
        raise NotFound(f"subvention n° {subsidy_id} introuvable")
    old, exercice_id = found
    w.lock_by_id(exercice_id)
    return old


def add_subsidy(books: "Books", coop: str, name: str, grantor: str, grantor_type: str, object: str,
                amount: int, date_received: date, entry_piece: str = "", proof: str = "") -> Subsidy:
    s = make_subsidy(grantor, grantor_type, object, amount, date_received, entry_piece, proof)
    with writing(books, coop, name) as w:
        _check_links(w, w.exercice, s)
        saved = w.repo.add_subsidy(w.exercice.id, s)
        w.audit("create", "subsidy", saved.id, after=subsidy_dict(s))
    return saved


def update_subsidy(books: "Books", subsidy_id: int, expected_version: int, **fields) -> Subsidy:
    with writing(books) as w:
        old = _for_write(w, subsidy_id)
        w.check_version(old.version, expected_version, "cette subvention a été modifiée entre-temps : rechargez-la")
        merged = {k: getattr(old, k) for k in ("grantor", "grantor_type", "object", "amount",
                                                 "date_received", "entry_piece", "proof")}
        merged.update(fields)
        s = make_subsidy(**merged)
        _check_links(w, w.exercice, s)
        saved = w.repo.update_subsidy(subsidy_id, s)
        w.audit("update", "subsidy", subsidy_id, before=subsidy_dict(old), after=subsidy_dict(s))
    return saved


def remove_subsidy(books: "Books", subsidy_id: int) -> None:
    with writing(books) as w:
        old = _for_write(w, subsidy_id)
        w.audit("delete", "subsidy", subsidy_id, before=subsidy_dict(old))
        w.repo.delete_subsidy(subsidy_id)


def subsidies(books: "Books", coop: str, name: str) -> list[Subsidy]:
    with reading(books, coop, name) as r:
        return r.repo.subsidies(r.exercice.id)
