"""The whole dashboard: header + one tab per section.

Sections are built once and redrawn only when shown after a change (``stale``): a save
in Saisie costs one cahier read, not seven redraws, and the Bilan's matplotlib charts are
drawn only when someone opens the Bilan.
"""
from __future__ import annotations

import ipywidgets as W

from ..domain.errors import RetkoopError
from .summary import SummarySection
from .cahier import CahierSection
from .cash import CashSection
from .common import GENERIC_ERROR, Context, clear_messages, esc, ko_html
from .exports import ExportsSection
from .header import Header
from .lock import ReadOnly, banner_html
from .attachments import AttachmentsSection
from .entry_form import EntrySection
from .style import CSS


class Dashboard:
    def __init__(self, books, coop: str, exercice: str | None = None):
        self.ctx = ctx = Context(books, coop, exercice)
        if ctx.exercice is None:
            from ..domain.errors import NotFound
            raise NotFound(f"{ctx.info['name']} ({coop}) n'a encore aucun exercice : l'AD doit en ouvrir un "
                           "avant la première saisie")
        self.header = Header(ctx, self._exercice_changed)
        self.banner = W.HTML()
        self.banner.add_class("rk-lock")
        from .boundary import Boundary
        self.boundary = Boundary()  # every callback's unexpected error lands here, with a reference
        self.boundary.install()
        self._read_only = ReadOnly()
        from .inventory import InventorySection
        from .subsidies import SubsidiesSection
        from .history import HistorySection
        # Sections other than Saisie are built the first time they are shown: the first
        # widget appears sooner and an unvisited Bilan never imports matplotlib.
        self._factories = [
            ("entry", EntrySection.title, lambda: EntrySection(ctx)),
            ("cahier", CahierSection.title, lambda: CahierSection(ctx, on_edit=self.open_entry)),
            ("cash", CashSection.title, lambda: CashSection(ctx)),
            ("subsidies", SubsidiesSection.title, lambda: SubsidiesSection(ctx)),
            ("attachments", AttachmentsSection.title, lambda: AttachmentsSection(ctx)),
            ("summary", SummarySection.title, lambda: SummarySection(ctx, on_open_entry=self.open_entry)),
            ("exports", ExportsSection.title, lambda: ExportsSection(ctx)),
            ("inventory", InventorySection.title, lambda: InventorySection(ctx)),  # Formation, if any, stays last
            ("history", HistorySection.title, lambda: HistorySection(ctx)),
        ]
        if ctx.info.get("training"):  # a training sandbox: the guided sequence's checkers
            from .training import TrainingSection
            self._factories.append(("training", TrainingSection.title, lambda: TrainingSection(ctx)))
        self._built: dict[int, object] = {}
        self._slots = [W.VBox() for _ in self._factories]
        self.tabs = W.Tab(children=self._slots)
        for i, (_, title, _f) in enumerate(self._factories):
            self.tabs.set_title(i, title)
        self._section(0)
        self.tabs.add_class("rk-tabs")
        self.tabs.observe(self._tab_changed, "selected_index")
        ctx.on_change(self._changed)
        self.header.refresh()
        self.apply_lock()
        self.root = W.VBox([W.HTML(CSS), self.header.box, self.banner, self.boundary.alert, self.tabs])
        self.root.add_class("rk-app")
        self.tabs.selected_index = 0
        from .live import attach
        self.live = attach(self)  # the others' saved changes and who else is here (widgets/live.py)

    def _section(self, i: int):
        if i not in self._built:
            sec = self._factories[i][2]()
            self._built[i] = sec
            self._slots[i].children = [sec.root]
            if self.__dict__.get("banner") is not None and self.banner.value:
                self.apply_lock()
        return self._built[i]

    @property
    def locked(self) -> bool:
        return not self.ctx.exercice_obj().writable

    def apply_lock(self) -> None:
        """Banner and disabled inputs when the exercice is submitted or closed."""
        self.banner.value = banner_html(self.ctx)
        built = {self._factories[i][0]: sec for i, sec in self._built.items()}
        self._read_only.apply(built, self.locked)

    def __getattr__(self, name):  # dash.cahier, dash.summary…: built on first use
        for i, (key, _t, _f) in enumerate(self.__dict__.get("_factories", ())):
            if key == name:
                return self._section(i)
        raise AttributeError(name)

    @property
    def sections(self):
        return [self._built[i] for i in sorted(self._built)]

    def current(self):
        return self._section(self.tabs.selected_index or 0)

    def show(self, section) -> None:
        i = next(k for k, v in self._built.items() if v is section)
        if self.tabs.selected_index == i:
            section.ensure_fresh()
        else:
            self.tabs.selected_index = i

    def _tab_changed(self, change) -> None:
        """Another section: the messages of the one left (and an old unexpected-error
        line) speak of something no longer on screen."""
        old = change.get("old")
        if old in self._built:
            clear_messages(self._built[old].root)
        self.boundary.clear()
        self._show_current()

    def _show_current(self) -> None:
        try:
            self.current().ensure_fresh()
            if self.locked:  # a redraw may have made new inputs (rows, buttons)
                self.apply_lock()
        except RetkoopError as e:
            self.header.kpis.value = ko_html(str(e))
        except Exception:  # noqa: BLE001
            from .boundary import report
            self.boundary.show(report())

    def _changed(self, what: str) -> None:
        for sec in self.sections:
            sec.stale = True
            if what == "exercice":  # a message about last year's books must not stay on this year's
                clear_messages(sec.root)
        self.entry.stale = False  # the form keeps what is being typed; it refreshes its own lists
        if what == "exercice":
            self.entry.refresh(full=True)
        else:
            self.entry.refresh()
        self.header.refresh()
        self.apply_lock()
        cur = self.current()
        if cur is not self.entry:
            self._show_current()

    def _exercice_changed(self, name: str) -> None:
        self.ctx.set_exercice(name)

    def open_entry(self, entry) -> None:
        """Reopen an entry in the form (from the cahier or an alert)."""
        self.entry.edit(entry)
        self.show(self.entry)


def build_dashboard(books=None, coop: str | None = None, exercice: str | None = None) -> W.Widget:
    """What the notebook calls. With no arguments: the database of ``RETKOOP_DB_URL`` and the
    acting user and coop of ``identity.current_context`` (demo mandataire standalone)."""
    try:
        if books is None or coop is None:
            from ..identity import current_context
            from ..services import Books
            base = books or Books()
            actor, code = current_context(base)
            books = base.as_user(actor)
            coop = coop or code
        return Dashboard(books, coop, exercice).root
    except RetkoopError as e:
        from .style import CSS as _css
        return W.HTML(_css + f'<div class="rk-app">{ko_html(str(e))}</div>')
    except Exception:  # noqa: BLE001 - never a traceback or a database URL on the page
        from .boundary import report
        ref = report()
        return W.HTML(f'<div class="rk-ko">✖ Le tableau de bord n’a pas pu démarrer (réf. {esc(ref)}). '
                      f'{esc(GENERIC_ERROR)}</div>')
