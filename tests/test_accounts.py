"""Accounts: creation, temporary passwords, lockout in the database, AD scoping, CLI.
Every test runs on SQLite and PostgreSQL (``books`` fixture)."""
from __future__ import annotations

import io
import re
import sys
from datetime import datetime

import pytest

from retkoop_widgets.domain import passwords as rules
from retkoop_widgets.domain.actor import Actor
from retkoop_widgets.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from retkoop_widgets.services.accounts import Accounts
from retkoop_widgets.storage import orm
from retkoop_widgets.storage.uow import UnitOfWork


class Now:
    def __init__(self):
        self.t = datetime(2026, 9, 15, 9, 0)

    def __call__(self):
        return self.t


@pytest.fixture
def accounts(books):
    books.add_ad("AD27", "OCCE Eure")
    books.add_coop("AD27-0101", "École de l'Eure", "AD27")
    return Accounts(books.engine, now=Now())


def test_temporary_password_must_change_and_given_password_is_final(accounts):
    temp = accounts.add("tilleuls", "mandataire", coop="AD76-0421")
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", temp)
    p = accounts.profile("tilleuls")
    assert p.must_change_password and p.groups == ["role-mandataire", "coop-AD76-0421"]
    assert accounts.verify_login("tilleuls", temp).ok
    assert accounts.add("ad76", "admin-ad", ad="AD76", password="un-secret-solide") is None
    assert accounts.profile("ad76").must_change_password is False
    with UnitOfWork(accounts.engine) as uow:
        h = uow.session.get(orm.UserRow, "tilleuls").password_hash
    assert h.startswith("$argon2id$") and temp not in h


def test_change_password_checks_old_and_policy(accounts):
    temp = accounts.add("tilleuls", "mandataire", coop="AD76-0421")
    with pytest.raises(Forbidden):
        accounts.change_password("tilleuls", "pas-le-bon", "nouveau-secret-2026")
    with pytest.raises(ValidationError, match="au moins 10"):
        accounts.change_password("tilleuls", temp, "court")
    with pytest.raises(ValidationError, match="identifiant"):
        accounts.change_password("tilleuls", temp, "tilleuls-2026-abc")
    accounts.change_password("tilleuls", temp, "nouveau-secret-2026")
    assert not accounts.profile("tilleuls").must_change_password
    assert not accounts.verify_login("tilleuls", temp).ok
    assert accounts.verify_login("tilleuls", "nouveau-secret-2026").ok


def test_failures_never_lock_the_account_and_are_audited(accounts, books):
    """A stranger's wrong passwords do not keep the owner out (throttling is the hub's, per
    login and address); each is in the audit log with its source address."""
    accounts.add("tilleuls", "mandataire", coop="AD76-0421", password="le-bon-secret-1")
    for i in range(8):
        r = accounts.verify_login("tilleuls", f"faux-{i}", source="203.0.113.7")
        assert not r.ok and r.message == "identifiant ou mot de passe incorrect"
    assert accounts.verify_login("personne", "faux", source="203.0.113.7").message == \
        "identifiant ou mot de passe incorrect"
    fresh = Accounts(books.engine, now=accounts.now)
    assert fresh.verify_login("tilleuls", "le-bon-secret-1", source="198.51.100.2").ok
    from sqlalchemy import select
    from retkoop_widgets.storage import orm
    from retkoop_widgets.storage.uow import UnitOfWork
    with UnitOfWork(books.engine, read_only=True) as uow:
        rows = uow.session.execute(select(orm.AuditRow.object_id, orm.AuditRow.after)
                                   .where(orm.AuditRow.action == "login_failed")).all()
    assert len(rows) == 9 and all(a["adresse"] == "203.0.113.7" for _, a in rows)
    assert {o for o, _ in rows} == {"tilleuls", "personne"}


def test_session_stamp_changes_on_reset_lock_and_role_change(accounts):
    accounts.add("tilleuls", "mandataire", coop="AD76-0421", password="le-bon-secret-1")
    first = accounts.session_stamps()["tilleuls"]
    accounts.verify_login("tilleuls", "faux")  # a failure changes nothing of the session
    assert accounts.session_stamps()["tilleuls"] == first
    accounts.reset("tilleuls")
    second = accounts.session_stamps()["tilleuls"]
    assert second != first
    accounts.lock("tilleuls")
    assert accounts.session_stamps()["tilleuls"] not in (first, second)
    assert not accounts.verify_login("tilleuls", "le-bon-secret-1").ok


def test_success_resets_the_failure_count(accounts):
    accounts.add("tilleuls", "mandataire", coop="AD76-0421", password="le-bon-secret-1")
    for _ in range(4):
        accounts.verify_login("tilleuls", "faux")
    assert accounts.verify_login("tilleuls", "le-bon-secret-1").ok
    for _ in range(4):
        assert "verrouillé" not in accounts.verify_login("tilleuls", "faux").message


def test_unknown_login_and_disabled_account(accounts):
    r = accounts.verify_login("personne", "quelconque-secret")
    assert not r.ok and r.message == "identifiant ou mot de passe incorrect"
    accounts.add("tilleuls", "mandataire", coop="AD76-0421", password="le-bon-secret-1")
    accounts.set_active("tilleuls", False)
    assert "désactivé" in accounts.verify_login("tilleuls", "le-bon-secret-1").message


def test_reset_gives_a_new_temporary_password_and_unlocks(accounts):
    accounts.add("tilleuls", "mandataire", coop="AD76-0421", password="le-bon-secret-1")
    for _ in range(5):
        accounts.verify_login("tilleuls", "faux")
    temp = accounts.reset("tilleuls")
    assert accounts.verify_login("tilleuls", temp).ok
    assert accounts.profile("tilleuls").must_change_password


def test_admin_ad_manages_only_its_own_ad(accounts):
    accounts.add("ad76", "admin-ad", ad="AD76", password="un-secret-solide")
    accounts.add("eure", "mandataire", coop="AD27-0101", password="un-secret-solide")
    ad76 = Accounts(accounts.engine, Actor("ad76", "admin-ad", ad="AD76"), now=accounts.now)
    assert ad76.add("tilleuls", "mandataire", coop="AD76-0421")
    with pytest.raises(Forbidden):
        ad76.add("intrus", "mandataire", coop="AD27-0101")
    with pytest.raises(Forbidden):
        ad76.reset("eure")
    with pytest.raises(Forbidden):
        ad76.add("analyste", "analyste")
    assert {p.login for p in ad76.list()} == {"ad76", "tilleuls"}
    mandataire = Accounts(accounts.engine, Actor("tilleuls", "mandataire", coop="AD76-0421"))
    with pytest.raises(Forbidden):
        mandataire.add("autre", "mandataire", coop="AD76-0421")


def test_refusals(accounts):
    with pytest.raises(ValidationError, match="identifiant"):
        accounts.add("Élodie!", "mandataire", coop="AD76-0421")
    with pytest.raises(ValidationError, match="coopérative"):
        accounts.add("sanscoop", "mandataire")
    with pytest.raises(NotFound):
        accounts.add("fantome", "mandataire", coop="AD76-9999")
    accounts.add("tilleuls", "mandataire", coop="AD76-0421")
    with pytest.raises(Conflict):
        accounts.add("TILLEULS", "mandataire", coop="AD76-0421")


def test_audit_records_account_actions(accounts, books):
    accounts.add("tilleuls", "mandataire", coop="AD76-0421")
    accounts.reset("tilleuls")
    actions = [r["action"] for r in books.audit_log("AD76-0421")]
    assert "user_create" in actions and "user_reset" in actions


def test_cli_user_add_password_stdin_is_final(db_url, books, monkeypatch, capsys):
    from retkoop_widgets import cli
    monkeypatch.setattr(sys, "stdin", io.StringIO("secret-scripte-2026\n"))
    assert cli.main(["--db", db_url, "user", "add", "tilleuls", "--role", "mandataire",
                     "--coop", "AD76-0421", "--password-stdin"]) == 0
    assert "définitif" in capsys.readouterr().out
    acc = Accounts(db_url)
    assert acc.verify_login("tilleuls", "secret-scripte-2026").ok
    assert not acc.profile("tilleuls").must_change_password
    assert cli.main(["--db", db_url, "user", "reset", "tilleuls"]) == 0
    temp = capsys.readouterr().out.strip().rsplit(" ", 1)[-1]
    assert acc.verify_login("tilleuls", temp).ok and acc.profile("tilleuls").must_change_password
    assert cli.main(["--db", db_url, "user", "add", "x!", "--role", "mandataire", "--coop", "AD76-0421"]) == 1
    assert "identifiant" in capsys.readouterr().err
    assert cli.main(["--db", db_url, "user", "list"]) == 0
    assert "tilleuls" in capsys.readouterr().out


def test_password_rules_are_pure():
    assert rules.after_failure(3, datetime(2026, 1, 1)) == (4, None)
    failed, until = rules.after_failure(4, datetime(2026, 1, 1, 12))
    assert failed == 0 and until == datetime(2026, 1, 1, 12, 10)
    assert len({rules.temporary_password() for _ in range(50)}) == 50



def test_formateur_manages_trainee_accounts_on_training_coops_only(accounts, books):
    books.add_coop("FORM-01", "Bac à sable 1", "AD76", training=True)
    trainer = Accounts(accounts.engine, Actor("form", "formateur"), now=accounts.now)
    assert trainer.add("stagiaire1", "mandataire", coop="FORM-01")  # a temporary password
    assert trainer.reset("stagiaire1")
    with pytest.raises(Forbidden):
        trainer.add("intrus", "mandataire", coop="AD76-0421")  # a real coop
    with pytest.raises(Forbidden):
        trainer.add("chef", "admin-ad", ad="AD76")
