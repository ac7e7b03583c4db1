"""Public subsidies: an earmarked subsidy must stay traceable to its grantor and object.

Its texts are checked by ``text.text_problems`` (length of their column, forbidden
characters) before anything reaches a database: the same French refusal on SQLite and
PostgreSQL (which would answer a 300-character grantor with an English ``DataError``)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .errors import Problem, ValidationError
from .text import text_problems

_SHA256 = re.compile(r"[0-9a-f]{64}")

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
    grantor, object = (grantor or "").strip(), (object or "").strip()
    entry_piece, proof = (entry_piece or "").strip(), (proof or "").strip()
    if not grantor:
        problems.append(Problem("l'organisme financeur est obligatoire", "grantor"))
    problems += text_problems(grantor, "grantor")
    if grantor_type not in GRANTOR_TYPES:
        problems.append(Problem(f"type de financeur « {_shown(grantor_type)} » inconnu "
                                f"({', '.join(GRANTOR_TYPES)})", "grantor_type"))
    if not object:
        problems.append(Problem("l'objet de la subvention est obligatoire", "object"))
    problems += [Problem(p.message, "object") for p in text_problems(object, "subsidy_object")]
    problems += [Problem(p.message, "entry_piece") for p in text_problems(entry_piece, "piece")]
    if proof and not _SHA256.fullmatch(proof):
        problems.append(Problem("justificatif introuvable (référence de fichier invalide)", "proof"))
    if amount <= 0:
        problems.append(Problem("le montant de la subvention doit être positif", "amount"))
    if date_received is None:
        problems.append(Problem("la date de réception est obligatoire", "date_received"))
    if problems:
        raise ValidationError(problems)
    return Subsidy(grantor, grantor_type, object, amount, date_received, entry_piece, proof)


def _shown(value) -> str:
    from .text import printable
    text = value if isinstance(value, str) else ""
    return printable(text[:40]) + ("…" if len(text) > 40 else "")
