"""``retkoop audit COOP [EXERCICE] [--depuis JJ/MM/AAAA]``: the coop's history in French,
newest first — who changed what, when, before → after, and why (``services.history``,
the same sentences as the dashboard's « Historique »).

One page at a time (``--nombre``, 50 by default); the last line says how to read the
next one (``--avant N``), or ``--tout`` prints everything.
"""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("audit", help="historique d'une coopérative : qui a modifié quoi, quand, et pourquoi",
                       add_help=False,
                       description="Affiche les modifications des comptes d'une coopérative, les plus récentes "
                                   "d'abord : auteur, date, objet, valeurs avant → après, motif.")
    p.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
    p.add_argument("coop", help="numéro de la coopérative, ex. AD76-0421")
    p.add_argument("exercice", nargs="?", help="seulement cet exercice, ex. 2025-2026")
    p.add_argument("--depuis", metavar="JJ/MM/AAAA", help="seulement les modifications faites depuis cette date")
    p.add_argument("--nombre", type=_count, default=50, metavar="N", help="modifications par page (défaut : 50)")
    p.add_argument("--avant", type=_count, metavar="N", help="la page suivante (le numéro donné en fin de page)")
    p.add_argument("--tout", action="store_true", help="tout l'historique, sans pages")
    p.set_defaults(func=cmd_audit)


def _count(text: str) -> int:
    import argparse
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"« {text} » n'est pas un nombre entier positif")
    return n


def cmd_audit(a) -> int:
    from ..domain.dates import parse_date
    from ..domain.errors import ValidationError
    from ..services import Books
    from ..services.history import history
    try:
        since = parse_date(a.depuis, "depuis") if a.depuis else None
    except ValidationError as e:
        raise ValidationError([f"--depuis : {p.message}" for p in e.problems][0], "depuis") from None
    books, coop = Books(None, "cli"), a.coop.strip().upper()
    before, shown = a.avant, 0
    while True:
        page = history(books, coop, a.exercice, since, before_id=before, limit=500 if a.tout else a.nombre)
        for x in page.lines:
            print(x.sentence)
        shown += len(page.lines)
        before = page.next_before
        if before is None or not a.tout:
            break
    if not shown:
        where = f" dans l'exercice {a.exercice}" if a.exercice else ""
        print(f"aucune modification{where}{' depuis le ' + a.depuis if a.depuis else ''}")
    elif before is not None:
        extra = " ".join(x for x in (a.exercice or "", f"--depuis {a.depuis}" if a.depuis else "") if x)
        print(f"… suite : retkoop audit {coop}{' ' + extra if extra else ''} --avant {before}")
    return 0
