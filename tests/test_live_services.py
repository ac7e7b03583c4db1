"""Live collaboration's use cases (services/live.py) on the fake, SQLite and PostgreSQL:
the coop's change counter moves with every committed change and only then, presence
heartbeats expire, and PostgreSQL notifies a listener at commit."""
from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from retkoop_widgets.domain.actor import Actor
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine
from retkoop_widgets.domain.errors import Forbidden, ValidationError
from retkoop_widgets.services import live

COOP, EX = "AD76-0421", "2025-2026"


def draft(libelle="Facture OCCE", cents=17450):
    return EntryDraft(date(2025, 10, 3), libelle, bank_out=cents, mode="virement",
                      ventilation=(VentilationLine("6281", cents),))


def test_the_counter_moves_with_every_committed_change_and_only_then(svc):
    teacher = svc.as_user(Actor("prof", "mandataire", coop=COOP))
    ad = svc.as_user(Actor("ad76", "admin-ad", ad="AD76")).because("corrigé avec la mandataire")
    t0 = live.change_token(teacher, COOP)
    e = teacher.record_entry(COOP, EX, draft())
    t1 = live.change_token(teacher, COOP)
    assert t1 != t0
    teacher.snapshot(COOP, EX)  # reading changes nothing
    assert live.change_token(teacher, COOP) == t1
    with pytest.raises(ValidationError):  # refused, rolled back: no change to see
        teacher.record_entry(COOP, EX, draft(cents=0))
    assert live.change_token(teacher, COOP) == t1
    # the AD's correction is seen by the teacher's token, and the form learns who made it
    ad.update_entry(e.id, e.version, draft(cents=18000))
    t2 = live.change_token(teacher, COOP)
    assert t2 != t1
    last = live.last_change(teacher, COOP, "entry", e.id)
    assert (last.actor, last.action) == ("ad76", "update")
    # an import (bulk audit) and a deletion move it too
    teacher.import_drafts(COOP, EX, [("l1", draft("Photos", 5000))])
    t3 = live.change_token(teacher, COOP)
    assert t3 != t2
    teacher.delete_entry(e.id, None, "doublon")
    assert live.change_token(teacher, COOP) != t3
    # another coop's change is not this coop's
    svc.add_coop("AD76-0500", "École du Centre", "AD76")
    svc.open_exercice("AD76-0500", EX, 0, 0)
    before = live.change_token(teacher, COOP)
    svc.record_entry("AD76-0500", EX, draft())
    assert live.change_token(teacher, COOP) == before


def test_only_who_may_read_the_coop_sees_its_changes_and_presence(svc):
    svc.add_coop("AD76-0500", "École du Centre", "AD76")
    other = svc.as_user(Actor("centre", "mandataire", coop="AD76-0500"))
    with pytest.raises(Forbidden):
        live.change_token(other, COOP)
    with pytest.raises(Forbidden):
        live.heartbeat(other, COOP, "s-other")
    assert live.present(svc, COOP) == []


def test_presence_shows_the_others_and_expires(svc, clock):
    teacher = svc.as_user(Actor("prof", "mandataire", coop=COOP))
    ad = svc.as_user(Actor("ad76", "admin-ad", ad="AD76")).because("corrigé avec la mandataire")
    assert live.heartbeat(teacher, COOP, "s-prof") == []
    assert live.heartbeat(ad, COOP, "s-ad") == [live.Presence("prof", False)]
    assert live.heartbeat(teacher, COOP, "s-prof") == [live.Presence("ad76", False)]
    # the teacher's second window: her own login, marked as hers
    assert live.heartbeat(teacher, COOP, "s-prof-2") == [live.Presence("ad76", False),
                                                         live.Presence("prof", True)]
    # a heartbeat is not a change of the books
    token = live.change_token(teacher, COOP)
    live.heartbeat(teacher, COOP, "s-prof")
    assert live.change_token(teacher, COOP) == token
    # the AD closes her page: gone at once; the second window stops beating: gone after the TTL
    live.leave(ad, COOP, "s-ad")
    assert live.present(teacher, COOP, "s-prof") == [live.Presence("prof", True)]
    clock._now += timedelta(seconds=live.PRESENCE_TTL + 1)
    assert live.heartbeat(teacher, COOP, "s-prof") == []


def test_a_read_only_connection_sees_the_others_without_being_seen(db_url, clock):
    from retkoop_widgets.services import Books
    b = Books(db_url, "test", today=clock.today, now=clock.now)
    b.add_ad("AD76", "OCCE Seine-Maritime")
    b.add_coop(COOP, "École des Tilleuls", "AD76")
    live.heartbeat(b.as_user(Actor("prof", "mandataire", coop=COOP)), COOP, "s-prof")
    analyst = Books(db_url, Actor("ana", "analyste", ad="AD76"), today=clock.today, now=clock.now, read_only=True)
    assert live.heartbeat(analyst, COOP, "s-ana") == [live.Presence("prof", False)]
    assert live.present(b, COOP) == [live.Presence("prof", False)]


def test_postgresql_notifies_a_listener_at_commit_sqlite_polls(books):
    feed = live.notifications(books)
    if books.engine.dialect.name == "sqlite":
        assert feed is None
        return

    async def scenario():
        assert await asyncio.wait_for(feed.__anext__(), 10) == ""  # listening
        heard = asyncio.ensure_future(feed.__anext__())
        await asyncio.sleep(0.3)
        assert not heard.done()  # nothing committed yet
        await asyncio.to_thread(books.record_entry, COOP, EX, draft())
        coop = await asyncio.wait_for(heard, 10)
        await feed.aclose()
        return coop

    assert asyncio.run(scenario()) == COOP
