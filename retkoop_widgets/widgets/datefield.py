"""A date field that reads what people type (``15/03/2026``, ``15032026``, ``15/03/26``)
and still offers a calendar.

Why not ipywidgets' ``DatePicker`` alone: Chromium's ``<input type=date>`` types into
day/month/year segments, so a teacher who clicks the year part and types ``15032026`` gets
year 32026; the widget state then cannot even be deserialised, and the date the teacher
meant is lost. Here the text is the truth: it is kept exactly as typed, parsed by
``domain.dates.parse_date`` when the form is sent, and a refusal (« le 31/02/2026 n'existe
pas ») leaves the text in place. The calendar is a convenience that writes into the text.
"""
from __future__ import annotations

from datetime import date

import ipywidgets as W

from ..domain.dates import format_date, parse_date
from ..domain.errors import ValidationError


class DateField:
    """``.box`` goes into the form; ``.value`` is the parsed date (``None`` if empty or
    unreadable); ``.parse(field)`` returns it or raises the French refusal."""

    def __init__(self, cls: str = "", width: str = "120px"):
        self.text = W.Text(placeholder="jj/mm/aaaa", layout=W.Layout(width=width))
        self.text.add_class("rk-datetext")
        self.picker = W.DatePicker(layout=W.Layout(width="44px"), tooltip="calendrier",
                                   description="Calendrier")
        self.picker.add_class("rk-datepick")
        self.picker.add_class("rk-named")
        self.box = W.HBox([self.text, self.picker], layout=W.Layout(align_items="center"))
        self.box.add_class("rk-datefield")
        if cls:
            self.box.add_class(cls)
        self._syncing = False
        self.picker.observe(self._picked, "value")
        self.text.observe(self._typed, "value")
        self._listeners = []

    # -- the value ---------------------------------------------------------------------
    @property
    def value(self) -> date | None:
        try:
            return parse_date(self.text.value)
        except ValidationError:
            return None

    @value.setter
    def value(self, d: date | None) -> None:
        self.text.value = format_date(d)

    def parse(self, field: str = "date") -> date:
        return parse_date(self.text.value, field)

    @property
    def empty(self) -> bool:
        """Nothing typed (a refresh may then put a default date; never over typed text)."""
        return not (self.text.value or "").strip()

    def checked(self, field: str = "date") -> date | None:
        """What to send to the books: ``None`` when empty (the books say the date is
        required), the date when readable, else the French refusal naming the date typed
        (« le 31/11/2025 n'existe pas ») — never ``None`` for text that is there."""
        return None if self.empty else self.parse(field)

    @property
    def disabled(self) -> bool:
        return self.text.disabled

    @disabled.setter
    def disabled(self, value: bool) -> None:
        self.text.disabled = self.picker.disabled = value

    def observe(self, handler, names="value") -> None:
        """Like a widget's ``observe(handler, "value")``: ``handler({"name": "value", "new":
        date | None})`` after every change that gives a readable date (or empties it)."""
        self._listeners.append(handler)

    def on_submit(self, fn) -> None:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.text.on_submit(lambda _w: fn())

    # -- keeping text and calendar together --------------------------------------------
    def _picked(self, change) -> None:
        if self._syncing or change["new"] is None:
            return
        self._syncing = True
        try:
            self.text.value = format_date(change["new"])
        finally:
            self._syncing = False

    def _typed(self, change) -> None:
        d = self.value
        if not self._syncing:
            self._syncing = True
            try:
                self.picker.value = d
            finally:
                self._syncing = False
        if d is not None or not (change["new"] or "").strip():
            for fn in list(self._listeners):
                fn({"name": "value", "new": d})
