"""Year-end continuity in a real Chromium against a real Voilà (issue 12): last year's
August cheque, in a closed exercice, is offered in this year's pointage session with its
year, ticked and pointed on the current statement; last year's books stay readable."""
from __future__ import annotations

from datetime import date

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COOP, OLD, NEW = "AD76-0421", "2025-2026", "2026-2027"


def seed(b):
    from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
    b.add_ad("AD76", "OCCE Seine-Maritime")
    b.add_coop(COOP, "École des Tilleuls", "AD76")
    b.open_exercice(COOP, OLD, 184237, 6350)
    b.record_entry(COOP, OLD, EntryDraft(date(2026, 8, 25), "Car du voyage", mode="chèque", cheque="4521045",
                                         bank_out=4500, ventilation=(V("6251", 4500),)))
    b.close_exercice(COOP, OLD)


@pytest.fixture(scope="module")
def server():
    from retkoop_widgets.devtools.voila import dashboard_server
    with dashboard_server((18940, 18959), seed=seed) as srv:
        yield srv


def test_last_years_cheque_is_pointed_in_this_years_session(server, tmp_path):
    from retkoop_widgets.devtools.chromium import french_browser
    from retkoop_widgets.devtools.voila import open_dashboard
    from retkoop_widgets.services import Books
    url, db_url = server
    with french_browser() as browser:
        page = open_dashboard(browser, url)
        page.locator(".lm-TabBar-tab", has_text="Cahier").first.click()
        page.click(".rk-psession")
        carried = page.locator(".rk-pcarried", has_text="Car du voyage")
        carried.wait_for()
        assert "exercice 2025-2026" in carried.inner_text()
        page.wait_for_selector(".rk-pcarried-title:has-text('exercices précédents')")
        # the bank still held the 45 € on 31/08: 1 842,37 €; now it paid the cheque
        page.fill(".rk-pbalance input", "1 797,37")
        page.wait_for_selector(".rk-psummary:has-text('-45,00 €')")
        carried.locator("input").check()
        page.wait_for_selector(".rk-psummary:has-text('relevé rapproché')")
        page.screenshot(path=str(tmp_path / "session.png"), full_page=True)
        page.click(".rk-pvalider")
        page.wait_for_selector(".rk-pstatus:has-text('1 ligne pointée')")
        page.wait_for_selector(".rk-pointage:has-text('Toutes les lignes en banque')")
    books = Books(db_url, "test", read_only=True)
    [e] = books.entries(COOP, OLD)
    assert e.pointed and e.statement_date > date(2026, 8, 31)
    assert books.crf(COOP, NEW).outstanding_previous == ()
