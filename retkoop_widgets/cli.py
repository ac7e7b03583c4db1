"""``retkoop``: the command line (French help, exit 0 on success, 1 with a French message).

Commands live in small modules that each expose ``register(subparsers)``; this file
only wires them, handles ``--db`` and turns every ``RetkoopError`` into a one-line
French message on stderr (never a traceback, never a password).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from .domain.errors import InvariantBreach, RetkoopError, ValidationError
from .domain.text import printable

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
    """argparse speaking French: section titles, usage line and common refusals."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._positionals.title = "arguments"
        self._optionals.title = "options"

    def format_usage(self):
        return super().format_usage().replace("usage:", "utilisation :", 1)

    def format_help(self):
        return super().format_help().replace("usage:", "utilisation :", 1)

    def error(self, message):  # argparse's own refusals, translated where they are common
        for en, fr in (("the following arguments are required", "arguments obligatoires manquants"),
                       ("invalid choice", "choix invalide"), ("unrecognized arguments", "arguments inconnus"),
                       ("expected one argument", "une valeur est attendue"), ("argument", "argument")):
            message = message.replace(en, fr)
        self.print_usage(sys.stderr)
        self.exit(2, f"retkoop : erreur : {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = FrenchParser(prog="retkoop", description="Retkoop — comptabilité des coopératives scolaires OCCE.",
                     add_help=False)
    p.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
    p.add_argument("--db", metavar="URL", help="base de données (défaut : $RETKOOP_DB_URL, sinon un fichier "
                                               "SQLite dans le dossier de données de l'utilisateur)")
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
    if args.db:
        os.environ["RETKOOP_DB_URL"] = args.db
    try:
        _normalise_exercice_args(args)
        return int(args.func(args) or 0)
    except ValidationError as e:
        print("retkoop : refusé :", file=sys.stderr)
        shown = e.problems[:MAX_PROBLEMS_SHOWN]
        for p in shown:
            print(f"  - {printable(str(p))}", file=sys.stderr)
        if len(e.problems) > len(shown):
            print(f"  … et {len(e.problems) - len(shown)} autres problèmes (les {len(shown)} premiers sont "
                  "affichés ; corrigez-les puis relancez)", file=sys.stderr)
        return 1
    except RetkoopError as e:
        print(f"retkoop : {e}", file=sys.stderr)
        return 1
    except InvariantBreach as e:  # a bug: say so plainly
        print(f"retkoop : incohérence interne détectée, merci de la signaler : {e}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # database down, disk full…: a message, not a traceback
        if isinstance(e, OSError) and e.filename is not None:  # a file named on the command line
            print(f"retkoop : {file_error_message(e)}", file=sys.stderr)
            return 1
        if _is_sqlite_busy(e):
            print("retkoop : la base de données est occupée par une autre opération (un gros import ?) "
                  "depuis plus de 30 secondes : rien n'a été enregistré, réessayez quand elle sera "
                  "terminée", file=sys.stderr)
            return 1
        from .storage.db import redact
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        url = os.environ.get("RETKOOP_DB_URL")
        if url:
            msg = msg.replace(url, redact(url))
        print(f"retkoop : erreur inattendue ({type(e).__name__}) : {msg}", file=sys.stderr)
        if os.environ.get("RETKOOP_DEBUG"):
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
