"""Bank statement import: propose the pointage from the bank's CSV, then apply it.

Two calls on purpose: ``propose`` only reads (parse the file, read the exercice's bank
lines through ``Books``, run ``domain.statement.match``) and the mandataire reviews the
proposal; ``apply`` then points the lines kept, all or nothing, through ``Books.point``
(one transaction, one audit record per line, exercice lock and permissions checked
there). Nothing is written between the two, so an abandoned proposal costs nothing.
"""
from __future__ import annotations

from datetime import date
from typing import Iterable

from ..domain.errors import Problem, ValidationError
from ..domain.statement import Matching, match, parse_statement
from .books import Books


def propose(books: Books, coop: str, exercice: str, data: bytes | str,
            ignore: Iterable[str] = ()) -> Matching:
    """The proposed pointage of the statement ``data`` (CSV bytes or text) against the
    exercice's unpointed bank lines. ``ignore``: libellé patterns to set aside (AD sweep
    lines). Raises ``ValidationError`` listing every problem of the file; reading the
    exercice needs read permission on the coop (checked by ``Books``)."""
    statement = parse_statement(data)
    bank = [e for e in books.entries(coop, exercice) if e.bank]
    return match(statement.lines, [e for e in bank if not e.pointed], ignore=tuple(ignore),
                 pointed=[e for e in bank if e.pointed])


def apply(books: Books, coop: str, exercice: str, entry_ids: Iterable[int], statement_date: date | None) -> int:
    """Point ``entry_ids`` on the statement of ``statement_date``; returns how many changed.

    All or nothing: every id must be an *unpointed bank line of this exercice* dated on or
    before the statement, else nothing is pointed and every problem is listed at once
    (a proposal made in another tab, an entry pointed meanwhile, a statement date moved
    before a line). The write itself is ``Books.point``: one transaction, audited, refused
    on a locked exercice or without write permission, and refused if a line changed after
    the read above (``Conflict``)."""
    ids = list(dict.fromkeys(entry_ids))
    if not ids:
        raise ValidationError("cochez au moins une ligne à pointer", "pointage")
    if statement_date is None:
        raise ValidationError("indiquez la date du relevé", "date")
    known = {e.id: e for e in books.entries(coop, exercice)}
    problems: list[Problem] = []
    for entry_id in ids:
        e = known.get(entry_id)
        if e is None:
            problems.append(Problem(f"l'écriture n° {entry_id} n'est pas dans l'exercice {exercice} de {coop} "
                                    "(supprimée entre-temps ?)", "pointage"))
        elif not e.bank:
            problems.append(Problem(f"la pièce {e.piece} ne passe pas par la banque : elle ne peut pas être "
                                    "pointée", "pointage"))
        elif e.pointed:
            when = f" sur le relevé du {e.statement_date:%d/%m/%Y}" if e.statement_date else ""
            problems.append(Problem(f"la pièce {e.piece} est déjà pointée{when} : analysez à nouveau le relevé",
                                    "pointage"))
        elif e.date > statement_date:
            problems.append(Problem(f"la pièce {e.piece} du {e.date:%d/%m/%Y} ne peut pas figurer sur un relevé "
                                    f"du {statement_date:%d/%m/%Y}", "date"))
    if problems:
        raise ValidationError(problems)
    # the versions read above: a line edited or pointed in another tab since is refused
    return books.point(ids, statement_date, versions={i: known[i].version for i in ids})
