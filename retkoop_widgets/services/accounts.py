"""User accounts: create, reset, change password, verify a login (with lockout).

Accounts live in Retkoop's own database (``app_user``), never in the Hub's: the Hub's
database is disposable state, accounts are data the AD manages and backs up with the books.

* Passwords are hashed with argon2 (argon2-cffi); hashes are upgraded on login when the
  parameters change.
* No self sign-up: only the platform (``system``) or an AD (``admin-ad``, within its own AD)
  creates and resets accounts.
* An account created or reset with a generated temporary password must change it at first
  login (``must_change_password``); a password chosen by the creator (``--password-stdin``)
  is final.
* No lock after wrong passwords (a stranger could keep anyone out): the hub slows failures
  down per (login, source address) (``hub/throttle.py``); every failure is audited here
  (``login_failed``, with the address), ``failed_logins`` counts them for ``user list``.
  An operator or an AD *deactivates* an account (a departing mandataire: ``deactivate``,
  ``retkoop user deactivate``; ``lock`` is its old name) and ``reactivate``s it; the state
  an AD sees (actif, provisoire, verrouillé, désactivé) is ``domain.passwords.account_state``.
* Storage is ``storage.accounts_repo`` through the unit of work (``uow.repo.user(…)``):
  no ORM row here, and the service tests run on the in-memory fake as well.
* ``session_stamps``: a digest per account of what a session was opened with (password
  hash, role, coop, AD, active); the hub ends every session, token and server of an
  account whose stamp changed (reset, lock, role or coop change: ``hub/sessions.py``).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine

from ..domain import passwords as rules
from ..domain.actor import ADMIN_AD, FORMATEUR, MANDATAIRE, ROLES, SYSTEM, Actor, as_actor
from ..domain.errors import Conflict, Forbidden, NotFound, ValidationError
from ..storage.db import get_engine
from ..storage.records import Coop, UserRecord
from ..storage.uow import sql_unit_of_work

_HASHER = PasswordHasher()
# Verifying against this keeps an unknown login as slow as a wrong password (no user enumeration).
_DUMMY_HASH = _HASHER.hash("retkoop-dummy-password")


@dataclass(frozen=True)
class Profile:
    """What the hub needs to know about a person to start their server."""

    login: str
    role: str
    coop: str | None
    ad: str | None
    full_name: str
    must_change_password: bool
    active: bool
    training: bool = False  # mandataire of a training coop
    failed_logins: int = 0
    locked_until: datetime | None = None
    last_login: datetime | None = None
    state: str = rules.ACTIVE  # actif, provisoire, verrouillé, désactivé (``passwords.account_state``)

    @property
    def actor(self) -> Actor:
        return Actor(self.login, self.role, self.coop, self.ad)

    @property
    def groups(self) -> list[str]:
        """Hub groups, kept in sync at every login (``manage_groups``)."""
        g = [f"role-{self.role}"]
        if self.coop:
            g.append(f"coop-{self.coop}")
        if self.ad:
            g.append(f"ad-{self.ad}")
        if self.training:
            g.append("formation")
        return g


REFUSED = "identifiant ou mot de passe incorrect"
DEACTIVATED_MESSAGE = "ce compte est désactivé : contactez votre AD"


def session_stamp(password_hash, role, coop, ad, active) -> str:
    raw = "\x1f".join(str(x) for x in (password_hash, role, coop, ad, bool(active)))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    message: str = ""  # French, for the login page
    profile: Profile | None = None


class Accounts:
    """Account use cases for one acting user (``system`` for the CLI and the hub).

    ``uow_factory``: the unit of work to use (``storage.uow.sql_unit_of_work`` over
    ``url`` by default; the service tests hand in the in-memory fake of ``tests/fakes.py``)."""

    def __init__(self, url: str | Engine | None = None, actor: Actor | str | None = None, *,
                 now: Callable[[], datetime] = datetime.now, uow_factory: Callable | None = None):
        if uow_factory is not None:
            self.engine = getattr(uow_factory, "engine", None)
            self.uow = uow_factory
        else:
            self.engine = url if isinstance(url, Engine) else get_engine(url)
            self.uow = sql_unit_of_work(self.engine)
        self.actor = as_actor(actor)
        self.now = now

    def as_user(self, actor: Actor | str) -> "Accounts":
        """The same accounts (same database, clock), acting as ``actor``."""
        other = Accounts.__new__(Accounts)
        other.engine, other.uow, other.now, other.actor = self.engine, self.uow, self.now, as_actor(actor)
        return other

    # -- permissions ---------------------------------------------------------------
    def _may_manage(self, role: str, coop: Coop | None, ad: str | None) -> None:
        a = self.actor
        if a.role == SYSTEM:
            return
        if a.role == ADMIN_AD and a.ad:
            target_ad = coop.ad_code if coop is not None else ad
            if role in (MANDATAIRE, ADMIN_AD) and target_ad == a.ad:
                return
        if a.role == FORMATEUR and role == MANDATAIRE and coop is not None and coop.training:
            return  # trainers create and reset their trainees' accounts on sandbox coops only
        raise Forbidden(f"{a.login} ne peut pas gérer ce compte")

    def _may_manage_user(self, uow, u: UserRecord) -> None:
        self._may_manage(u.role, uow.repo.coop(u.coop) if u.coop else None, u.ad)

    def _audit(self, uow, action: str, login: str, *, coop=None, before=None, after=None, reason="") -> None:
        uow.repo.audit(actor=self.actor.login, action=action, object_type="user", object_id=login,
                       now=self.now(), coop=coop, before=before, after=after, reason=reason)

    # -- use cases -----------------------------------------------------------------
    def add(self, login: str, role: str, *, coop: str | None = None, ad: str | None = None,
            full_name: str = "", password: str | None = None) -> str | None:
        """Create an account. Returns the generated temporary password (to hand to the
        person), or None when ``password`` was given (then final, no change forced)."""
        login = rules.check_login(login)
        if role not in ROLES:
            raise ValidationError(f"rôle « {role} » inconnu : {', '.join(ROLES)}", "role")
        coop = coop.strip().upper() if coop else None
        ad = ad.strip().upper() if ad else None
        if role == MANDATAIRE and not coop:
            raise ValidationError("un compte mandataire est rattaché à une coopérative (--coop)", "coop")
        if role == ADMIN_AD and not ad:
            raise ValidationError("un compte admin-ad est rattaché à une AD (--ad)", "ad")
        if role != MANDATAIRE and coop:
            raise ValidationError("seul un mandataire est rattaché à une coopérative", "coop")
        if role in (MANDATAIRE, FORMATEUR) and ad:
            raise ValidationError("ce rôle n'est pas rattaché à une AD (--ad)", "ad")
        if password is not None:
            rules.check_password(password, login)
        temp = None if password is not None else rules.temporary_password()
        with self.uow() as uow:
            coop_rec = None
            if coop:
                coop_rec = uow.repo.coop(coop)
                if coop_rec is None:
                    raise NotFound(f"coopérative « {coop} » inconnue")
                ad_of_coop = coop_rec.ad_code
            if ad and uow.repo.ad(ad) is None:
                raise NotFound(f"AD « {ad} » inconnue")
            self._may_manage(role, coop_rec, ad)
            if uow.repo.user(login) is not None:
                raise Conflict(f"l'identifiant {login} est déjà pris")
            uow.repo.add_user(UserRecord(
                login=login, role=role, coop=coop, ad=ad, full_name=full_name.strip(),
                password_hash=_HASHER.hash(password if password is not None else temp),
                must_change_password=password is None, failed_logins=0, locked_until=None,
                active=True, created_at=self.now(), created_by=self.actor.login))
            self._audit(uow, "user_create", login, coop=coop,
                        after={"role": role, "coop": coop, "ad": ad if not coop else ad_of_coop,
                               "mot_de_passe": "temporaire" if temp else "définitif"})
            uow.commit()
        return temp

    def reset(self, login: str, password: str | None = None) -> str | None:
        """New password (temporary by default, to change at next login); also unlocks."""
        login = rules.normalize_login(login)
        if password is not None:
            rules.check_password(password, login)
        temp = None if password is not None else rules.temporary_password()
        with self.uow() as uow:
            u = self._user(uow, login)
            self._may_manage_user(uow, u)
            uow.repo.save_user(replace(u, password_hash=_HASHER.hash(password if password is not None else temp),
                                       must_change_password=password is None, failed_logins=0,
                                       locked_until=None))
            self._audit(uow, "user_reset", login, coop=u.coop,
                        after={"mot_de_passe": "temporaire" if temp else "définitif"})
            uow.commit()
        return temp

    def unlock(self, login: str) -> None:
        """Clear the wrong-password count (« verrouillé » → its state before); the hub's
        session watch clears its login throttle for this login (``unlock_events``)."""
        with self.uow() as uow:
            u = self._user(uow, rules.normalize_login(login))
            self._may_manage_user(uow, u)
            uow.repo.save_user(replace(u, failed_logins=0, locked_until=None))
            self._audit(uow, "user_unlock", u.login, coop=u.coop, before={"echecs": u.failed_logins})
            uow.commit()

    def lock(self, login: str) -> None:
        """Disable the account now: the hub ends its sessions, tokens and server (old
        name of ``deactivate``, kept for ``retkoop user lock``)."""
        self.deactivate(login)

    def deactivate(self, login: str, reason: str = "") -> None:
        """A departing mandataire: the account cannot log in any more, and the hub's
        session watch ends its sessions, tokens and server (the session stamp holds
        ``active``). Nothing is deleted: the audit log keeps naming the person."""
        self.set_active(login, False, reason)

    def reactivate(self, login: str, reason: str = "") -> None:
        """The account may log in again, with the password it had."""
        self.set_active(login, True, reason)

    def session_stamps(self) -> dict[str, str]:
        """{login: stamp} of every account (see the module docstring)."""
        with self.uow(read_only=True) as uow:
            users = uow.repo.users(with_hash=True)
        return {u.login: session_stamp(u.password_hash, u.role, u.coop, u.ad, u.active) for u in users}

    def unlock_events(self, after_id: int = 0) -> tuple[int, list[str]]:
        """(last audit id, logins unlocked, reset or reactivated since ``after_id``): the
        hub clears their login throttles."""
        with self.uow(read_only=True) as uow:
            rows = uow.repo.user_audit_events(after_id, ("user_unlock", "user_reset", "user_enable"))
            last = after_id
            if not rows and after_id == 0:
                last = uow.repo.last_audit_id()
        if rows:
            last = rows[-1][0]
        return last, [r[1] for r in rows]

    def record_login_refusal(self, login: str, action: str, source: str = "", detail: dict | None = None) -> None:
        """Audit a refused login the hub decided (``login_throttled``)."""
        login = rules.normalize_login(login)[:64]
        with self.uow() as uow:
            u = uow.repo.user(login) if login else None
            uow.repo.audit(actor=login or "?", action=action, object_type="user", object_id=login or "?",
                           now=self.now(), coop=u.coop if u else None,
                           after={"adresse": source, **(detail or {})})
            uow.commit()

    def set_active(self, login: str, active: bool, reason: str = "") -> None:
        """Deactivate or reactivate (audited ``user_disable`` / ``user_enable``); doing
        what is already done is refused in French (the AD sees the state it expected is
        not the one stored)."""
        with self.uow() as uow:
            u = self._user(uow, rules.normalize_login(login))
            self._may_manage_user(uow, u)
            if u.active == active:
                raise Conflict(f"le compte {u.login} est déjà {'actif' if active else 'désactivé'}")
            uow.repo.save_user(replace(u, active=active))
            self._audit(uow, "user_enable" if active else "user_disable", u.login, coop=u.coop,
                        before={"actif": u.active}, after={"actif": active}, reason=(reason or "").strip())
            uow.commit()

    def change_password(self, login: str, old: str, new: str) -> None:
        """The person changes their own password (first login or later)."""
        login = rules.normalize_login(login)
        with self.uow() as uow:
            u = self._user(uow, login, with_hash=True)
            if not _verify(u.password_hash, old):
                raise Forbidden("mot de passe actuel incorrect")
            if new == old:
                raise ValidationError("le nouveau mot de passe doit être différent de l'ancien", "password")
            rules.check_password(new, login)
            uow.repo.save_user(replace(u, password_hash=_HASHER.hash(new), must_change_password=False))
            uow.repo.audit(actor=login, action="password_change", object_type="user", object_id=login,
                           now=self.now(), coop=u.coop)
            uow.commit()

    def verify_login(self, login: str, password: str, source: str = "") -> LoginResult:
        """Check a password. A failure is audited (``login_failed``, with the source
        address) and counted, never locks: the same answer for an unknown login and a
        wrong password (throttling is the hub's, per login and address). A deactivated
        account is refused even with the right password (and only then told so)."""
        login = rules.normalize_login(login)
        refused = LoginResult(False, REFUSED)
        now = self.now()
        with self.uow() as uow:
            u = uow.repo.user(login, with_hash=True) if login else None
            if u is None:
                _verify(_DUMMY_HASH, password)
                uow.repo.audit(actor=login[:64] or "?", action="login_failed", object_type="user",
                               object_id=login[:64] or "?", now=now, after={"adresse": source})
                uow.commit()
                return refused
            if not _verify(u.password_hash, password):
                uow.repo.save_user(replace(u, failed_logins=(u.failed_logins or 0) + 1))
                uow.repo.audit(actor=login, action="login_failed", object_type="user", object_id=login,
                               now=now, coop=u.coop, after={"adresse": source})
                uow.commit()
                return refused
            if not u.active:
                uow.repo.audit(actor=login, action="login_refused", object_type="user", object_id=login,
                               now=now, coop=u.coop, after={"adresse": source, "motif": "compte désactivé"})
                uow.commit()
                return LoginResult(False, DEACTIVATED_MESSAGE)
            u = replace(u, failed_logins=0, locked_until=None, last_login=now,
                        password_hash=_HASHER.hash(password) if _HASHER.check_needs_rehash(u.password_hash)
                        else u.password_hash)
            uow.repo.save_user(u)
            profile = self._profile(uow, u)
            uow.commit()
            return LoginResult(True, profile=profile)

    def profile(self, login: str) -> Profile:
        with self.uow(read_only=True) as uow:
            return self._profile(uow, self._user(uow, rules.normalize_login(login)))

    def list(self, ad: str | None = None) -> list[Profile]:
        """Accounts the acting user may see (an AD sees its own AD's accounts)."""
        if self.actor.role == ADMIN_AD:
            ad = self.actor.ad
        elif self.actor.role != SYSTEM:
            raise Forbidden(f"{self.actor.login} ne peut pas lister les comptes")
        with self.uow(read_only=True) as uow:
            users = uow.repo.users()
            coops = uow.repo.coops_by_code(sorted({u.coop for u in users if u.coop}))
            out = [self._profile(uow, u, coops.get(u.coop)) for u in users]
        if ad:
            out = [p for p in out if p.ad == ad or (p.coop and coops.get(p.coop) and coops[p.coop].ad_code == ad)]
        return out

    # -- helpers -------------------------------------------------------------------
    @staticmethod
    def _user(uow, login: str, with_hash: bool = False) -> UserRecord:
        u = uow.repo.user(login, with_hash) if login else None
        if u is None:
            raise NotFound(f"compte « {login} » inconnu")
        return u

    def _profile(self, uow, u: UserRecord, coop: Coop | None = None) -> Profile:
        if u.coop and coop is None:
            coop = uow.repo.coop(u.coop)
        return Profile(login=u.login, role=u.role, coop=u.coop, ad=u.ad, full_name=u.full_name,
                       must_change_password=u.must_change_password, active=u.active,
                       training=bool(coop and coop.training), failed_logins=u.failed_logins,
                       locked_until=u.locked_until, last_login=u.last_login,
                       state=rules.account_state(active=u.active, must_change_password=u.must_change_password,
                                                 failed_logins=u.failed_logins, locked_until=u.locked_until,
                                                 now=self.now()))


def _verify(hash_: str, password: str) -> bool:
    try:
        return _HASHER.verify(hash_, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False

