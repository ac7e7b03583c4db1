"""What the ``notebooks/formation/`` notebooks call: one line each.

Who is acting: under JupyterHub the hub passes the person's identity in the environment
(``identity.current_actor``); a trainee (mandataire of a sandbox) always sees *their own*
sandbox, whatever the notebook's ``coop`` parameter says. Without a hub (a trainer's own
machine, nbval) the checker reads as a formateur, who can only reach training coops, and
the trainer view acts as the local platform user.

Checkers only read: they use a read-only connection.
"""
from __future__ import annotations

import os

import pandas as pd
from IPython.display import HTML, display

from ..domain.actor import FORMATEUR, MANDATAIRE, Actor
from ..domain.errors import Forbidden
from ..services.books import Books
from ..settings import settings
from . import scenario as sc
from .widgets import CheckerWidget, SequenceWidget, TrainerView


def _reader(coop: str) -> tuple[Books, str]:
    if settings().user:
        from ..identity import current_actor
        actor = current_actor()
        if actor.role == MANDATAIRE and actor.coop:
            coop = actor.coop
    else:
        actor = Actor("formation", FORMATEUR)
    return Books(None, actor, read_only=True), coop


def exercise_view(exercise_id: str, coop: str, exercice: str | None = None) -> CheckerWidget:
    books, coop = _reader(coop)
    w = CheckerWidget(books, coop, exercise_id, exercice or None)
    display(w)
    return w


def sequence_view(coop: str, exercice: str | None = None) -> SequenceWidget:
    books, coop = _reader(coop)
    w = SequenceWidget(books, coop, exercice or None)
    display(w)
    return w


def show_statement(exercice: str | None = None) -> pd.DataFrame:
    """The bank statement of the pointage exercise, as a table."""
    exercice = exercice or sc.default_exercice()
    df = pd.DataFrame(sc.statement_rows(exercice))
    display(HTML(f"<p><b>Relevé de compte au {sc.Dates.of(exercice).statement:%d/%m/%Y}</b></p>"
                 + df.to_html(index=False)))
    return df


def trainer_view(ad: str) -> TrainerView:
    from ..identity import NO_IDENTITY, current_actor, under_hub
    if settings().user:
        actor = current_actor()
    elif under_hub(os.environ):  # a hub server without the hub's identity: refuse, never "system"
        raise Forbidden(NO_IDENTITY)
    else:
        actor = Actor("formateur-local")  # the platform user on a trainer's own machine
    w = TrainerView(Books(None, actor), ad)
    display(w)
    return w
