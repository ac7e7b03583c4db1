"""Sessions that really end.

JupyterHub's login cookie carries the user's ``cookie_id``, signed with the cookie secret;
``/hub/logout`` only asks the browser to forget it, so a copy stays valid for 30 days, and
API tokens survive too. Here ending a session is done on the server side:

* ``end_sessions``: rotate the user's ``cookie_id`` (every copy of the old cookie now names
  nobody), delete all their API and OAuth tokens (the single-user server's own cookie holds
  one of them), and stop their server (its kernels with it).
* ``RetkoopLogoutHandler``: ``/hub/logout`` does that.
* ``SessionWatch``: every ``interval`` seconds the hub reads each account's *session stamp*
  (``Accounts.session_stamps``: password hash, role, coop, AD, active) and ends the sessions
  of any account whose stamp changed since its login: ``retkoop user reset``/``lock``, a role
  or coop change, an AD's reset from the dashboard, all from another process. Stamps are
  kept in the hub's data folder (0600) so a hub restart still notices. It also clears the
  login throttle of the logins ``retkoop user unlock``/``reset`` released.
  An account deleted or moved to a role without code also loses its OS user and home.
* ``NoTokenPageHandler``: mandataires have no use for API tokens and get no token page (the
  ``tokens`` scope is not theirs either, see ``hub_config``).
"""
from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from jupyterhub import orm
from jupyterhub.handlers.login import LogoutHandler
from jupyterhub.handlers.pages import TokenPageHandler
from jupyterhub.utils import new_token
from tornado import web


async def end_sessions(app, user, *, stop_server: bool = True, log=None) -> None:
    """Invalidate every cookie and token of ``user`` and stop their servers."""
    db = app.db
    orm_user = user.orm_user
    orm_user.cookie_id = new_token()
    for token in list(orm_user.api_tokens):
        db.delete(token)
    db.commit()
    if log:
        log.info("retkoop: sessions, tokens%s of %s ended", " and server" if stop_server else "", user.name)
    if not stop_server:
        return
    for name, spawner in list(user.spawners.items()):
        if spawner.pending == "stop" or not (spawner.active or spawner.pending):
            continue
        try:
            if spawner.pending == "spawn" and spawner._spawn_future is not None:
                try:
                    await asyncio.wait_for(asyncio.shield(spawner._spawn_future), 120)
                except Exception:
                    pass
            await app.proxy.delete_user(user, name)
            await user.stop(name)
        except Exception as e:  # keep ending the other sessions
            if log:
                log.warning("retkoop: could not stop %s's server: %s", user.name, e)


class RetkoopLogoutHandler(LogoutHandler):
    async def default_handle_logout(self):
        user = self.current_user
        await super().default_handle_logout()  # clears cookies, stops servers (shutdown_on_logout)
        if user is not None and getattr(user, "kind", "user") == "user":
            await end_sessions(self.authenticator.parent, user, log=self.log)


class NoTokenPageHandler(TokenPageHandler):
    """The token page, refused to people who may not hold tokens (mandataires)."""

    @web.authenticated
    async def get(self):
        user = self.current_user
        groups = {g.name for g in getattr(user, "groups", [])}
        if "role-mandataire" in groups or not groups & {"role-admin-ad", "role-formateur", "role-analyste"}:
            raise web.HTTPError(404)
        return await super().get()


class SessionWatch:
    def __init__(self, authenticator, stamps_file: Path, interval: float):
        self.auth = authenticator
        self.file = Path(stamps_file) if stamps_file else None
        self.interval = interval
        self.known: dict[str, str] = {}
        self.unlock_mark = 0
        self._task = None
        if self.file and self.file.exists():
            try:
                self.known = json.loads(self.file.read_text())
            except ValueError:
                self.known = {}

    def start(self) -> None:
        if self._task is None and self.interval > 0:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return  # started later, from the first request
            self._task = loop.create_task(self._loop())

    def _save(self) -> None:
        if not self.file:
            return
        tmp = self.file.with_name(self.file.name + ".tmp")
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(self.known, f)
        os.replace(tmp, self.file)

    def remember(self, login: str, stamp: str | None) -> None:
        if stamp and self.known.get(login) != stamp:
            self.known[login] = stamp
            self._save()

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.sweep()
            except Exception as e:
                self.auth.log.warning("retkoop session watch: %s", e)

    async def sweep(self) -> list[str]:
        """End the sessions of accounts whose stamp changed; returns their logins."""
        accounts = self.auth.accounts()
        stamps = await asyncio.to_thread(accounts.session_stamps)
        self.unlock_mark, released = await asyncio.to_thread(accounts.unlock_events, self.unlock_mark)
        for login in released:
            self.auth.throttle.clear(login)
        app = self.auth.parent
        ended = []
        for login, old in list(self.known.items()):
            if stamps.get(login) == old:
                continue
            try:
                user = app.users[login] if app is not None else None
            except KeyError:
                user = None
            if user is not None:
                await end_sessions(app, user, log=self.auth.log)
            ended.append(login)
            if login in stamps:
                self.known[login] = stamps[login]
            else:
                del self.known[login]
        for login in ended:
            await asyncio.to_thread(self._drop_os_user, accounts, login)
        if ended:
            self._save()
        return ended

    @staticmethod
    def _drop_os_user(accounts, login: str) -> None:
        """An account deleted, or moved to a role that runs no code, loses its OS user and
        home (``isolation.remove_os_user``); a lock or a reset keeps them (the work stays)."""
        from ..domain.actor import ANALYSTE, FORMATEUR
        from ..domain.errors import NotFound
        from . import isolation
        if os.geteuid() != 0 or isolation.lookup(isolation.os_user_name(login)) is None:
            return
        try:
            keep = accounts.profile(login).role in (FORMATEUR, ANALYSTE)
        except NotFound:
            keep = False
        if not keep:
            isolation.remove_os_user(login)

    def changed(self, login: str, stamp: str | None) -> bool:
        old = self.known.get(login)
        return old is not None and old != stamp


def is_user_orm(obj) -> bool:
    return isinstance(obj, orm.User)
