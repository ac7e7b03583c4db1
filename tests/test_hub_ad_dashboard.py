"""The AD dashboard (``notebooks/ad.ipynb``): overview through ``Books`` (nothing of another
AD), account creation/reset and CRF unlocking by an admin-ad. Widgets driven without a
kernel (``Button.click()`` fires handlers synchronously). SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date

import pytest

from retkoop_widgets.ad_dashboard.queries import ad_overview
from retkoop_widgets.ad_dashboard.widgets import build
from retkoop_widgets.domain.actor import Actor
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine
from retkoop_widgets.domain.errors import Forbidden
from retkoop_widgets.services.accounts import Accounts

AD76 = Actor("ad76", "admin-ad", ad="AD76")


@pytest.fixture
def two_ads(books):
    books.add_coop("AD76-0102", "École Jules Ferry", "AD76")
    books.add_ad("AD27", "OCCE Eure")
    books.add_coop("AD27-0101", "École de l'Eure", "AD27")
    books.open_exercice("AD27-0101", "2025-2026", 1000, 0)
    books.record_entry("AD76-0421", "2025-2026", EntryDraft(
        date=date(2025, 10, 3), libelle="Cotisation", bank_out=17450, mode="chèque", cheque="1",
        ventilation=(VentilationLine("6281", 17450),)))
    books.record_cash_count("AD76-0421", "2025-2026", date(2025, 10, 4), {500: 12, 50: 7})
    return books


def find(widget, cls):
    if cls in getattr(widget, "_dom_classes", ()):
        return widget
    for child in getattr(widget, "children", ()):
        hit = find(child, cls)
        if hit is not None:
            return hit
    return None


def test_overview_lists_only_the_ads_own_coops_with_their_state(two_ads):
    rows = {r.code: r for r in ad_overview(two_ads.as_user(AD76), "AD76")}
    assert set(rows) == {"AD76-0421", "AD76-0102"}
    t = rows["AD76-0421"]
    assert (t.bank, t.cash) == (184237 - 17450, 6350)
    assert t.last_entry == date(2025, 10, 3) and t.last_cash_count == date(2025, 10, 4)
    assert t.state == "ouvert" and rows["AD76-0102"].exercice is None
    assert ad_overview(two_ads.as_user(AD76), "AD27") == []
    with pytest.raises(Forbidden):
        two_ads.as_user(AD76).crf("AD27-0101", "2025-2026")


def test_ad_unlocks_a_submitted_crf_with_a_reason(two_ads):
    two_ads.submit_exercice("AD76-0421", "2025-2026")
    page = build(two_ads, Accounts(two_ads.engine), AD76)
    assert "soumis" in find(page, "ad-table").value
    find(page, "unlock-crf").click()
    assert "raison" in find(page, "ad-status").value  # refused without a reason
    assert two_ads.exercice("AD76-0421", "2025-2026").state == "soumis"
    find(page, "unlock-reason").value = "correction d'une ventilation"
    find(page, "unlock-crf").click()
    assert two_ads.exercice("AD76-0421", "2025-2026").state == "rouvert"
    log = two_ads.audit_log("AD76-0421", limit=1)[0]
    assert log["actor"] == "ad76" and log["action"] == "unlock" and log["reason"] == "correction d'une ventilation"


def test_ad_creates_and_resets_mandataire_accounts(two_ads):
    page = build(two_ads, Accounts(two_ads.engine), AD76)
    find(page, "new-login").value = "ferry"
    find(page, "new-coop").value = "AD76-0102"
    find(page, "create-account").click()
    status = find(page, "ad-status").value
    temp = status.rsplit(" ", 1)[-1].split("<")[0]
    r = Accounts(two_ads.engine).verify_login("ferry", temp)
    assert r.ok and r.profile.coop == "AD76-0102" and r.profile.must_change_password
    find(page, "account-choice").value = "ferry"
    find(page, "reset-account").click()
    assert "Réinitialiser le mot de passe de ferry" in find(page, "confirm-text").value
    assert Accounts(two_ads.engine).verify_login("ferry", temp).ok  # nothing done before confirming
    find(page, "confirm-action").click()
    assert "réinitialisé" in find(page, "ad-status").value
    assert not Accounts(two_ads.engine).verify_login("ferry", temp).ok


def test_page_is_refused_to_a_mandataire(two_ads):
    page = build(two_ads, Accounts(two_ads.engine), Actor("tilleuls", "mandataire", coop="AD76-0421"))
    assert "réservée" in page.value
