"""``retkoop releve COOP EXERCICE FICHIER [--appliquer]``: the bank statement import of the
dashboard's « Relevé bancaire » panel, from the command line.

Without ``--appliquer`` it only shows the proposal (nothing is written: the same
``services.statement.propose`` as the dashboard); with it, the proposed pairs that may be
pointed are pointed in one transaction (``services.statement.apply``), then the balances
are checked again. Any file the dashboard reads is read here: CSV, OFX, QIF, CFONB 120.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from . import french_help

from ..domain.errors import Problem, ValidationError
from ..domain.dates import format_date
from ..domain.money import format_eur
from ..domain.text import plural


def register(sub) -> None:
    p = sub.add_parser("releve", help="rapprocher un relevé bancaire (CSV, OFX, QIF, CFONB) du cahier et le pointer",
                       add_help=False,
                       description="Lit le relevé, propose pour chaque opération la ligne du cahier correspondante "
                                   "et compare les soldes du relevé au livre pointé. Rien n'est pointé sans "
                                   "--appliquer.")
    french_help(p)
    p.add_argument("coop", help="numéro de la coopérative, ex. AD76-0421")
    p.add_argument("exercice", help="ex. 2025-2026")
    p.add_argument("fichier", help="le relevé téléchargé de la banque en ligne (CSV, OFX, QIF ou CFONB 120)")
    p.add_argument("--appliquer", action="store_true",
                   help="pointer les lignes rapprochées (sinon : seulement afficher la proposition)")
    p.add_argument("--ignorer", action="append", default=[], metavar="TEXTE",
                   help="ignorer les opérations dont le libellé contient ce texte (ex. « VIREMENT AUTOMATIQUE "
                        "OCCE ») ; répétable")
    p.add_argument("--date", metavar="JJ/MM/AAAA",
                   help="date du relevé pour le pointage (défaut : la dernière date du relevé)")
    p.set_defaults(func=cmd_statement)


def _read(path: str) -> bytes:
    f = Path(path)
    if f.is_dir():
        raise ValidationError(Problem(f"« {path} » est un dossier : indiquez le fichier du relevé", "fichier"))
    if not f.exists():
        raise ValidationError(Problem(f"fichier « {path} » introuvable", "fichier"))
    try:
        return f.read_bytes()
    except OSError as exc:
        raise ValidationError(Problem(f"fichier « {path} » illisible ({exc.strerror or 'accès refusé'})",
                                      "fichier")) from None


def _day(text: str | None) -> date | None:
    """``--date``: typed by a person, read as every date they type (``domain.dates``)."""
    if not text:
        return None
    from ..domain.dates import parse_date
    return parse_date(text, "date (--date)")


def _op(ln) -> str:
    lib = ln.libelle if len(ln.libelle) <= 42 else ln.libelle[:41] + "…"
    return f"{format_date(ln.date)}  {lib:<42} {format_eur(ln.amount_cents, plus=True):>13}"


def render(name: str, m) -> str:
    """The proposal as the terminal shows it, in French."""
    out: list[str] = []
    period = (f"du {format_date(m.first_date)} au {format_date(m.last_date)}" if m.first_date != m.last_date
              else f"du {format_date(m.last_date)}")
    out.append(f"{name} ({m.format}) : {plural(m.line_count, 'opération')} {period} · crédits "
               f"{format_eur(m.credits)} · débits {format_eur(m.debits)}")

    def section(title: str, rows: list[str]) -> None:
        if rows:
            out.append("")
            out.append(f"{title} ({len(rows)}) :")
            out.extend(f"  {r}" for r in rows)

    section("Rapprochées, à pointer", [f"{_op(p.line)}  → pièce {p.entry.piece} du {format_date(p.entry.date)} ({p.reason})"
                                       for p in m.pairs])
    section(f"De l'exercice {m.earlier_exercice}" + (" (rien à saisir, rien à pointer)" if m.earlier_locked
                                                      else ", à pointer"),
            [f"{_op(p.line)}  → pièce {p.entry.piece} du {format_date(p.entry.date)} ({p.reason})" for p in m.earlier_pairs])
    section("Déjà pointées au cahier", [f"{_op(p.line)}  → pièce {p.entry.piece}"
                                        + (f" de l'exercice {p.exercice}" if p.exercice else "") for p in m.already])
    section("Sans écriture au cahier", [f"{_op(u.line)}  : {u.hint}" for u in m.unmatched])
    section("Ignorées", [_op(ln) for ln in m.ignored])
    section("Lignes non pointées du cahier restantes",
            [f"pièce {e.piece} du {format_date(e.date)}  {e.libelle[:42]:<42} {format_eur(e.bank, plus=True):>13}"
             for e in m.remaining])
    if m.checks:
        out.append("")
        out.append("Soldes :")
        out.extend(f"  {c.text()}" for c in m.checks)
    return "\n".join(out) + "\n"


def cmd_statement(args) -> int:
    from ..services import Books
    from ..services import statement as svc
    books = Books(None, "cli")
    data = _read(args.fichier)
    day = _day(args.date)
    name = Path(args.fichier).name
    m = svc.propose(books, args.coop, args.exercice, data, args.ignorer)
    print(render(name, m), end="")
    ids = [p.entry.id for p in m.pointable]
    when = day or m.last_date
    if not args.appliquer:
        print()
        if ids:
            which = "la ligne rapprochée" if len(ids) == 1 else f"les {len(ids)} lignes rapprochées"
            print(f"Rien n'a été pointé. Pour pointer {which} sur le relevé du {format_date(when)} : relancez avec "
                  "--appliquer.")
        else:
            print("Rien à pointer.")
        return 0
    print()
    if not ids:
        print("Rien à pointer.")
        return 0
    n = svc.apply(books, args.coop, args.exercice, ids, when)
    earlier = sum(1 for p in m.pointable if p.exercice)
    among = f" (dont {earlier} au cahier de l'exercice {m.earlier_exercice})" if earlier else ""
    print(f"{plural(n, 'ligne')} pointée{'s' if n > 1 else ''} sur le relevé du {format_date(when)}{among}.")
    after = svc.propose(books, args.coop, args.exercice, data, args.ignorer)
    if after.checks:
        print("Soldes après pointage :")
        for c in after.checks:
            print(f"  {c.text()}")
    return 0
