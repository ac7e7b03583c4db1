"""What every section shares: the ``Context`` (books, coop, exercice, cached reads),
labelled fields with an error line beside them, status messages, downloads.

Why a cache: a page view is one kernel for one person; re-reading 2,000 entries for every
keystroke would be slow. The cache is dropped after every write (``ctx.changed()``),
and sections marked stale redraw when they are shown.
"""
from __future__ import annotations

import base64
import html
import logging
from datetime import date
from typing import Callable

import ipywidgets as W

from ..domain.dates import format_date
from ..domain.errors import RetkoopError, ValidationError
from ..domain.money import format_eur

log = logging.getLogger("retkoop.dashboard")

GENERIC_ERROR = ("Une erreur inattendue est survenue : rien n'a été enregistré. "
                 "Réessayez ; si cela recommence, prévenez votre AD.")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")


def esc(text) -> str:
    """Escape for HTML text and double-quoted attributes (apostrophes stay readable)."""
    return html.escape(str(text or ""), quote=False).replace('"', "&quot;")


def fdate(d: date | None) -> str:
    """jj/mm/aaaa (``domain.dates.format_date``: one French date format everywhere)."""
    return format_date(d)


def eur(cents: int | None, signed: bool = False) -> str:
    if cents is None:
        return ""
    if signed and cents > 0:
        return "+" + format_eur(cents)
    return format_eur(cents)


class Context:
    """The books seen by one person, for one coop and one exercice."""

    def __init__(self, books, coop: str, exercice: str | None = None):
        self._books = books
        #: The AD's or formateur's « motif » typed once in the header: every section's change
        #: carries it (``Books.because``); the guard refuses their changes without one.
        self.reason = ""
        self.coop = coop
        self.info = books.coop_info(coop)
        names = [n for n, _ in self.info["exercices"]]
        if exercice is None:
            cur = books.current_exercice(coop)
            exercice = cur.name if cur else None
        if exercice not in names and names:
            exercice = names[-1]
        self.exercice = exercice
        self._listeners: list[Callable[[str], None]] = []
        self._cache: dict = {}

    @property
    def books(self):
        return self._books.because(self.reason) if self.reason else self._books

    # -- cached reads ------------------------------------------------------------------
    def _get(self, key, fn):
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    def chart(self):
        return self._get("chart", lambda: self.books.chart(self.coop))

    def snapshot(self):
        return self._get("snap", lambda: self.books.snapshot(self.coop, self.exercice))

    def exercice_obj(self):
        return self.snapshot().exercice

    def cahier(self):
        from ..domain.ledger import running_balances
        return self._get("cahier", lambda: running_balances(self.exercice_obj(), self.snapshot().entries))

    def cash_counts(self):
        return self.snapshot().cash_counts

    def carried(self):
        """Earlier exercices' bank lines not yet in the bank (the CRF's reconciliation)."""
        return self._get("carried", lambda: self.books.carried_lines(self.coop, self.exercice))

    def deleted_pieces(self):
        return self._get("deleted", lambda: self.books.deleted_pieces(self.coop, self.exercice))

    def subsidies(self):
        return self.snapshot().subsidies

    def entries(self):
        return [line.entry for line in self.cahier()]

    def crf(self):
        """The live CRF, computed by the domain from the cached entries (one read of the
        entries per change, not two)."""
        def make():
            from ..domain.crf import compute_crf
            entries = self.entries()
            b, ex = self.books, self.exercice_obj()
            counts = self.cash_counts()
            return compute_crf(ex, entries, self.chart(), today=b.today(),
                               cash_count=counts[-1] if counts else None, carried=self.carried(),
                               previous=self.books.previous_year(self.coop, self.exercice),
                               subsidies=self.subsidies(), goods=self.snapshot().goods,
                               coop_name=self.info["name"],
                               ad=self.info["ad_name"] or self.info["ad"])
        return self._get("crf", make)

    def balances(self) -> tuple[int, int]:
        lines = self.cahier()
        if lines:
            return lines[-1].bank_balance, lines[-1].cash_balance
        ex = self.exercice_obj()
        return ex.opening_bank, ex.opening_cash

    def entry_by_id(self, entry_id: int):
        for e in self.entries():
            if e.id == entry_id:
                return e
        return None

    def default_day(self) -> date:
        """Today, kept inside the exercice (a teacher finishing last year's books in
        November gets 31/08, not a date the books would refuse)."""
        ex = self.exercice_obj()
        today = self.books.today()
        return min(max(today, ex.start), ex.end)

    # -- change notification -----------------------------------------------------------
    def on_change(self, fn: Callable[[str], None]) -> None:
        self._listeners.append(fn)

    def changed(self, what: str = "entries") -> None:
        keep = {"chart"}
        self._cache = {k: v for k, v in self._cache.items() if k in keep}
        for fn in list(self._listeners):
            fn(what)

    def set_exercice(self, name: str) -> None:
        self.exercice = name
        self.changed("exercice")


_UNNAMED = (W.Button, W.Checkbox, W.ToggleButtons, W.HTML, W.Label, W.HTMLMath, W.FileUpload)


def name_input(widget: W.Widget, label: str) -> None:
    """Give an input its accessible name (screen readers, RGAA): ipywidgets ties a
    ``<label for>`` to the input only through ``description``; ours stays visually hidden
    (``rk-named``) because the visible label is the one ``field`` draws above. A box names
    each of its inputs."""
    if isinstance(widget, W.Box):
        for child in widget.children:
            name_input(child, label)
        return
    if isinstance(widget, _UNNAMED) or not hasattr(widget, "description") or widget.description:
        return
    widget.description = label
    widget.add_class("rk-named")


def field(label: str, widget: W.Widget, width: str | None = None, err: W.HTML | None = None) -> W.VBox:
    """A label above the widget and a French error line below it (and the same label tied to
    the input for screen readers)."""
    name_input(widget, label)
    kids = [W.HTML(f'<div class="rk-lbl">{esc(label)}</div>'), widget]
    if err is not None:
        kids.append(err)
    box = W.VBox(kids, layout=W.Layout(width=width) if width else W.Layout())
    box.add_class("rk-field")
    return box


def err_label() -> W.HTML:
    e = W.HTML("")
    e.add_class("rk-err")
    return e


def status_line(*classes: str) -> W.HTML:
    """A status message (« ✔ … enregistrée », « ✖ … »). Marked ``rk-msg`` so that
    ``clear_messages`` can empty it when what it speaks of is no longer on screen."""
    h = W.HTML()
    h.add_class("rk-msg")
    for c in classes:
        h.add_class(c)
    return h


def clear_messages(widget: W.Widget) -> None:
    """Empty every status message under ``widget`` (another section, another exercice: an
    old « ✔ joint à la pièce 043 » must not stand above a different 043)."""
    stack = [widget]
    while stack:
        w = stack.pop()
        if isinstance(w, W.HTML) and "rk-msg" in w._dom_classes:
            w.value = ""
        stack.extend(getattr(w, "children", ()) or ())


def ok_html(msg: str) -> str:
    return f'<div class="rk-ok">✔ {esc(msg)}</div>'


def ko_html(msgs: list[str] | str, title: str = "") -> str:
    if isinstance(msgs, str):
        msgs = [msgs]
    if len(msgs) == 1 and not title:
        return f'<div class="rk-ko">✖ {esc(_cap(msgs[0]))}</div>'
    items = "".join(f"<li>{esc(_cap(m))}</li>" for m in msgs)
    return f'<div class="rk-ko">✖ {esc(title or "Rien n’a été enregistré :")}<ul>{items}</ul></div>'


def info_html(msg: str) -> str:
    return f'<div class="rk-info">{esc(msg)}</div>'


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def attempt(fn: Callable, status: W.HTML, on_problems: Callable[[ValidationError], None] | None = None):
    """Run a use case; show refusals in French, never a traceback. Returns (ok, result)."""
    try:
        return True, fn()
    except ValidationError as e:
        if on_problems is not None:
            on_problems(e)
        status.value = ko_html([p.message for p in e.problems])
    except RetkoopError as e:
        status.value = ko_html(str(e))
    except Exception:  # noqa: BLE001 - a person sees a sentence; the log keeps the detail
        from .boundary import report, unexpected_message
        status.value = ko_html(unexpected_message(report()))
    return False, None


def uploaded_files(value, default: str = "fichier") -> list[tuple[str, bytes]]:
    """A FileUpload's value as ``[(name, bytes)]`` (ipywidgets 8 gives a tuple of dicts or
    objects, content as a memoryview): the one upload decoder of the dashboard."""
    out = []
    for f in value or ():
        name = f.get("name", default) if isinstance(f, dict) else getattr(f, "name", default)
        content = f.get("content") if isinstance(f, dict) else getattr(f, "content", b"")
        out.append((name or default, bytes(content or b"")))
    return out


def download_link(content: bytes, filename: str, mime: str, label: str) -> str:
    """A data-URI ``<a download>``: the simplest download that works through Voilà."""
    b64 = base64.b64encode(content).decode("ascii")
    return (f'<a class="rk-pill" style="text-decoration:none;background:#dbeafe;color:#1e3a8a;padding:4px 10px" '
            f'download="{esc(filename)}" href="data:{mime};base64,{b64}">⬇ {esc(label)}</a>')


def button(label: str, style: str = "", cls: str = "", icon: str = "", width: str | None = None) -> W.Button:
    b = W.Button(description=label, button_style=style, icon=icon,
                 layout=W.Layout(width=width) if width else W.Layout(width="auto"))
    if cls:
        b.add_class(cls)
    return b


def month_options(ex) -> list[tuple[str, str]]:
    out = [("Tous les mois", "")]
    y, m = ex.start.year, ex.start.month
    for _ in range(12):
        out.append((f"{MONTHS[m - 1]} {y}", f"{y:04d}-{m:02d}"))
        m += 1
        if m == 13:
            y, m = y + 1, 1
    return out


class Section:
    """A tab: builds its widgets once, redraws (``refresh``) only when shown and stale."""

    title = ""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.stale = True
        self.root: W.Widget = W.VBox()

    def refresh(self) -> None:  # pragma: no cover - overridden
        self.stale = False

    def ensure_fresh(self) -> None:
        if self.stale:
            self.refresh()
            self.stale = False


def logout_html() -> str:
    """« Se déconnecter » (a shared school computer must be left logged out): the hub's
    logout, which ends the session server-side (docs/security.md). Nothing outside a hub."""
    from ..settings import settings
    base = settings().hub_base_url
    if not base:
        return ""
    href = esc(base.rstrip("/") + "/hub/logout")
    return (f'<a class="rk-logout" href="{href}" target="_top" '
            'title="Fermer la session sur cet ordinateur">Se déconnecter</a>')
