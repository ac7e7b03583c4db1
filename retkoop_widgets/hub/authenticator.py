"""JupyterHub authenticator over Retkoop's own ``app_user`` table.

Why our own: ``jupyterhub-nativeauthenticator`` answers every login with a 500 on
JupyterHub 6 and keeps accounts in the Hub's database (stack notes). Accounts belong with
the books (backed up with them, managed by the AD); the Hub's database stays disposable.

* ``authenticate`` checks the password with ``services.accounts`` (argon2; every failure
  audited) in a worker thread, after the login throttle (``throttle.py``: growing delays
  per login and source address, never a lock), and returns the user's groups (``role-…``,
  ``coop-…``, ``ad-…``, ``formation``): with ``manage_groups`` the Hub keeps them in sync
  at every login. Unknown login, wrong password, throttled: one and the same sentence.
* Sessions end for real (``sessions.py``): logout, and any change of the account's session
  stamp (reset, deactivation, role or coop change) seen by ``refresh_user`` or the session watch,
  rotate the cookie id, revoke the tokens and stop the server.
* ``RetkoopLoginHandler`` shows French refusals and sends a person with a temporary
  password to ``/hub/mot-de-passe`` before anything else.
* ``PasswordHandler`` is that page: current password, new one twice.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

from jupyterhub.auth import Authenticator
from jupyterhub.handlers.base import BaseHandler
from jupyterhub.handlers.login import LoginHandler
from jupyterhub.utils import url_path_join
from tornado import web
from tornado.httputil import url_concat
from traitlets import Bool, Float, Integer, List, Unicode, default

from ..domain.errors import RetkoopError, ValidationError
from ..services.accounts import REFUSED, Accounts
from .sessions import NoTokenPageHandler, RetkoopLogoutHandler, SessionWatch, end_sessions
from .throttle import LoginThrottle, client_address

PASSWORD_PATH = "mot-de-passe"


def _sentence(msg: str) -> str:
    return msg[:1].upper() + msg[1:] + ("" if msg.endswith(".") else ".")


class RetkoopAuthenticator(Authenticator):
    """Username/password login on Retkoop accounts; no self sign-up."""

    db_url = Unicode("", config=True, help="Retkoop database URL (default: $RETKOOP_DB_URL).")
    manage_groups = Bool(True, config=True)

    @default("allow_all")
    def _allow_all(self):
        # authenticate() already refuses anyone without an active account.
        return True

    free_failures = Integer(3, config=True, help="Wrong passwords per (login, address) before delays.")
    base_delay = Float(2.0, config=True, help="First delay (s) after the free failures; doubles each time.")
    max_delay = Float(900.0, config=True, help="Longest delay (s) between two attempts of one (login, address).")
    free_failures_per_address = Integer(30, config=True,
                                        help="Wrong passwords per address, all logins together, before delays.")
    trusted_proxies = List(Unicode(), default_value=[], config=True,
                           help="Addresses of the reverse proxy (nginx) whose X-Real-IP is believed.")
    session_watch_interval = Float(5.0, config=True,
                                   help="Seconds between two checks of the accounts' session stamps (0: off).")
    session_stamps_file = Unicode("", config=True, help="Where the hub keeps the session stamps (0600).")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.throttle = LoginThrottle(self.free_failures, self.base_delay, self.max_delay,
                                      self.free_failures_per_address)
        self.watch = SessionWatch(self, Path(self.session_stamps_file) if self.session_stamps_file else None,
                                  self.session_watch_interval)
        self.watch.start()

    def accounts(self) -> Accounts:
        return Accounts(self.db_url or None)

    async def authenticate(self, handler, data):
        self.watch.start()
        login = ((data or {}).get("username", "") or "").strip().lower()
        password = (data or {}).get("password", "")
        address = client_address(handler.request, self.trusted_proxies) if handler is not None else "?"
        accounts = self.accounts()
        if self.throttle.wait(login, address) > 0:
            await asyncio.to_thread(accounts.record_login_refusal, login, "login_throttled", address)
            return self._refuse(handler, REFUSED)
        result = await asyncio.to_thread(accounts.verify_login, login, password, address)
        if not result.ok:
            if result.message == REFUSED:
                delay = self.throttle.failure(login, address)
                if delay:
                    await asyncio.to_thread(accounts.record_login_refusal, login, "login_throttled", address,
                                            {"secondes": int(delay)})
            return self._refuse(handler, result.message)
        self.throttle.success(login, address)
        p = result.profile
        stamps = await asyncio.to_thread(accounts.session_stamps)
        self.watch.remember(p.login, stamps.get(p.login))
        return {"name": p.login, "groups": p.groups, "admin": False}

    def _refuse(self, handler, message: str):
        if handler is not None:
            handler._retkoop_login_error = _sentence(message)
        return None

    async def refresh_user(self, user, handler=None):
        """A session whose account changed (reset, deactivation, role/coop) ends at its next request;
        a deactivated account cannot log in again (``Accounts.verify_login``)."""
        self.watch.start()
        stamps = await asyncio.to_thread(self.accounts().session_stamps)
        if self.watch.changed(user.name, stamps.get(user.name)):
            await self.watch.sweep()
            return False
        return True

    def get_handlers(self, app):
        return [("/login", RetkoopLoginHandler), ("/logout", RetkoopLogoutHandler),
                ("/token", NoTokenPageHandler), (f"/{PASSWORD_PATH}", PasswordHandler)]


class RetkoopLoginHandler(LoginHandler):
    async def post(self):
        data = {}
        for arg in self.request.body_arguments:
            if arg != "_xsrf":
                data[arg] = self.get_argument(arg, strip=arg == "username")
        user = await self.login_user(data)
        if user:
            self._jupyterhub_user = user
            next_url = self.get_next_url(user)
            profile = await asyncio.to_thread(self.authenticator.accounts().profile, user.name)
            if profile.must_change_password:
                self.redirect(url_concat(url_path_join(self.hub.base_url, PASSWORD_PATH), {"next": next_url}))
            else:
                self.redirect(next_url)
            return
        message = getattr(self, "_retkoop_login_error", None) or "Identifiant ou mot de passe incorrect."
        self.set_status(403)
        username = data.get("username", "")[:64]
        self.finish(await self._render(login_error=message, username=username))


class PasswordHandler(BaseHandler):
    """Change one's own password (forced after a temporary one)."""

    def _render(self, error: str = "", done: bool = False):
        user = self.current_user
        profile = self.authenticator.accounts().profile(user.name)
        return self.render_template(
            "retkoop_password.html", error=error, done=done, forced=profile.must_change_password,
            next=self.get_argument("next", ""), xsrf=self.xsrf_token.decode("ascii"))

    @web.authenticated
    async def get(self):
        self.finish(await self._render())

    @web.authenticated
    async def post(self):
        user = self.current_user
        old = self.get_argument("old_password", "", strip=False)
        new = self.get_argument("new_password", "", strip=False)
        again = self.get_argument("new_password_again", "", strip=False)
        if new != again:
            self.set_status(400)
            self.finish(await self._render("Les deux nouveaux mots de passe ne sont pas identiques."))
            return
        accounts = self.authenticator.accounts()
        try:
            await asyncio.to_thread(accounts.change_password, user.name, old, new)
        except ValidationError as e:
            self.set_status(400)
            self.finish(await self._render(" ; ".join(_sentence(p.message) for p in e.problems)))
            return
        except RetkoopError as e:
            self.set_status(403)
            self.finish(await self._render(_sentence(str(e))))
            return
        # Any other copy of this person's cookie or token ends here; this browser gets a new
        # cookie (the server did not run: a temporary password blocks it, or it keeps running).
        await end_sessions(self.authenticator.parent, user, stop_server=False, log=self.log)
        stamps = await asyncio.to_thread(accounts.session_stamps)
        self.authenticator.watch.remember(user.name, stamps.get(user.name))
        self.set_login_cookie(user)
        self.redirect(self.get_next_url(user))
