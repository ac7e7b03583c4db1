"""An AD correction with its reason reaching the teacher's open page, in real Chromium
against two real Voilà servers on one SQLite database (ports 18920-18939): the teacher's
dashboard (the demo mandataire) and the AD's (``RETKOOP_USER=ad76``, ``?coop=``).

The AD's page asks « Motif de la correction » and refuses a save without one, keeping
what was typed; with one, the teacher's open page shows « L'AD76 a modifié la pièce 001 …
: motif … » without a reload (its timer), the Historique tab lists it, and « J'ai compris »
puts the notice away for good."""
from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# docs/screenshots/ only when asked (RETKOOP_SCREENSHOTS=docs/screenshots), as the a11y test:
# a test run leaves the checkout as it found it
SHOTS = Path(os.environ.get("RETKOOP_SCREENSHOTS") or Path(tempfile.gettempdir()) / "retkoop-screenshots")
COOP, EX = "AD76-0421", "2025-2026"
REASON = "ticket de caisse relu avec la mandataire : 21,00 € et non 12,34 €"


def seed(books):
    from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
    from retkoop_widgets.services.accounts import Accounts
    books.add_ad("AD76", "OCCE Seine-Maritime")
    books.add_coop(COOP, "École des Tilleuls", "AD76")
    books.open_exercice(COOP, EX, 184237, 6350)
    Accounts(books.engine).add("ad76", "admin-ad", ad="AD76", password="un-secret-de-classe-42")
    from retkoop_widgets.domain.actor import Actor
    books.as_user(Actor("demo", "mandataire", coop=COOP)).record_entry(
        COOP, EX, EntryDraft(date(2026, 3, 4), "Photos de classe", tiers="Studio Lumière", mode="chèque",
                             bank_out=1234, ventilation=(V("6064", 1234),)))


@pytest.fixture(scope="module")
def servers():
    from retkoop_widgets import dashboard_server as ds
    from retkoop_widgets.devtools.voila import dashboard_server, free_port
    with dashboard_server((18920, 18929), seed=seed) as (teacher_url, db_url):
        port = free_port(18930, 18939)
        env = {k: v for k, v in os.environ.items() if not k.startswith("RETKOOP_") and k != "QUERY_STRING"}
        env.update(RETKOOP_USER="ad76", RETKOOP_ROLE="admin-ad", RETKOOP_AD="AD76")
        proc = ds.start(db_url, port, env=env, quiet=True)
        try:
            ds.wait_ready(port, proc=proc)
            yield teacher_url, f"http://127.0.0.1:{port}/?coop={COOP}", db_url
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except Exception:  # noqa: BLE001
                proc.kill()


def test_an_ad_correction_and_its_reason_reach_the_teachers_open_page(servers, tmp_path):
    from retkoop_widgets.devtools.chromium import french_browser
    from retkoop_widgets.devtools.voila import open_dashboard
    from retkoop_widgets.services import Books
    teacher_url, ad_url, db_url = servers
    with french_browser() as browser:
        teacher = open_dashboard(browser, teacher_url)
        assert not teacher.locator(".rk-notice-box").is_visible()
        assert not teacher.locator(".rk-motif").is_visible()  # the teacher keeps her books: no reason asked
        ad = open_dashboard(browser, ad_url)
        assert "École des Tilleuls" in ad.inner_text(".rk-app")
        # the AD opens pièce 001 from the cahier and corrects its amount
        ad.locator(".lm-TabBar-tab", has_text="Cahier").first.click()
        ad.wait_for_selector(".rk-cedit")
        ad.click(".rk-cedit")
        ad.wait_for_selector(".rk-title:has-text('001')", timeout=30000)
        ad.fill(".rk-amount input", "21,00")
        ad.locator(".rk-vamount input").nth(0).fill("21,00")
        assert ad.locator(".rk-motif").is_visible()
        ad.click(".rk-valider")
        ad.wait_for_selector(".rk-err:has-text('motif de la correction')")
        assert Books(db_url).entries(COOP, EX)[0].amount == 1234  # refused: nothing saved
        ad.fill(".rk-motif input", REASON)
        ad.click(".rk-valider")
        ad.wait_for_selector(".rk-saisie-status:has-text('Écriture 001 modifiée')")
        assert ad.input_value(".rk-motif input") == ""
        ad.screenshot(path=str(tmp_path / "ad.png"), full_page=True)
        # the teacher's open page is told, with the reason, without a reload
        teacher.wait_for_selector(".rk-notice:has-text('a modifié la pièce 001')", timeout=30000)
        text = teacher.inner_text(".rk-notice")
        assert "L'AD76 a modifié la pièce 001 (exercice 2025-2026)" in text
        assert f"motif {REASON}" in text and "12,34 € → 21,00 €" in text
        SHOTS.mkdir(parents=True, exist_ok=True)
        teacher.screenshot(path=str(SHOTS / "history-notice.png"))
        # the history says the same, with the login and role
        teacher.locator(".lm-TabBar-tab", has_text="Historique").first.click()
        teacher.wait_for_selector(".rk-history-table")
        first = teacher.locator(".rk-history-table tbody tr").first
        assert "ad76 (AD76)" in first.inner_text() and REASON in first.inner_text()
        teacher.screenshot(path=str(SHOTS / "history-section.png"), full_page=True)
        # « J'ai compris »: gone, and not back at the next load
        teacher.click(".rk-notice-ok")
        teacher.wait_for_selector(".rk-notice-box", state="hidden")
        again = open_dashboard(browser, teacher_url)
        assert not again.locator(".rk-notice-box").is_visible()
