"""JupyterHub authenticator over Retkoop's own ``app_user`` table.

Why our own: ``jupyterhub-nativeauthenticator`` answers every login with a 500 on
JupyterHub 6 and keeps accounts in the Hub's database (stack notes). Accounts belong with
the books (backed up with them, managed by the AD); the Hub's database stays disposable.

* ``authenticate`` checks the password with ``services.accounts`` (argon2, lockout after five
  failures stored in the database) in a worker thread, and returns the user's groups
  (``role-…``, ``coop-…``, ``ad-…``, ``formation``): with ``manage_groups`` the Hub keeps
  them in sync at every login.
* ``RetkoopLoginHandler`` shows French refusals (including "locked until HH:MM") and sends
  a person with a temporary password to ``/hub/mot-de-passe`` before anything else.
* ``PasswordHandler`` is that page: current password, new one twice.
"""
from __future__ import annotations

import asyncio

from jupyterhub.auth import Authenticator
from jupyterhub.handlers.base import BaseHandler
from jupyterhub.handlers.login import LoginHandler
from jupyterhub.utils import url_path_join
from tornado import web
from tornado.httputil import url_concat
from traitlets import Bool, Unicode, default

from ..domain.errors import RetkoopError, ValidationError
from ..services.accounts import Accounts

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

    def accounts(self) -> Accounts:
        return Accounts(self.db_url or None)

    async def authenticate(self, handler, data):
        login = (data or {}).get("username", "")
        password = (data or {}).get("password", "")
        result = await asyncio.to_thread(self.accounts().verify_login, login, password)
        if not result.ok:
            if handler is not None:
                handler._retkoop_login_error = _sentence(result.message)
            return None
        p = result.profile
        return {"name": p.login, "groups": p.groups, "admin": False}

    def get_handlers(self, app):
        return [("/login", RetkoopLoginHandler), (f"/{PASSWORD_PATH}", PasswordHandler)]


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
        try:
            await asyncio.to_thread(self.authenticator.accounts().change_password, user.name, old, new)
        except ValidationError as e:
            self.set_status(400)
            self.finish(await self._render(" ; ".join(_sentence(p.message) for p in e.problems)))
            return
        except RetkoopError as e:
            self.set_status(403)
            self.finish(await self._render(_sentence(str(e))))
            return
        self.redirect(self.get_next_url(user))
