"""Working together, live: a dashboard sees the others' saved changes and who else is there.

Two dashboards open on the same coop (the teacher and her AD, two mandataires) see each
other's saved changes within two seconds, without a reload: the cahier, the header's
balances and alerts refresh, a form whose entry changed underneath says so
(``EntryForm.changed_underneath``), and a line says who else has the coop open
(« ad76 consulte aussi ce cahier »).

How, and why this way (figures in docs/dashboard.md):

* **The database is the source of truth.** ``services.live.change_token`` reads the coop's
  change counter, which a trigger bumps inside every transaction that audits a change.
  A different number ⇒ ``ctx.changed("live")``, the same refresh as after one's own save
  (the form keeps what is being typed). On PostgreSQL the kernel also LISTENs
  (``services.live.notifications``): a commit anywhere wakes it at once, and the counter
  is then only re-read every ``SAFETY_POLL`` seconds in case the connection was lost.
* **One ``LiveHub`` per kernel**, whatever the number of dashboards in it: one tornado
  ``PeriodicCallback`` on the kernel's IOLoop (ipykernel runs one on its main thread, the
  thread that handles the widgets' messages), one worker thread for the database reads,
  one PostgreSQL listening connection. A tick with nothing due returns at once; the
  reads run on the worker thread, so a slow database never freezes a click; the widgets
  are only touched back on the IOLoop. No loop (tests, a plain script): nothing is
  scheduled and ``LiveLink.tick()`` does one round synchronously.
* **Errors never stop it**: a failing round is logged once a minute with a reference
  (``boundary.report``) and the next tick tries again; a lost PostgreSQL connection is
  re-opened with a growing delay while the counter is polled every second meanwhile.
"""
from __future__ import annotations

import asyncio
import atexit
import logging
import secrets
import time
import weakref
from concurrent.futures import ThreadPoolExecutor

import ipywidgets as W

from ..domain.errors import RetkoopError
from ..services import live as svc
from .common import esc

log = logging.getLogger("retkoop.dashboard")

TICK_MS = 1000  # how often the hub looks whether something is due (cheap when nothing is)
POLL = 1.0  # seconds between two reads of the counter without notifications (SQLite)
SAFETY_POLL = 15.0  # the same with PostgreSQL notifications working
PING_MS = 4000  # the page's own heartbeat (a hidden ipywidgets Play ticking in the browser)
PAGE_GONE = 20.0  # no ping for this long: the tab was closed (its kernel lives on until culled)
ERROR_LOG_EVERY = 60.0  # seconds between two logged failures of the same kind


class LiveLink:
    """One dashboard's side: its session, the last counter it refreshed for, its presence
    line. ``tick()`` is one synchronous round (tests); the hub runs ``read`` on its worker
    thread and ``apply`` on the IOLoop."""

    def __init__(self, dash):
        self.dash = weakref.proxy(dash)
        self.books, self.coop = dash.ctx.books, dash.ctx.coop
        self.session = secrets.token_hex(8)
        self.presence = W.HTML("")
        self.presence.add_class("rk-presence")
        # Closing a tab does not stop its kernel (Voilà keeps it until culled): only the
        # browser can say the page is still there. A hidden Play widget counts in the page
        # and sends its value every PING_MS; when the pings stop, this dashboard stops
        # reading, leaves the others' presence lines, and comes back on the next ping.
        self.ping = W.Play(value=0, min=0, max=100, step=1, interval=PING_MS, repeat=True,
                           playing=False, show_repeat=False, layout=W.Layout(display="none"))
        self.ping.observe(self._pinged, "value")
        self.box = W.HBox([self.presence, self.ping])
        self.box.add_class("rk-presence-box")
        self.created = time.monotonic()
        self.last_ping: float | None = None
        self.gone = False
        self.token = svc.change_token(self.books, self.coop)
        # First of the context's listeners: after one's own change, the counter is read
        # BEFORE the sections re-read the books, so every change it counts is in what they
        # show and the next round has nothing to redo (no second refresh after each save —
        # which would also drop a PDF being made in Exports). Reading it after the re-read
        # could swallow another session's change committed in between.
        dash.ctx._listeners.insert(0, self._own_change)
        self.others: list[svc.Presence] = []
        self.next_poll = self.next_beat = self.next_sure = 0.0
        self.hint = svc.change_hint(self.books)
        self.dirty = False  # a notification named this coop
        self.closed = False

    # -- one round ---------------------------------------------------------------------
    def _own_change(self, what: str) -> None:
        if what == "live" or self.closed:
            return
        try:
            self.token = svc.change_token(self.books, self.coop)
        except Exception:  # noqa: BLE001 - the next round reads it, and refreshes once more
            pass

    def _pinged(self, _change) -> None:
        self.last_ping = time.monotonic()
        if self.gone:  # the page is back (a reconnection): it may have missed changes
            self.gone, self.dirty, self.next_beat = False, True, 0.0

    def start_pings(self) -> None:
        """The Play's view starts counting only on a change of ``playing`` from false to
        true, which it must be there to see: until the first ping arrives, each round
        toggles it (the page may still be loading)."""
        if self.last_ping is None:
            self.ping.playing = False
            self.ping.playing = True

    def page_gone(self, now: float) -> bool:
        """No ping for PAGE_GONE seconds (none at all: since the link was made)."""
        return now - (self.last_ping if self.last_ping is not None else self.created) > PAGE_GONE

    def due(self, now: float, listening: bool) -> tuple[bool, bool]:
        """(read the counter?, send a heartbeat?) at monotonic time ``now``. Without
        notifications the counter is read when the free clue (``change_hint``: SQLite's
        file sizes and times) moved, or every ``SAFETY_POLL`` seconds whatever it says."""
        poll = self.dirty
        if not poll and now >= self.next_poll - 0.05:  # (a periodic tick may come a hair early)
            self.next_poll = now + (SAFETY_POLL if listening else POLL)
            hint = None if listening else svc.change_hint(self.books)
            poll = (hint is None and not listening) or hint != self.hint or now >= self.next_sure
            self.hint = hint
        if poll:
            self.dirty = False
            self.next_sure = now + SAFETY_POLL
        beat = now >= self.next_beat - 0.05
        if beat:
            self.next_beat = now + svc.HEARTBEAT
        return poll, beat

    def read(self, poll: bool | None, beat: bool | None):
        """The database part (any thread): the counter and/or the others present; ``None,
        None``: the page is gone, its presence row goes."""
        if poll is None:
            svc.leave(self.books, self.coop, self.session)
            return None, None
        token = svc.change_token(self.books, self.coop) if poll else None
        others = svc.heartbeat(self.books, self.coop, self.session) if beat else None
        return token, others

    def apply(self, token, others) -> None:
        """The widget part (the IOLoop's thread)."""
        if self.closed:
            return
        if token is not None and token != self.token:
            self.token = token
            self.refresh()
        if others is not None and others != self.others:
            self.others = others
            self.presence.value = presence_html(others)

    def tick(self) -> None:
        now = time.monotonic()  # the hub's next round waits its turn
        self.next_poll, self.next_beat, self.next_sure, self.dirty = (now + POLL, now + svc.HEARTBEAT,
                                                                      now + SAFETY_POLL, False)
        self.apply(*self.read(True, True))

    def refresh(self) -> None:
        """Someone else changed the coop: the same refresh as after one's own save (the
        cahier, the header's balances and alerts; the form keeps what is typed), then the
        form is told if the entry it holds changed underneath."""
        dash = self.dash
        dash.ctx.changed("live")
        dash.header.check_notice()  # a correction by the AD: the teacher's notice, at once
        form = dash.entry.form
        if form.editing:
            entry_id, version, _piece = form.editing
            now = dash.ctx.entry_by_id(entry_id)
            if now is None or now.version != version:
                who = svc.last_change(self.books, self.coop, "entry", entry_id)
                form.changed_underneath(now, who.actor if who else "")

    def close(self) -> None:
        self.closed = True
        try:
            svc.leave(self.books, self.coop, self.session)
        except Exception:  # noqa: BLE001 - the row expires anyway
            pass


def presence_html(others: list[svc.Presence]) -> str:
    """« ad76 consulte aussi ce cahier », « ad76 et prof2 consultent aussi ce cahier », and
    the viewer's own other windows."""
    names = [p.login for p in others if not p.mine]
    mine = any(p.mine for p in others)
    if not names and not mine:
        return ""
    if names:
        who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " et " + names[-1]
        text = f"{who} {'consulte' if len(names) == 1 else 'consultent'} aussi ce cahier"
        if mine:
            text += " (et vous, dans une autre fenêtre)"
    else:
        text = "Ce cahier est aussi ouvert dans une autre fenêtre à votre nom"
    dot = ('<span aria-hidden="true" style="display:inline-block;width:8px;height:8px;border-radius:50%;'
           'background:#16a34a;margin-right:6px"></span>')
    return (f'<div class="rk-presence-line" role="status" style="display:inline-block;background:#ecfdf5;'
            f'color:#065f46;border:1px solid #a7f3d0;border-radius:12px;padding:2px 12px;margin:4px 0;'
            f'font-size:13px">{dot}<b>{esc(text)}</b> — les modifications enregistrées s’affichent ici '
            f'd’elles-mêmes.</div>')


class LiveHub:
    """The kernel's one watcher: every dashboard of the kernel registers its ``LiveLink``."""

    def __init__(self):
        self.links: "weakref.WeakSet[LiveLink]" = weakref.WeakSet()
        self.timer = None
        self.executor: ThreadPoolExecutor | None = None
        self.running = False  # a round is in flight: the next tick does not pile up
        self.listening: dict[str, bool] = {}  # database → its LISTEN connection is up
        self.listeners: dict[str, asyncio.Task] = {}
        self.last_error: dict[str, float] = {}
        self.rounds = 0

    def add(self, link: LiveLink) -> None:
        self.links.add(link)
        self._start()
        self._listen(link.books)

    # -- scheduling on the kernel's IOLoop ---------------------------------------------
    @staticmethod
    def _loop():
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            return None

    def _start(self) -> None:
        if self.timer is not None or self._loop() is None:
            return
        from tornado.ioloop import PeriodicCallback
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="retkoop-live")
        self.timer = PeriodicCallback(self._tick, TICK_MS)
        self.timer.start()

    def _tick(self) -> None:
        if self.running:
            return
        now = time.monotonic()
        work = []
        for link in list(self.links):
            if link.closed or link.gone:
                continue
            link.start_pings()
            if link.page_gone(now):  # a closed tab: no reads, and the others stop seeing it
                link.gone = True
                work.append((link, None, None))
                continue
            poll, beat = link.due(now, self.listening.get(_key(link.books), False))
            if poll or beat:
                work.append((link, poll, beat))
        if not work:
            return  # nothing due: no thread, no database
        self.running = True
        asyncio.ensure_future(self._round(work))

    async def _round(self, work) -> None:
        try:
            loop = asyncio.get_running_loop()
            results = await loop.run_in_executor(self.executor, _read_all, work)
            for link, outcome in results:
                if isinstance(outcome, BaseException):
                    self._failed("read", outcome)
                    continue
                try:
                    link.apply(*outcome)
                except Exception as exc:  # noqa: BLE001 - one dashboard's failure stops nobody
                    self._failed("apply", exc)
            self.rounds += 1
        except Exception as exc:  # noqa: BLE001
            self._failed("round", exc)
        finally:
            self.running = False

    def _failed(self, kind: str, exc: BaseException) -> None:
        """Log a failure with a reference, at most once a minute per kind (a database down
        for an hour is one line a minute, not 3,600)."""
        now = time.monotonic()
        if now - self.last_error.get(kind, -ERROR_LOG_EVERY) < ERROR_LOG_EVERY:
            return
        self.last_error[kind] = now
        if isinstance(exc, RetkoopError):  # e.g. the coop no longer readable: say it plainly
            log.warning("mise à jour en direct (%s) : %s", kind, exc)
            return
        from .boundary import report
        report((type(exc), exc, exc.__traceback__))

    # -- PostgreSQL notifications --------------------------------------------------------
    def _listen(self, books) -> None:
        key = _key(books)
        if key in self.listeners or self._loop() is None or not svc.can_notify(books):
            return
        self.listeners[key] = asyncio.ensure_future(self._listener(books, key))

    async def _listener(self, books, key: str) -> None:
        delay = 1.0
        while True:
            feed = svc.notifications(books)
            try:
                async for coop in feed:
                    self.listening[key] = True
                    delay = 1.0
                    woke = False
                    for link in list(self.links):  # "": (re)connected, changes may have been missed
                        if (coop == "" or link.coop == coop) and _key(link.books) == key:
                            link.dirty = woke = True
                    if woke:
                        self._tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - poll every second until it is back
                self._failed("listen", exc)
            finally:
                self.listening[key] = False
                await feed.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)

    def close(self) -> None:
        for link in list(self.links):
            link.close()


def _key(books) -> str:
    engine = getattr(books, "engine", None)
    return str(engine.url) if engine is not None else str(id(books.uow_factory))


def _read_all(work):
    out = []
    for link, poll, beat in work:
        try:
            out.append((link, link.read(poll, beat)))
        except Exception as exc:  # noqa: BLE001 - returned to the IOLoop, logged there
            out.append((link, exc))
    return out


_HUB: LiveHub | None = None


def hub() -> LiveHub:
    global _HUB
    if _HUB is None:
        _HUB = LiveHub()
        atexit.register(_HUB.close)  # the kernel stops: our presence rows go at once
    return _HUB


def attach(dash) -> LiveLink | None:
    """Make ``dash`` live: its presence line under the header, its link in the kernel's
    hub. A failure here leaves a working dashboard that is simply not live (logged)."""
    try:
        link = LiveLink(dash)
        link.tick()  # who is already there, at once; and we are seen at once
        kids = list(dash.root.children)
        kids.insert(kids.index(dash.header.box) + 1, link.box)
        dash.root.children = kids
        hub().add(link)
        return link
    except Exception:  # noqa: BLE001
        from .boundary import report
        report()
        return None
