"""Working together, live, in real Chromium: TWO browser contexts on the standalone Voilà
dashboard (own port range 18960-18979), on SQLite and on PostgreSQL. One saves an entry,
the other sees it in its cahier and header within a few seconds (Playwright's polling
``expect``, no sleeps); each says the other is there; the AD (through the services, on the
same database) is seen on the coop and her correction of a pièce being edited is announced
in the form, which reloads it keeping the teacher's change."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COOP, EX = "AD76-0421", "2025-2026"
# docs/screenshots/ only when asked (RETKOOP_SCREENSHOTS=docs/screenshots), as the a11y test:
# a test run leaves the checkout as it found it
SHOTS = Path(os.environ.get("RETKOOP_SCREENSHOTS") or Path(tempfile.gettempdir()) / "retkoop-screenshots")
FEW_SECONDS = 5000  # the promise is 2 s; the page's own round trip comes on top
HEARTBEAT = 15000  # presence: a heartbeat every 10 s
PAGE_GONE = 45000  # a closed tab: 20 s without its page's pings, then the others' next heartbeat


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request):
    from retkoop_widgets.devtools.voila import dashboard_server
    db_url = None
    if request.param == "postgresql":
        if os.environ.get("RETKOOP_SKIP_PG") == "1":
            pytest.skip("RETKOOP_SKIP_PG=1")
        from tests.conftest import create_pg_database
        db_url = create_pg_database(f"retkoop_live_browser_{os.getpid()}")
    with dashboard_server((18960, 18979), db_url=db_url) as srv:
        yield srv
    if db_url is not None:
        from retkoop_widgets.storage.db import get_engine
        get_engine(db_url).dispose()


@pytest.fixture(scope="module")
def browser():
    from retkoop_widgets.devtools.chromium import french_browser
    with french_browser() as b:
        yield b


def tab(page, name):
    page.locator(".lm-TabBar-tab", has_text=name).first.click()


def test_two_pages_see_each_others_saves_and_who_is_there(server, browser):
    from retkoop_widgets.devtools.voila import open_dashboard
    from retkoop_widgets.domain.actor import Actor
    from retkoop_widgets.domain.entry import EntryDraft
    from retkoop_widgets.services import Books, live

    url, db_url = server
    teacher = open_dashboard(browser, url)  # her laptop
    other = open_dashboard(browser, url)  # her second window (the same demo login)
    try:
        # each page says the other is open (the second one at once, the first at its next heartbeat)
        expect(other.locator(".rk-presence")).to_contain_text("aussi ouvert dans une autre fenêtre",
                                                              timeout=HEARTBEAT)
        expect(teacher.locator(".rk-presence")).to_contain_text("aussi ouvert dans une autre fenêtre",
                                                                timeout=HEARTBEAT)
        tab(other, "Cahier")
        other.wait_for_selector(".rk-cahier-html")
        expect(other.locator(".rk-hbank")).to_have_text("1 842,37 €")

        # 1. the teacher saves an entry; the other page shows it without a reload
        teacher.fill(".rk-libelle input", "Photos de classe")
        teacher.fill(".rk-amount input", "250")
        teacher.locator(".rk-vaccount input").first.fill("6281 — Cotisation OCCE (adhésion)")
        teacher.click(".rk-valider")
        teacher.wait_for_selector(".rk-saisie-status:has-text('Écriture 001 enregistrée')")
        expect(other.locator(".rk-cahier-html")).to_contain_text("Photos de classe", timeout=FEW_SECONDS)
        expect(other.locator(".rk-hbank")).to_have_text("1 592,37 €", timeout=FEW_SECONDS)

        # 2. the AD opens the coop: both pages say so
        ad = Books(db_url, Actor("ad76", "admin-ad", ad="AD76")).because("pièce relue avec la mandataire")
        live.heartbeat(ad, COOP, "browser-test-ad76")
        expect(other.locator(".rk-presence")).to_contain_text("ad76 consulte aussi ce cahier", timeout=HEARTBEAT)

        # 3. the teacher corrects pièce 001 while the AD corrects its libellé
        tab(teacher, "Cahier")
        teacher.wait_for_selector(".rk-cahier-html:has-text('Photos de classe')")
        teacher.click(".rk-cedit")
        teacher.wait_for_selector(".rk-title:has-text('Modification de la pièce 001')")
        teacher.fill(".rk-tiers input", "Studio Martin")
        e = ad.entries(COOP, EX)[0]
        d = e.to_draft()
        ad.update_entry(e.id, e.version, EntryDraft(d.date, "Photos de classe 2025", bank_out=d.bank_out,
                                                    mode=d.mode, ventilation=d.ventilation))
        live.heartbeat(ad, COOP, "browser-test-ad76")
        notice = teacher.locator(".rk-underneath")
        expect(notice).to_contain_text("La pièce 001 a été modifiée par ad76 pendant que vous la corrigiez",
                                       timeout=FEW_SECONDS)
        expect(other.locator(".rk-cahier-html")).to_contain_text("Photos de classe 2025", timeout=FEW_SECONDS)
        expect(teacher.locator(".rk-tiers input")).to_have_value("Studio Martin")  # her typing is kept
        expect(teacher.locator(".rk-presence")).to_contain_text("ad76", timeout=HEARTBEAT)
        if db_url.startswith("sqlite"):
            SHOTS.mkdir(parents=True, exist_ok=True)
            teacher.screenshot(path=str(SHOTS / "live-collaboration.png"), full_page=True)
        teacher.click(".rk-underneath-reload")
        expect(teacher.locator(".rk-libelle input")).to_have_value("Photos de classe 2025")
        expect(teacher.locator(".rk-tiers input")).to_have_value("Studio Martin")
        teacher.click(".rk-valider")
        teacher.wait_for_selector(".rk-saisie-status:has-text('Écriture 001 modifiée')")
        expect(other.locator(".rk-cahier-html")).to_contain_text("Studio Martin", timeout=FEW_SECONDS)
        saved = ad.entry(e.id)
        assert (saved.libelle, saved.tiers) == ("Photos de classe 2025", "Studio Martin")
        live.leave(ad, COOP, "browser-test-ad76")

        # 4. the second window is closed (its kernel lives on): the teacher's line empties
        other.context.close()
        presence = teacher.locator(".rk-presence")
        expect(presence).not_to_contain_text("ad76", timeout=HEARTBEAT)
        expect(presence).not_to_contain_text("autre fenêtre", timeout=PAGE_GONE)
    finally:
        teacher.context.close()
        other.context.close()
