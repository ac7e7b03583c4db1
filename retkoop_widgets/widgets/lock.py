"""Read-only dashboard once the CRF is submitted.

Why in the widgets as well as in ``Books``: the books already refuse every write on a
locked exercice (``LockedExercice``), but a teacher who types a whole entry and only
then reads "verrouillé" has lost their time. Inputs are disabled and a banner says why
and who can reopen. Reading stays possible: filters, paging, downloads, the exercice
selector.
"""
from __future__ import annotations

import ipywidgets as W

from ..domain.exercice import SUBMITTED
from .common import esc, fdate

# Widgets kept usable while locked, by section attribute name (reading, not writing).
# Everything else in a section's tree is disabled — in the cahier that includes the
# "Session de pointage" and "Relevé bancaire" toggles and, when open, their panels (the
# relevé panel, widgets/statement.py, also disables its own inputs and the checkboxes it
# draws later, since they are made after this runs).
KEEP = {
    "cahier": ("month", "account", "mode", "unpointed", "text", "sort", "prev", "next", "pick"),
    "attachments": ("entry",),
    "inventory": ("show_disposed", "pick", "export_btn"),  # the register stays readable and downloadable
}
KEEP_ALL = ("exports",)
KEEP_CLASSES = {"rk-alert-open"}  # "Ouvrir D014" shows the entry (in a disabled form)


def walk(widget):
    yield widget
    for child in getattr(widget, "children", ()) or ():
        yield from walk(child)


def banner_html(ctx) -> str:
    """Empty while the exercice is writable."""
    ex = ctx.exercice_obj()
    if ex.writable:
        return ""
    if ex.state == SUBMITTED:
        from ..services.submission import submission_info
        info = submission_info(ctx.books, ctx.coop, ctx.exercice)
        when = f" le {fdate(info.submitted_at)}" if info.submitted_at else ""
        what = f"Exercice {ctx.exercice} soumis{when}"
    else:
        what = f"Exercice {ctx.exercice} clos"
    return (f'<div class="rk-lockbanner"><b>Lecture seule — {esc(what)}</b> : les comptes sont en lecture seule (consultation, '
            'exports). Seule l’AD peut rouvrir l’exercice pour une correction.</div>')


class ReadOnly:
    """Disables the inputs of built sections while the exercice is locked, and gives
    back exactly those it disabled when it is writable again (another exercice chosen)."""

    def __init__(self):
        self._disabled: set[int] = set()
        self._widgets: dict[int, W.Widget] = {}

    def apply(self, sections: dict[str, object], locked: bool) -> None:
        if not locked:
            for wid in list(self._disabled):
                w = self._widgets.pop(wid, None)
                if w is not None:
                    w.disabled = False
            self._disabled.clear()
            return
        for key, sec in sections.items():
            if key in KEEP_ALL:
                continue
            keep = {id(getattr(sec, a)) for a in KEEP.get(key, ()) if hasattr(sec, a)}
            for w in walk(sec.root):
                if id(w) in keep or "disabled" not in w.trait_names() or KEEP_CLASSES & set(w._dom_classes):
                    continue
                if not w.disabled:
                    w.disabled = True
                    self._disabled.add(id(w))
                    self._widgets[id(w)] = w
