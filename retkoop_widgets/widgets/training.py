"""The "Formation" tab, shown only on a training sandbox (``coop.training``).

A trainee keeps the sandbox's books in the real dashboard and, in this tab, asks the
checkers of the guided sequence (``retkoop_widgets.training``) what is right and what is
missing: the same pure checks the trainer's progress table uses. Under the hub a trainee
is a locked-down mandataire who cannot open notebooks, so the checkers live here.
"""
from __future__ import annotations

import ipywidgets as W

from .common import Context, Section


class TrainingSection(Section):
    title = "Formation"

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        from ..training.widgets import SequenceWidget
        self.sequence = SequenceWidget(ctx.books, ctx.coop, ctx.exercice)
        self.sequence.add_class("rk-formation")
        intro = W.HTML('<div class="rk-hint">Faites chaque exercice dans les onglets Saisie, Cahier, Caisse '
                       'et Subventions, puis revenez ici et cliquez « Vérifier » : le correcteur dit ce qui '
                       'est juste et ce qui manque.</div>')
        self.root = W.VBox([intro, self.sequence])
        self.stale = False  # the checkers ran when built

    def refresh(self) -> None:
        self.sequence.refresh()
        self.stale = False
