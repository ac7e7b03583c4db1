"""Starting mid-year from a Comptacoop workbook in a real Chromium (issue 12): receipts and
expenses on two sheets, each sheet's columns checked in the « Reprendre un cahier tableur »
panel, one click, one cahier in date order."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server():
    from retkoop_widgets.devtools.voila import dashboard_server
    with dashboard_server((18960, 18979)) as srv:
        yield srv


def test_a_two_sheet_workbook_is_taken_over_in_the_browser(server, tmp_path):
    from retkoop_widgets.devtools.chromium import french_browser
    from retkoop_widgets.devtools.voila import open_dashboard
    from retkoop_widgets.services import Books
    from tests.test_spreadsheet_sheets import COMPTACOOP, workbook
    url, db_url = server
    with french_browser() as browser:
        page = open_dashboard(browser, url)
        page.locator(".lm-TabBar-tab", has_text="Cahier").first.click()
        page.click(".rk-mtoggle")
        with page.expect_file_chooser() as chooser:
            page.click(".rk-mupload")
        chooser.value.set_files(files=[{"name": "comptacoop.xlsx", "buffer": workbook(COMPTACOOP),
                                        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
        page.wait_for_selector(".rk-mpreview:has-text('Participation des familles')")
        page.locator(".rk-msheets button", has_text="Charges").click()
        page.wait_for_selector(".rk-mpreview:has-text('Crayons')")
        page.screenshot(path=str(tmp_path / "reprise-feuilles.png"), full_page=True)
        page.click(".rk-mapply")
        page.wait_for_selector(".rk-mstatus:has-text('4 écritures importées depuis comptacoop.xlsx')")
        page.wait_for_selector(".rk-cahier:has-text('Subvention mairie')")
    entries = Books(db_url, "test", read_only=True).entries("AD76-0421", "2025-2026")
    assert [e.libelle for e in entries] == ["Participation des familles", "Crayons", "Cotisation OCCE",
                                            "Subvention mairie"]
