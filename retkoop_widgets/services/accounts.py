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
  An operator or an AD *disables* an account with ``lock`` (``retkoop user lock``).
* ``session_stamps``: a digest per account of what a session was opened with (password
  hash, role, coop, AD, active); the hub ends every session, token and server of an
  account whose stamp changed (reset, lock, role or coop change: ``hub/sessions.py``).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, select

from ..domain import passwords as rules
from ..domain.actor import ADMIN_AD, FORMATEUR, MANDATAIRE, ROLES, SYSTEM, Actor, as_actor
from ..domain.errors import Conflict, Forbidden, NotFound, ValidationError
from ..storage import orm
from ..storage.db import get_engine
from ..storage.uow import UnitOfWork

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


def session_stamp(password_hash, role, coop, ad, active) -> str:
    raw = "\x1f".join(str(x) for x in (password_hash, role, coop, ad, bool(active)))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    message: str = ""  # French, for the login page
    profile: Profile | None = None


class Accounts:
    """Account use cases for one acting user (``system`` for the CLI and the hub)."""

    def __init__(self, url: str | Engine | None = None, actor: Actor | str | None = None, *,
                 now: Callable[[], datetime] = datetime.now):
        self.engine = url if isinstance(url, Engine) else get_engine(url)
        self.actor = as_actor(actor)
        self.now = now

    # -- permissions ---------------------------------------------------------------
    def _may_manage(self, role: str, coop_row: orm.CoopRow | None, ad: str | None) -> None:
        a = self.actor
        if a.role == SYSTEM:
            return
        if a.role == ADMIN_AD and a.ad:
            target_ad = coop_row.ad_code if coop_row is not None else ad
            if role in (MANDATAIRE, ADMIN_AD) and target_ad == a.ad:
                return
        if a.role == FORMATEUR and role == MANDATAIRE and coop_row is not None and coop_row.training:
            return  # trainers create and reset their trainees' accounts on sandbox coops only
        raise Forbidden(f"{a.login} ne peut pas gérer ce compte")

    def _audit(self, uow: UnitOfWork, action: str, login: str, *, coop=None, after=None, reason="") -> None:
        uow.repo.audit(actor=self.actor.login, action=action, object_type="user", object_id=login,
                       now=self.now(), coop=coop, after=after, reason=reason)

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
        with UnitOfWork(self.engine) as uow:
            coop_row = None
            if coop:
                coop_row = uow.repo.coop(coop)
                if coop_row is None:
                    raise NotFound(f"coopérative « {coop} » inconnue")
                ad_of_coop = coop_row.ad_code
            if ad and uow.repo.ad(ad) is None:
                raise NotFound(f"AD « {ad} » inconnue")
            self._may_manage(role, coop_row, ad)
            if uow.session.get(orm.UserRow, login) is not None:
                raise Conflict(f"l'identifiant {login} est déjà pris")
            uow.session.add(orm.UserRow(
                login=login, role=role, coop_code=coop, ad_code=ad, full_name=full_name.strip(),
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
        with UnitOfWork(self.engine) as uow:
            row = self._row(uow, login)
            self._may_manage(row.role, uow.repo.coop(row.coop_code) if row.coop_code else None, row.ad_code)
            row.password_hash = _HASHER.hash(password if password is not None else temp)
            row.must_change_password = password is None
            row.failed_logins, row.locked_until = 0, None
            self._audit(uow, "user_reset", login, coop=row.coop_code,
                        after={"mot_de_passe": "temporaire" if temp else "définitif"})
            uow.commit()
        return temp

    def unlock(self, login: str) -> None:
        with UnitOfWork(self.engine) as uow:
            row = self._row(uow, rules.normalize_login(login))
            self._may_manage(row.role, uow.repo.coop(row.coop_code) if row.coop_code else None, row.ad_code)
            row.failed_logins, row.locked_until = 0, None
            self._audit(uow, "user_unlock", row.login, coop=row.coop_code)
            uow.commit()

    def lock(self, login: str) -> None:
        """Disable the account now: the hub ends its sessions, tokens and server."""
        self.set_active(login, False)

    def session_stamps(self) -> dict[str, str]:
        """{login: stamp} of every account (see the module docstring)."""
        with UnitOfWork(self.engine, read_only=True) as uow:
            rows = uow.session.execute(select(
                orm.UserRow.login, orm.UserRow.password_hash, orm.UserRow.role, orm.UserRow.coop_code,
                orm.UserRow.ad_code, orm.UserRow.active)).all()
        return {r[0]: session_stamp(*r[1:]) for r in rows}

    def unlock_events(self, after_id: int = 0) -> tuple[int, list[str]]:
        """(last audit id, logins unlocked or reset since ``after_id``): the hub clears their
        login throttles."""
        with UnitOfWork(self.engine, read_only=True) as uow:
            rows = uow.session.execute(
                select(orm.AuditRow.id, orm.AuditRow.object_id)
                .where(orm.AuditRow.id > after_id, orm.AuditRow.object_type == "user",
                       orm.AuditRow.action.in_(("user_unlock", "user_reset", "user_enable")))
                .order_by(orm.AuditRow.id)).all()
            last = after_id
            if not rows and after_id == 0:
                from sqlalchemy import func
                last = uow.session.scalar(select(func.max(orm.AuditRow.id))) or 0
        if rows:
            last = rows[-1][0]
        return last, [r[1] for r in rows]

    def record_login_refusal(self, login: str, action: str, source: str = "", detail: dict | None = None) -> None:
        """Audit a refused login the hub decided (``login_throttled``)."""
        login = rules.normalize_login(login)[:64]
        with UnitOfWork(self.engine) as uow:
            row = uow.session.get(orm.UserRow, login) if login else None
            uow.repo.audit(actor=login or "?", action=action, object_type="user", object_id=login or "?",
                           now=self.now(), coop=row.coop_code if row else None,
                           after={"adresse": source, **(detail or {})})
            uow.commit()

    def set_active(self, login: str, active: bool) -> None:
        with UnitOfWork(self.engine) as uow:
            row = self._row(uow, rules.normalize_login(login))
            self._may_manage(row.role, uow.repo.coop(row.coop_code) if row.coop_code else None, row.ad_code)
            row.active = active
            self._audit(uow, "user_enable" if active else "user_disable", row.login, coop=row.coop_code)
            uow.commit()

    def change_password(self, login: str, old: str, new: str) -> None:
        """The person changes their own password (first login or later)."""
        login = rules.normalize_login(login)
        with UnitOfWork(self.engine) as uow:
            row = self._row(uow, login)
            if not _verify(row.password_hash, old):
                raise Forbidden("mot de passe actuel incorrect")
            if new == old:
                raise ValidationError("le nouveau mot de passe doit être différent de l'ancien", "password")
            rules.check_password(new, login)
            row.password_hash = _HASHER.hash(new)
            row.must_change_password = False
            uow.repo.audit(actor=login, action="password_change", object_type="user", object_id=login,
                           now=self.now(), coop=row.coop_code)
            uow.commit()

    def verify_login(self, login: str, password: str, source: str = "") -> LoginResult:
        """Check a password. A failure is audited (``login_failed``, with the source
        address) and counted, never locks: the same answer for an unknown login and a
        wrong password (throttling is the hub's, per login and address)."""
        login = rules.normalize_login(login)
        refused = LoginResult(False, REFUSED)
        now = self.now()
        with UnitOfWork(self.engine) as uow:
            row = uow.session.get(orm.UserRow, login) if login else None
            if row is None:
                _verify(_DUMMY_HASH, password)
                uow.repo.audit(actor=login[:64] or "?", action="login_failed", object_type="user",
                               object_id=login[:64] or "?", now=now, after={"adresse": source})
                uow.commit()
                return refused
            if not _verify(row.password_hash, password):
                row.failed_logins = (row.failed_logins or 0) + 1
                uow.repo.audit(actor=login, action="login_failed", object_type="user", object_id=login,
                               now=now, coop=row.coop_code, after={"adresse": source})
                uow.commit()
                return refused
            if not row.active:
                return LoginResult(False, "ce compte est désactivé : contactez votre AD")
            row.failed_logins, row.locked_until, row.last_login = 0, None, now
            if _HASHER.check_needs_rehash(row.password_hash):
                row.password_hash = _HASHER.hash(password)
            uow.commit()
            return LoginResult(True, profile=self._profile(uow, row))

    def profile(self, login: str) -> Profile:
        with UnitOfWork(self.engine, read_only=True) as uow:
            return self._profile(uow, self._row(uow, rules.normalize_login(login)))

    def list(self, ad: str | None = None) -> list[Profile]:
        """Accounts the acting user may see (an AD sees its own AD's accounts)."""
        if self.actor.role == ADMIN_AD:
            ad = self.actor.ad
        elif self.actor.role != SYSTEM:
            raise Forbidden(f"{self.actor.login} ne peut pas lister les comptes")
        with UnitOfWork(self.engine, read_only=True) as uow:
            rows = uow.session.scalars(select(orm.UserRow).order_by(orm.UserRow.login)).all()
            out = [self._profile(uow, r) for r in rows]
        if ad:
            out = [p for p in out if p.ad == ad or (p.coop and self._coop_ad(p.coop) == ad)]
        return out

    # -- helpers -------------------------------------------------------------------
    def _coop_ad(self, coop: str) -> str | None:
        with UnitOfWork(self.engine, read_only=True) as uow:
            row = uow.repo.coop(coop)
            return row.ad_code if row else None

    @staticmethod
    def _row(uow: UnitOfWork, login: str) -> orm.UserRow:
        row = uow.session.get(orm.UserRow, login)
        if row is None:
            raise NotFound(f"compte « {login} » inconnu")
        return row

    @staticmethod
    def _profile(uow: UnitOfWork, row: orm.UserRow) -> Profile:
        training = False
        if row.coop_code:
            c = uow.repo.coop(row.coop_code)
            training = bool(c and c.training)
        return Profile(login=row.login, role=row.role, coop=row.coop_code, ad=row.ad_code,
                       full_name=row.full_name, must_change_password=row.must_change_password,
                       active=row.active, training=training, failed_logins=row.failed_logins,
                       locked_until=row.locked_until, last_login=row.last_login)


def _verify(hash_: str, password: str) -> bool:
    try:
        return _HASHER.verify(hash_, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False

