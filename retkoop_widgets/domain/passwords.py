"""Rules for logins, passwords and lockout. Pure: no hashing library, no database.

Why here: the CLI, the hub's login page and the AD dashboard all create and check
accounts; the rules (what a login may look like, what a password must be, when an
account locks) must be the same everywhere and testable without a server.
"""
from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from .errors import Problem, ValidationError

MAX_FAILED_LOGINS = 5
LOCK_DURATION = timedelta(minutes=10)
MIN_LENGTH = 10
# Letters and digits that cannot be confused when read aloud or copied from paper (no 0/O, 1/l/I).
_TEMP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
# A login is also a JupyterHub user name and part of URLs (/user/<login>/): keep it plain.
_LOGIN_RE = re.compile(r"[a-z][a-z0-9._-]{2,31}")
_COMMON = {"motdepasse", "password", "azertyuiop", "1234567890", "0123456789", "qwertyuiop",
           "cooperative", "coopérative", "occe", "ecole", "école"}


def normalize_login(login: str) -> str:
    return (login or "").strip().lower()


def check_login(login: str) -> str:
    """The normalised login, or a French refusal."""
    norm = normalize_login(login)
    if not _LOGIN_RE.fullmatch(norm):
        raise ValidationError(
            f"identifiant « {login} » invalide : 3 à 32 caractères, lettres minuscules sans accent, "
            "chiffres, point, tiret ou souligné, en commençant par une lettre", "login")
    return norm


def check_password(password: str, login: str = "") -> None:
    """The password policy: long enough, not the login, not an obvious word."""
    problems = []
    if len(password or "") < MIN_LENGTH:
        problems.append(f"le mot de passe doit contenir au moins {MIN_LENGTH} caractères")
    low = (password or "").lower()
    if login and login.lower() in low:
        problems.append("le mot de passe ne doit pas contenir l'identifiant")
    if low in _COMMON or len(set(low)) < 4:
        problems.append("ce mot de passe est trop facile à deviner")
    if problems:
        raise ValidationError(problems[0] if len(problems) == 1 else
                              [Problem(p, "password") for p in problems], "password")


def temporary_password() -> str:
    """A one-time password an AD can read over the phone: ``xxxx-xxxx-xxxx`` (~ 59 bits)."""
    groups = ["".join(secrets.choice(_TEMP_ALPHABET) for _ in range(4)) for _ in range(3)]
    return "-".join(groups)


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and locked_until > now


def after_failure(failed_logins: int, now: datetime) -> tuple[int, datetime | None]:
    """(new failure count, lock end) after one more wrong password.

    The fifth failure locks for ``LOCK_DURATION`` and restarts the count, so that after
    the lock the user has five new tries (and a sixth wrong one does not lock forever).
    """
    failed = failed_logins + 1
    if failed >= MAX_FAILED_LOGINS:
        return 0, now + LOCK_DURATION
    return failed, None


def lock_message(locked_until: datetime) -> str:
    return (f"compte verrouillé après {MAX_FAILED_LOGINS} mots de passe erronés : réessayez après "
            f"{locked_until:%H:%M} ou demandez à votre AD de le débloquer")


# -- account states, as the AD dashboard and ``retkoop user list`` show them ----------
# Failures in a row (since the last successful login) from which the hub slows the login
# down (``RetkoopAuthenticator.free_failures``'s default): the AD sees the account as
# « verrouillé » and may unlock it (clears the count and the hub's throttle).
SLOWED_AFTER_FAILURES = 3

ACTIVE, TEMPORARY, LOCKED, DEACTIVATED = "actif", "provisoire", "verrouillé", "désactivé"
ACCOUNT_STATES = (ACTIVE, TEMPORARY, LOCKED, DEACTIVATED)


def account_state(*, active: bool, must_change_password: bool, failed_logins: int,
                  locked_until: datetime | None, now: datetime) -> str:
    """One word for an account, the most pressing first: « désactivé » (cannot log in at
    all), « verrouillé » (wrong passwords in a row: logins slowed down until an AD
    unlocks it or the person succeeds), « provisoire » (temporary password, to change at
    the next login), else « actif »."""
    if not active:
        return DEACTIVATED
    if (failed_logins or 0) >= SLOWED_AFTER_FAILURES or is_locked(locked_until, now):
        return LOCKED
    if must_change_password:
        return TEMPORARY
    return ACTIVE
