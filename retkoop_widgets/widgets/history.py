"""Historique: who changed the coop's books, what, when, before → after, and why.

The same sentences as ``retkoop audit`` (``domain.history`` through
``services.history.history``), newest first, one page of 50 at a time (« Plus
anciennes »), for the exercice shown or all of them, since a date if one is typed. A
change made by the AD, a formateur or the platform is marked, its reason beside it.
"""
from __future__ import annotations

import ipywidgets as W

from ..services import history as hist
from .common import Context, Section, attempt, button, esc, field, info_html, status_line
from .datefield import DateField

ALL = ""
CHANGES_UL = "<ul class='rk-hist-changes' style='margin:2px 0 0 0;padding-left:18px'>"


def lines_html(lines, start: int = 0) -> str:
    """The history as a table: when, who, what (with before → after), why."""
    if not lines:
        return ""
    rows = []
    for i, x in enumerate(lines, start):
        changes = "".join(f"<li>{esc(c)}</li>" for c in x.changes)
        staff = ' class="rk-hist-staff" style="background:#fff7ed"' if x.by_staff else ""
        rows.append(
            f"<tr{staff} data-audit='{x.id}'><td class='rk-hist-when'>{esc(x.at.strftime('%d/%m/%Y %H:%M'))}</td>"
            f"<td class='rk-hist-who'>{esc(x.who)}</td>"
            f"<td class='rk-hist-what'>{esc(x.what[:1].upper() + x.what[1:])}"
            f"{CHANGES_UL + changes + '</ul>' if changes else ''}</td>"
            f"<td class='rk-hist-why'>{esc(x.reason) if x.reason else '<span class=rk-help>—</span>'}</td></tr>")
    return ("<table class='rk-table rk-history-table'><thead><tr><th>Date</th><th>Qui</th><th>Quoi</th>"
            f"<th>Motif</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


class HistorySection(Section):
    title = "Historique"

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.scope = W.Dropdown(layout=W.Layout(width="220px"))
        self.scope.add_class("rk-hist-scope")
        self.since = DateField("rk-hist-since")
        self.show_btn = button("Afficher", "primary", "rk-hist-show", icon="search")
        self.more = button("Plus anciennes", cls="rk-hist-more", icon="chevron-down")
        self.table = W.HTML()
        self.table.add_class("rk-history")
        self.status = status_line("rk-hist-status")
        self._lines: list = []
        self._next: int | None = None
        self.show_btn.on_click(lambda _b: self.load())
        self.more.on_click(lambda _b: self.load(more=True))
        self.scope.observe(lambda _c: self.load(), "value")
        self.since.on_submit(self.load)
        self.root = W.VBox([
            W.HTML('<div class="rk-title">Historique des modifications</div><div class="rk-help">Qui a modifié '
                   'les comptes de la coopérative, quand, ce qui a changé et pourquoi. Les corrections de l’AD '
                   'ou d’un formateur sont surlignées, avec leur motif.</div>'),
            W.HBox([field("Exercice", self.scope, "230px"), field("Depuis le (facultatif)", self.since.box, "190px"),
                    self.show_btn], layout=W.Layout(align_items="flex-end")),
            self.status, self.table, W.HBox([self.more])])
        self.root.add_class("rk-card")
        self.root.add_class("rk-history-section")

    def _options(self) -> None:
        names = [n for n, _ in self.ctx.info["exercices"]]
        options = [(f"Exercice {n}", n) for n in reversed(names)] + [("Tous les exercices", ALL)]
        value = self.ctx.exercice if self.ctx.exercice in names else ALL
        if list(self.scope.options) != options:
            with self.scope.hold_trait_notifications():
                self.scope.options = options
        if self.scope.value != value and self.stale:
            self.scope.value = value

    def refresh(self) -> None:
        self._options()
        self.load()
        self.stale = False

    def load(self, more: bool = False) -> None:
        """Read the first page again (or the next, older one)."""
        if more and self._next is None:  # a late click on the button just hidden
            return
        self.status.value = ""
        since = None
        if (self.since.text.value or "").strip():
            ok, since = attempt(lambda: self.since.parse("depuis"), self.status)
            if not ok:
                return
        before = self._next if more else None
        ok, page = attempt(lambda: hist.history(self.ctx.books, self.ctx.coop, self.scope.value or None, since,
                                                before_id=before, limit=hist.PAGE), self.status)
        if not ok:
            return
        self._lines = (self._lines if more else []) + page.lines
        self._next = page.next_before
        self.table.value = lines_html(self._lines)
        if not self._lines:
            self.table.value = info_html("Aucune modification" + (f" depuis le {since:%d/%m/%Y}" if since else "")
                                         + ".")
        self.more.disabled = self._next is None  # disabled, not hidden: the page does not jump under the mouse
