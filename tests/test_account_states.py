"""Account states and the AD's account actions (``services.accounts``): unlock, reset,
deactivate, reactivate — audited, shown as actif / provisoire / verrouillé / désactivé.
On the in-memory fake (``storage.accounts_repo``'s twin in ``tests/fakes.py``), SQLite and
PostgreSQL (``svc`` fixture); the CLI on both databases."""
from __future__ import annotations

from datetime import datetime

import pytest

from retkoop_widgets.domain.actor import Actor
from retkoop_widgets.domain.errors import Conflict, Forbidden
from retkoop_widgets.domain.passwords import account_state
from retkoop_widgets.services.accounts import Accounts

from conftest import COOP

AD76 = Actor("ad76", "admin-ad", ad="AD76")


@pytest.fixture
def accounts(svc):
    svc.add_ad("AD27", "OCCE Eure")
    svc.add_coop("AD27-0101", "École de l'Eure", "AD27")
    return Accounts(uow_factory=svc.uow_factory, now=svc.now)


def audit(svc, action):
    return [r for r in svc.audit_log(COOP) if r["action"] == action]


def test_the_four_states_are_one_rule():
    now = datetime(2026, 12, 7, 9)
    base = dict(active=True, must_change_password=False, failed_logins=0, locked_until=None, now=now)
    assert account_state(**base) == "actif"
    assert account_state(**{**base, "must_change_password": True}) == "provisoire"
    assert account_state(**{**base, "must_change_password": True, "failed_logins": 3}) == "verrouillé"
    assert account_state(**{**base, "failed_logins": 2}) == "actif"
    assert account_state(**{**base, "active": False, "failed_logins": 9}) == "désactivé"


def test_states_from_creation_to_deactivation(accounts, svc):
    ad = accounts.as_user(AD76)
    temp = ad.add("tilleuls", "mandataire", coop=COOP)
    assert ad.profile("tilleuls").state == "provisoire"
    accounts.change_password("tilleuls", temp, "un-secret-solide-2026")
    assert ad.profile("tilleuls").state == "actif"
    for _ in range(3):
        assert not accounts.verify_login("tilleuls", "faux").ok
    assert ad.profile("tilleuls").state == "verrouillé"
    ad.unlock("tilleuls")
    assert ad.profile("tilleuls").state == "actif"
    assert audit(svc, "user_unlock")[0]["actor"] == "ad76" and audit(svc, "user_unlock")[0]["before"] == {"echecs": 3}

    stamp = accounts.session_stamps()["tilleuls"]
    mark, _ = accounts.unlock_events(0)
    ad.deactivate("tilleuls", "départ de l'école")
    p = ad.profile("tilleuls")
    assert p.state == "désactivé" and not p.active
    assert accounts.session_stamps()["tilleuls"] != stamp  # the hub ends its sessions and server
    r = accounts.verify_login("tilleuls", "un-secret-solide-2026", source="198.51.100.2")
    assert not r.ok and r.message == "ce compte est désactivé : contactez votre AD"
    assert not accounts.verify_login("tilleuls", "faux").ok and accounts.verify_login("tilleuls", "faux").message \
        == "identifiant ou mot de passe incorrect"  # a wrong password says nothing of the account
    off = audit(svc, "user_disable")[0]
    assert (off["actor"], off["reason"], off["before"], off["after"]) == \
        ("ad76", "départ de l'école", {"actif": True}, {"actif": False})
    assert audit(svc, "login_refused")[0]["after"]["motif"] == "compte désactivé"
    with pytest.raises(Conflict, match="déjà désactivé"):
        ad.deactivate("tilleuls")

    ad.reactivate("tilleuls")
    assert ad.profile("tilleuls").active and accounts.verify_login("tilleuls", "un-secret-solide-2026").ok
    assert audit(svc, "user_enable")[0]["actor"] == "ad76"
    _, released = accounts.unlock_events(mark)
    assert released == ["tilleuls"]  # the reactivation: the hub clears its login throttle
    with pytest.raises(Conflict, match="déjà actif"):
        ad.reactivate("tilleuls")


def test_reset_is_a_new_temporary_password_and_unlocks(accounts):
    ad = accounts.as_user(AD76)
    ad.add("tilleuls", "mandataire", coop=COOP, password="un-secret-solide-2026")
    for _ in range(4):
        accounts.verify_login("tilleuls", "faux")
    temp = ad.reset("tilleuls")
    p = ad.profile("tilleuls")
    assert p.state == "provisoire" and p.failed_logins == 0
    assert not accounts.verify_login("tilleuls", "un-secret-solide-2026").ok
    assert accounts.verify_login("tilleuls", temp).ok


def test_an_ad_acts_on_its_own_accounts_only(accounts):
    accounts.add("eure", "mandataire", coop="AD27-0101", password="un-secret-solide-2026")
    ad = accounts.as_user(AD76)
    for action in (ad.deactivate, ad.reactivate, ad.unlock, ad.reset):
        with pytest.raises(Forbidden):
            action("eure")
    assert accounts.profile("eure").active
    assert [p.login for p in ad.list()] == []
    with pytest.raises(Forbidden):
        accounts.as_user(Actor("tilleuls", "mandataire", coop=COOP)).deactivate("eure")


def test_cli_deactivate_reactivate_and_list_states(db_url, books, capsys):
    from retkoop_widgets import cli
    acc = Accounts(db_url)
    acc.add("tilleuls", "mandataire", coop=COOP, password="un-secret-solide-2026")
    acc.add("ferry", "mandataire", coop=COOP)
    assert cli.main(["--db", db_url, "user", "deactivate", "tilleuls", "--raison", "départ"]) == 0
    assert "désactivé" in capsys.readouterr().out
    assert not acc.verify_login("tilleuls", "un-secret-solide-2026").ok
    assert cli.main(["--db", db_url, "user", "deactivate", "tilleuls"]) == 1
    assert "déjà désactivé" in capsys.readouterr().err
    assert cli.main(["--db", db_url, "user", "list"]) == 0
    out = capsys.readouterr().out
    assert [line.split()[3] for line in out.splitlines()[1:]] == ["provisoire", "désactivé"]
    assert cli.main(["--db", db_url, "user", "reactivate", "tilleuls"]) == 0
    assert "réactivé" in capsys.readouterr().out
    assert acc.verify_login("tilleuls", "un-secret-solide-2026").ok
    log = [r for r in books.audit_log(COOP) if r["action"] in ("user_disable", "user_enable")]
    assert [(r["action"], r["actor"], r["reason"]) for r in log] == [("user_enable", "cli", ""),
                                                                      ("user_disable", "cli", "départ")]
