"""Storage of the accounts (table ``app_user``): ``UserRecord`` in and out.

``AccountsRepository`` is a part of ``Repository`` (which inherits it: one repository per
unit of work, ``uow.repo.user(…)``), so ``services.accounts`` never sees an ORM row (issue
13: only storage touches the ORM). The in-memory fake of ``tests/fakes.py`` has the same
methods over a dict.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import orm
from .records import UserRecord

def to_user(row: orm.UserRow, with_hash: bool = False) -> UserRecord:
    """``with_hash`` only where a password is checked or a session stamped (the hub, the
    CLI): the dashboards' PostgreSQL role may not read ``password_hash`` (hub/db_roles.py),
    and the AD's account screens never need it."""
    return UserRecord(login=row.login, role=row.role, coop=row.coop_code, ad=row.ad_code,
                      full_name=row.full_name or "", password_hash=row.password_hash if with_hash else None,
                      must_change_password=bool(row.must_change_password), failed_logins=row.failed_logins or 0,
                      locked_until=row.locked_until, active=bool(row.active), created_at=row.created_at,
                      created_by=row.created_by or "", last_login=row.last_login)


def _values(u: UserRecord) -> dict:
    values = {"role": u.role, "coop_code": u.coop, "ad_code": u.ad, "full_name": u.full_name,
              "password_hash": u.password_hash, "must_change_password": u.must_change_password,
              "failed_logins": u.failed_logins, "locked_until": u.locked_until, "active": u.active,
              "last_login": u.last_login}
    if u.password_hash is None:  # not read, so not changed: a hash is written, never blanked
        del values["password_hash"]
    return values


class AccountsRepository:
    s: Session

    def user(self, login: str, with_hash: bool = False) -> UserRecord | None:
        row = self.s.get(orm.UserRow, login) if login else None
        return to_user(row, with_hash) if row is not None else None

    def users(self, with_hash: bool = False) -> list[UserRecord]:
        """Every account, by login."""
        return [to_user(r, with_hash) for r in self.s.scalars(select(orm.UserRow).order_by(orm.UserRow.login))]

    def add_user(self, u: UserRecord) -> None:
        self.s.add(orm.UserRow(login=u.login, created_at=u.created_at, created_by=u.created_by, **_values(u)))

    def save_user(self, u: UserRecord) -> None:
        """Write back every changeable field of the account (the login is the key)."""
        row = self.s.get(orm.UserRow, u.login)
        for key, value in _values(u).items():
            setattr(row, key, value)
        self.s.flush()

    def user_audit_events(self, after_id: int, actions: tuple[str, ...]) -> list[tuple[int, str]]:
        """(audit id, login) of the account audit records ``actions`` after ``after_id``."""
        rows = self.s.execute(
            select(orm.AuditRow.id, orm.AuditRow.object_id)
            .where(orm.AuditRow.id > after_id, orm.AuditRow.object_type == "user",
                   orm.AuditRow.action.in_(actions))
            .order_by(orm.AuditRow.id)).all()
        return [(r[0], r[1]) for r in rows]

    def last_audit_id(self) -> int:
        return self.s.scalar(select(func.max(orm.AuditRow.id))) or 0
