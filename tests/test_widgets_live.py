"""Two dashboards on one database (SQLite and PostgreSQL), as the teacher and her AD would
have them open: one saves, the other's watcher round (``dash.live.tick()``) refreshes its
cahier, header and alerts, tells a form whose entry changed underneath, and each says who
else is there. The last test lets the kernel-wide hub run on a real event loop."""
from __future__ import annotations

import asyncio
import time
from datetime import date

import pytest

from retkoop_widgets.domain.actor import Actor
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine
from retkoop_widgets.widgets import live
from retkoop_widgets.widgets.app import Dashboard
from tests.conftest import COOP, EX


def expense(libelle="Facture OCCE", cents=17450, account="6281", **kw):
    return EntryDraft(date(2025, 10, 3), libelle, bank_out=cents, mode="virement",
                      ventilation=(VentilationLine(account, cents),), **kw)


@pytest.fixture(autouse=True)
def fresh_hub(monkeypatch):
    """Each test its own kernel-wide hub (a kernel has one)."""
    monkeypatch.setattr(live, "_HUB", None)
    yield
    if live._HUB is not None:
        live._HUB.close()


@pytest.fixture
def pair(books):
    teacher = books.as_user(Actor("prof", "mandataire", coop=COOP))
    ad = books.as_user(Actor("ad76", "admin-ad", ad="AD76")).because("corrigé avec la mandataire")
    return Dashboard(teacher, COOP, EX), Dashboard(ad, COOP, EX)


def fill(form, libelle, amount, account="6281 — Cotisation OCCE (adhésion)"):
    form.libelle.value = libelle
    form.amount.value = amount
    form.rows[0].account.value = account


def test_a_save_by_the_ad_refreshes_the_teachers_cahier_header_and_alerts(pair):
    t, a = pair
    t.tabs.selected_index = 1  # the teacher looks at her cahier
    assert "Photos de classe" not in t.cahier.table.value
    assert "1 842,37" in t.header.kpis.value
    fill(a.entry.form, "Photos de classe", "250")
    a.entry.form.tiers.value = "Studio Martin"
    a.entry.form.reason.text.value = 'corrigé avec la mandataire'  # the AD says why
    a.entry.form.submit()
    assert "enregistrée" in a.entry.form.status.value
    # and a cash expense above the cash box: an alert for everyone
    a.ctx.books.record_entry(COOP, EX, EntryDraft(date(2025, 10, 4), "Achat espèces", cash_out=10000,
                                                  mode="espèces", ventilation=(VentilationLine("6064", 10000),)))
    assert "Photos de classe" not in t.cahier.table.value  # nothing until her watcher's round
    assert 'rk-halerts">aucune' in t.header.kpis.value
    t.live.tick()
    assert "Photos de classe" in t.cahier.table.value and "Achat espèces" in t.cahier.table.value
    assert 'rk-hbank">1 592,37 €' in t.header.kpis.value.replace("\u202f", " ").replace("\xa0", " ")
    assert 'rk-halerts">1<' in t.header.kpis.value
    # a round with nothing new redraws nothing
    before = t.cahier.table.value
    t.cahier.table.value = "<!-- untouched -->"
    t.live.tick()
    assert t.cahier.table.value == "<!-- untouched -->"
    t.cahier.table.value = before


def test_ones_own_save_is_not_refreshed_twice_but_a_concurrent_one_is_seen(pair, books):
    t, a = pair
    fill(t.entry.form, "Photos de classe", "250")
    t.entry.form.submit()
    assert "enregistrée" in t.entry.form.status.value
    t.tabs.selected_index = 6  # Exports: a file made after the save must stay offered
    t.exports.csv.btn.click()
    assert "Cahier_AD76-0421_2025-2026.csv" in t.exports.csv.link.value
    t.live.tick()
    assert "Cahier_AD76-0421_2025-2026.csv" in t.exports.csv.link.value
    # someone else's change after the save is not swallowed
    a.ctx.books.record_entry(COOP, EX, expense("Papeterie", 1200, "6064"))
    t.live.tick()
    assert t.exports.csv.link.value == ""  # the file's figures are stale now
    assert "Papeterie" in "".join(e.libelle for e in t.ctx.entries())


def test_what_the_teacher_is_typing_survives_a_refresh(pair):
    t, a = pair
    form = t.entry.form
    assert form.piece.value == "001"
    form.libelle.value = "Sortie au musée"
    form.amount.value = "80"
    a.ctx.books.record_entry(COOP, EX, expense())
    t.live.tick()
    assert (form.libelle.value, form.amount.value) == ("Sortie au musée", "80")
    assert form.piece.value == "002"  # the suggested number, untouched, follows the books
    form.rows[0].account.value = "6281 — Cotisation OCCE (adhésion)"
    form.submit()
    assert "Écriture 002 enregistrée" in form.status.value


def test_pointage_ticks_survive_a_refresh(pair):
    t, a = pair
    a.ctx.books.record_entry(COOP, EX, expense())
    t.live.tick()
    t.tabs.selected_index = 1
    t.cahier.session_btn.value = True
    t.cahier.session.checks[0][0].value = True
    a.ctx.books.record_entry(COOP, EX, expense("Papeterie", 1200, "6064"))
    t.live.tick()
    assert len(t.cahier.session.checks) == 2
    assert [cb.value for cb, e in t.cahier.session.checks if e.libelle == "Facture OCCE"] == [True]


def test_presence_says_who_else_is_on_the_coop(pair, books):
    t, a = pair
    t.live.tick()
    a.live.tick()
    assert "ad76 consulte aussi ce cahier" in t.live.presence.value
    assert "prof consulte aussi ce cahier" in a.live.presence.value
    # the teacher's second window: her own name is not « someone else »
    t2 = Dashboard(t.ctx.books, COOP, EX)
    assert "ad76 consulte aussi ce cahier (et vous, dans une autre fenêtre)" in t2.live.presence.value
    # the AD closes her page
    a.live.close()
    t.live.tick()
    assert "ad76" not in t.live.presence.value and "autre fenêtre à votre nom" in t.live.presence.value
    t2.live.close()
    t.live.tick()
    assert t.live.presence.value == ""


def test_a_form_whose_entry_the_ad_corrected_says_so_and_reloads_keeping_her_changes(pair):
    t, a = pair
    e = t.ctx.books.record_entry(COOP, EX, expense())
    t.live.tick()
    t.open_entry(t.ctx.entry_by_id(e.id))
    form = t.entry.form
    form.tiers.value = "OCCE 76"  # her change, not saved yet
    a.ctx.books.update_entry(e.id, e.version, expense("Cotisation OCCE 2025"))  # the AD's correction
    t.live.tick()
    assert ("La pièce 001 a été modifiée par ad76 pendant que vous la corrigiez"
            in form.underneath_text.value)
    assert form.tiers.value == "OCCE 76" and form.libelle.value == "Facture OCCE"  # nothing touched
    # saving now is refused (stale), and says why
    form.submit()
    assert "✖" in form.status.value
    # reload: the AD's libellé, her tiers; then the save goes through with both
    form.underneath_btn.click()
    assert form.libelle.value == "Cotisation OCCE 2025" and form.tiers.value == "OCCE 76"
    assert "vos modifications sont gardées : tiers" in form.status.value
    assert form.underneath_box.children == ()
    form.submit()
    assert "Écriture 001 modifiée" in form.status.value
    saved = a.ctx.books.entry(e.id)
    assert (saved.libelle, saved.tiers) == ("Cotisation OCCE 2025", "OCCE 76")


def test_a_form_whose_entry_was_deleted_keeps_the_typing_as_a_new_entry(pair):
    t, a = pair
    e = t.ctx.books.record_entry(COOP, EX, expense())
    t.live.tick()
    t.open_entry(t.ctx.entry_by_id(e.id))
    form = t.entry.form
    form.amount.value = "180"
    form.rows[0].amount.value = "180"
    a.ctx.books.delete_entry(e.id, e.version, "doublon")
    t.live.tick()
    assert "La pièce 001 a été supprimée par ad76" in form.underneath_text.value
    form.underneath_btn.click()
    assert form.editing is None and form.amount.value == "180"
    form.submit()
    assert "Écriture 002 enregistrée" in form.status.value  # 001 is never reused


def test_the_hub_runs_on_the_kernels_loop_and_survives_a_failing_round(books, monkeypatch):
    """The kernel-wide hub on a real asyncio loop (as ipykernel's): a failing round is
    logged and the next one works; on PostgreSQL the change arrives by LISTEN/NOTIFY."""
    teacher = books.as_user(Actor("prof", "mandataire", coop=COOP))
    ad = books.as_user(Actor("ad76", "admin-ad", ad="AD76")).because("corrigé avec la mandataire")

    async def until(cond, timeout=15.0):
        end = time.monotonic() + timeout
        while not cond():
            assert time.monotonic() < end, "not within the timeout"
            await asyncio.sleep(0.05)

    monkeypatch.setattr(live, "SAFETY_POLL", live.SAFETY_POLL)

    async def scenario():
        t = Dashboard(teacher, COOP, EX)
        hub = live.hub()
        assert hub.timer is not None
        if books.engine.dialect.name == "postgresql":
            await until(lambda: any(hub.listening.values()))
            live.SAFETY_POLL = 3600.0  # from now on only a notification can wake the teacher's page
            t.live.next_poll = time.monotonic() + 3600
        # a round that fails (the coop cannot be read): logged, the hub goes on
        good, t.live.coop = t.live.coop, "AD76-9999"
        t.live.dirty = True
        rounds = hub.rounds
        await until(lambda: hub.rounds > rounds)
        assert "read" in hub.last_error
        t.live.coop = good
        await asyncio.to_thread(ad.record_entry, COOP, EX, expense("Photos de classe", 25000))
        await until(lambda: "1 592,37" in t.header.kpis.value)
        hub.close()
        hub.timer.stop()
        return t

    t = asyncio.run(scenario())
    assert "Photos de classe" in "".join(e.libelle for e in t.ctx.entries())


def test_a_closed_page_stops_reading_and_leaves_the_others_presence_line(books, monkeypatch):
    """Closing a tab does not stop its kernel: when the page's pings stop, its dashboard
    stops reading and the others no longer list it; a ping brings it back."""
    from retkoop_widgets.services import live as svc
    monkeypatch.setattr(svc, "HEARTBEAT", 1)
    monkeypatch.setattr(live, "PAGE_GONE", 3.0)
    teacher = books.as_user(Actor("prof", "mandataire", coop=COOP))
    ad = books.as_user(Actor("ad76", "admin-ad", ad="AD76")).because("corrigé avec la mandataire")

    async def until(cond, pinged, timeout=20.0):
        end = time.monotonic() + timeout
        while not cond():
            assert time.monotonic() < end, "not within the timeout"
            for d in pinged:  # what the browser's Play widget does
                d.live.ping.value = (d.live.ping.value + 1) % 100
            await asyncio.sleep(0.2)

    async def scenario():
        t, a = Dashboard(teacher, COOP, EX), Dashboard(ad, COOP, EX)
        await until(lambda: "ad76 consulte aussi" in t.live.presence.value, [t, a])
        await until(lambda: a.live.gone and "ad76" not in t.live.presence.value, [t])  # her tab closed
        rounds, token = live.hub().rounds, a.live.token
        await asyncio.to_thread(teacher.record_entry, COOP, EX, expense())
        await until(lambda: live.hub().rounds >= rounds + 3, [t])
        assert a.live.token == token  # a closed page reads nothing
        await until(lambda: "ad76 consulte aussi" in t.live.presence.value and a.live.token != token, [t, a])
        live.hub().close()
        live.hub().timer.stop()

    asyncio.run(scenario())
