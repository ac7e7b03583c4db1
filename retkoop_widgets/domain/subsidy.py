"""Public subsidies: an earmarked subsidy must stay traceable to its grantor and object."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .errors import Problem, ValidationError

GRANTOR_TYPES = ("État", "région", "département", "commune", "autre organisme public")


@dataclass(frozen=True)
class Subsidy:
    grantor: str
    grantor_type: str
    object: str
    amount: int
    date_received: date
    entry_piece: str = ""  # the receipt entry on 7410
    proof: str = ""  # attachment hash
    id: int | None = None
    version: int = 1


def make_subsidy(grantor: str, grantor_type: str, object: str, amount: int,
                 date_received: date | None, entry_piece: str = "", proof: str = "") -> Subsidy:
    problems = []
    if not (grantor or "").strip():
        problems.append(Problem("l'organisme financeur est obligatoire", "grantor"))
    if grantor_type not in GRANTOR_TYPES:
        problems.append(Problem(f"type de financeur « {grantor_type} » inconnu "
                                f"({', '.join(GRANTOR_TYPES)})", "grantor_type"))
    if not (object or "").strip():
        problems.append(Problem("l'objet de la subvention est obligatoire", "object"))
    if amount <= 0:
        problems.append(Problem("le montant de la subvention doit être positif", "amount"))
    if date_received is None:
        problems.append(Problem("la date de réception est obligatoire", "date_received"))
    if problems:
        raise ValidationError(problems)
    return Subsidy(grantor.strip(), grantor_type, object.strip(), amount, date_received,
                   (entry_piece or "").strip(), proof)
