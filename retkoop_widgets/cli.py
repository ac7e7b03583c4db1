"""``retkoop``: the command line (French help, exit 0 on success, 1 with a French message).

Commands live in small modules that each expose ``register(subparsers)``; this file
only wires them, handles ``--db`` and turns every ``RetkoopError`` into a one-line
French message on stderr (never a traceback, never a password). ``--result FILE`` also
writes the outcome as JSON (``write_result``): a program that runs ``retkoop`` (the
dashboard's PDF child, ``reports.render_in_child``) reads that, never the prose on stderr.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from .domain.errors import InvariantBreach, RetkoopError, ValidationError, refusal_record
from .domain.text import printable
from .settings import environment
from .commands import french_help

#: A file with 400,000 bad lines must not print 50 MB: the first problems, then a count.
MAX_PROBLEMS_SHOWN = 50

# Each module registers its sub-commands. One line per module, so that parts of the
# product (reports, hub, training…) add theirs without touching the others.
COMMAND_MODULES = [
    "retkoop_widgets.commands.ledger",
    "retkoop_widgets.commands.dashboard",
    "retkoop_widgets.commands.hub",
    "retkoop_widgets.commands.reports",
    "retkoop_widgets.commands.training",
    "retkoop_widgets.commands.statement",
    "retkoop_widgets.commands.audit",
]


class FrenchParser(argparse.ArgumentParser):
    """argparse speaking French: section titles, usage line, help and its refusals."""

    # argparse's own sentences (Python 3.11–3.13), most specific first
    FRENCH = (("the following arguments are required", "arguments obligatoires manquants"),
              ("invalid choice", "choix invalide"), ("(choose from", "(valeurs possibles :"),
              ("unrecognized arguments", "arguments inconnus"),
              ("expected at least one argument", "au moins une valeur est attendue"),
              ("expected at most one argument", "au plus une valeur est attendue"),
              ("expected one argument", "une valeur est attendue"),
              ("ignored explicit argument", "valeur ignorée"),
              ("not allowed with argument", "incompatible avec l'argument"),
              ("ambiguous option", "option ambiguë"), ("could match", "peut désigner"),
              ("invalid int value", "nombre entier invalide"), ("invalid float value", "nombre invalide"),
              ("one of the arguments", "l'un des arguments"), ("is required", "est obligatoire"),
              ("argument ", "argument "))
    HELP = (("show this help message and exit", "afficher cette aide et quitter"),
            ("usage:", "utilisation :"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._positionals.title = "arguments"
        self._optionals.title = "options"

    def format_usage(self):
        return super().format_usage().replace("usage:", "utilisation :", 1)

    def format_help(self):
        text = super().format_help()
        for en, fr in self.HELP:
            text = text.replace(en, fr)
        return text

    def error(self, message):
        for en, fr in self.FRENCH:
            message = message.replace(en, fr)
        self.print_usage(sys.stderr)
        self.exit(2, f"retkoop : erreur : {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = FrenchParser(prog="retkoop", description="Retkoop — comptabilité des coopératives scolaires OCCE.",
                     add_help=False)
    french_help(p)
    p.add_argument("--db", metavar="URL", help="base de données (défaut : $RETKOOP_DB_URL, sinon un fichier "
                                               "SQLite dans le dossier de données de l'utilisateur)")
    p.add_argument("--result", metavar="FICHIER",
                   help="écrire aussi le résultat en JSON dans ce fichier (ok, code de sortie, refus et "
                        "problèmes localisés) : pour un programme qui lance retkoop")
    sub = p.add_subparsers(dest="command", metavar="COMMANDE", parser_class=FrenchParser)
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    rc = _main(argv)
    if argv is None:  # the process's own command line: it ends right after this return
        # Interpreter shutdown runs full garbage collections over every object the imports
        # made: 0.3–0.7 s after a PDF (WeasyPrint, nbconvert, SQLAlchemy), ~0.03 s with the
        # heap frozen. atexit handlers and object finalizers still run as usual.
        import gc
        gc.freeze()
    return rc


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    outcome: dict = {}
    try:
        with environment(RETKOOP_DB_URL=args.db or None):  # --db: for this command only
            rc = _run(args, outcome)
    finally:
        if args.result:
            write_result(args.result, outcome)
    return rc


def write_result(path: str, outcome: dict) -> None:
    """``{"ok": bool, "exit": code, "refusal": refusal_record | null}`` in ``path``; a run
    cut short by a crash leaves ``{}``, which the reader takes as a failure."""
    import json
    with open(path, "w", encoding="utf-8") as f:
        json.dump(outcome, f, ensure_ascii=False)


def _run(args, outcome: dict) -> int:
    """Run the command; every refusal as the French lines on stderr, and in ``outcome``."""
    rc = _run_command(args, outcome)
    outcome.update(ok=rc == 0, exit=rc)
    outcome.setdefault("refusal", None)
    return rc


def _run_command(args, outcome: dict) -> int:
    try:
        _normalise_exercice_args(args)
        return int(args.func(args) or 0)
    except ValidationError as e:
        outcome["refusal"] = refusal_record(e)
        print("retkoop : refusé :", file=sys.stderr)
        shown = e.problems[:MAX_PROBLEMS_SHOWN]
        for p in shown:
            print(f"  - {printable(str(p))}", file=sys.stderr)
        if len(e.problems) > len(shown):
            print(f"  … et {len(e.problems) - len(shown)} autres problèmes (les {len(shown)} premiers sont "
                  "affichés ; corrigez-les puis relancez)", file=sys.stderr)
        return 1
    except RetkoopError as e:
        outcome["refusal"] = refusal_record(e)
        print(f"retkoop : {e}", file=sys.stderr)
        return 1
    except InvariantBreach as e:  # a bug: say so plainly
        print(f"retkoop : incohérence interne détectée, merci de la signaler : {e}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # database down, disk full…: a message, not a traceback
        said = None
        if isinstance(e, OSError) and e.filename is not None:  # a file named on the command line
            said = file_error_message(e)
        elif _is_sqlite_busy(e):
            said = ("la base de données est occupée par une autre opération (un gros import ?) depuis plus de "
                    "30 secondes : rien n'a été enregistré, réessayez quand elle sera terminée")
        if said is not None:  # written for people, as a refusal
            outcome["refusal"] = refusal_record(RetkoopError(said))
            print(f"retkoop : {said}", file=sys.stderr)
            return 1
        from .storage.db import redact
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        from .settings import settings
        try:
            current = settings()
        except RetkoopError:  # a malformed RETKOOP_* must not hide the error being reported
            current = None
        url = current.db_url if current else None
        if url:
            msg = msg.replace(url, redact(url))
        print(f"retkoop : erreur inattendue ({type(e).__name__}) : {msg}", file=sys.stderr)
        if current is not None and current.debug:
            raise
        return 2


def _normalise_exercice_args(args) -> None:
    """Every command's exercice argument becomes its one name (``2025/2026`` → ``2025-2026``)."""
    from .domain.exercice import normalise_exercice_name
    if getattr(args, "exercice", None):
        args.exercice = normalise_exercice_name(args.exercice)


def file_error_message(e: OSError) -> str:
    """A French sentence naming the path, for the files a command reads or writes."""
    import errno
    path = e.filename
    what = {errno.ENOENT: "introuvable", errno.EISDIR: "est un dossier, pas un fichier",
            errno.EACCES: "inaccessible (droits insuffisants)", errno.EPERM: "inaccessible (droits insuffisants)",
            errno.ENOTDIR: "introuvable (un élément du chemin n'est pas un dossier)",
            errno.ENOSPC: "ne peut pas être écrit : disque plein"}.get(e.errno)
    if what is None:
        what = f"inaccessible ({e.strerror or type(e).__name__})"
    return f"fichier « {printable(str(path))} » {what}"


def _is_sqlite_busy(e: BaseException) -> bool:
    """SQLite's « database is locked » after the 30 s busy timeout (another writer holds it)."""
    text = str(getattr(e, "orig", None) or e)
    return "database is locked" in text or "database is busy" in text


if __name__ == "__main__":
    sys.exit(main())
