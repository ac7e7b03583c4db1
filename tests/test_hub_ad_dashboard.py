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


# -- the morning view and the account actions (issue 15) ------------------------------
@pytest.fixture
def late_ad(two_ads, clock):
    """07/12/2026: AD76-0421 late and not ready (cash never counted at closing), AD76-0102
    without the exercice; two mandataire accounts, one of them failing its passwords."""
    clock.day = date(2026, 12, 7)
    acc = Accounts(two_ads.engine, now=two_ads.now)
    acc.add("tilleuls", "mandataire", coop="AD76-0421", full_name="Claire Martin", password="un-secret-solide-1")
    acc.add("ferry", "mandataire", coop="AD76-0102", password="un-secret-solide-2")
    for _ in range(3):
        acc.verify_login("ferry", "faux")
    return two_ads


def rows_of(page):
    import re
    return re.findall(r"class='coop-row' data-coop='([^']+)' data-status='([^']+)'", find(page, "ad-table").value)


def test_morning_view_ranks_filters_and_searches(late_ad):
    page = build(late_ad, Accounts(late_ad.engine), AD76)
    summary = find(page, "ad-summary-box").value
    assert "0 soumis" in summary and "0 prêts" in summary and "2 en retard" in summary
    assert "échéance 30/09/2026" in summary
    assert rows_of(page) == [("AD76-0421", "en retard"), ("AD76-0102", "exercice absent")]
    table = find(page, "ad-table").value
    assert "en retard de 68 j (échéance 30/09/2026)" in table and "pas prêt" in table
    assert "le dernier arrêté de caisse date du 04/10/2025 : faites un arrêté de clôture" in table  # check_crf
    assert "data-kind='crf_manquant' title='compte rendu 2025-2026 non soumis" in table
    assert "Claire Martin" in table and "tableau_de_bord.ipynb?coop=AD76-0421" in table
    find(page, "ad-search").value = "jules"
    assert rows_of(page) == [("AD76-0102", "exercice absent")]
    find(page, "ad-search").value = "claire"  # a mandataire's name finds the coop
    assert rows_of(page) == [("AD76-0421", "en retard")]
    find(page, "ad-search").value = ""
    find(page, "ad-filter").value = "pretes"
    assert rows_of(page) == [] and "aucune coopérative ne correspond" in find(page, "ad-table").value
    find(page, "ad-filter").value = "toutes"
    find(page, "ad-alert-filter").value = "arrete_caisse"
    assert rows_of(page) == [("AD76-0421", "en retard")]


def test_reminder_list_is_downloaded_as_csv_and_xlsx(late_ad):
    import base64
    import io
    import re
    from openpyxl import load_workbook
    page = build(late_ad, Accounts(late_ad.engine), AD76)
    find(page, "ad-filter").value = "retard"
    find(page, "export-csv").click()
    link = find(page, "ad-export").value
    assert "download='relances-AD76-2026-12-07.csv'" in link and "(2 coopératives)" in link
    data = base64.b64decode(re.search(r"base64,([^']+)'", link).group(1)).decode("utf-8")
    lines = data.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Code;Coopérative;Mandataires") and len(lines) == 3
    assert lines[1].startswith("AD76-0421;École des Tilleuls;Claire Martin;2025-2026;30/09/2026;")
    find(page, "export-xlsx").click()
    link = find(page, "ad-export").value
    wb = load_workbook(io.BytesIO(base64.b64decode(re.search(r"base64,([^']+)'", link).group(1))))
    assert [row[0] for row in wb.active.iter_rows(values_only=True)] == ["Code", "AD76-0421", "AD76-0102"]


def test_accounts_states_unlock_confirmed_deactivation_and_reactivation(late_ad):
    page = build(late_ad, Accounts(late_ad.engine), AD76)
    states = find(page, "ad-accounts-box").value
    assert "data-login='ferry'" in states and "data-state='verrouillé'" in states
    assert "data-state='actif'" in states and "3 mot(s) de passe erroné(s)" in states
    choice = find(page, "account-choice")
    assert ("ferry — verrouillé", "ferry") in choice.options
    choice.value = "ferry"
    find(page, "unlock-account").click()
    assert "ferry débloqué" in find(page, "ad-status").value
    assert Accounts(late_ad.engine).profile("ferry").state == "actif"

    choice.value = "tilleuls"
    find(page, "deactivate-account").click()
    assert "Désactiver le compte tilleuls ?" in find(page, "confirm-text").value
    assert Accounts(late_ad.engine).profile("tilleuls").active  # nothing before the confirmation
    find(page, "cancel-action").click()
    assert Accounts(late_ad.engine).profile("tilleuls").active
    find(page, "deactivate-account").click()
    find(page, "confirm-action").click()
    assert "tilleuls désactivé" in find(page, "ad-status").value
    assert "data-state='désactivé'" in find(page, "ad-accounts-box").value
    r = Accounts(late_ad.engine).verify_login("tilleuls", "un-secret-solide-1")
    assert not r.ok and "désactivé" in r.message
    find(page, "reactivate-account").click()
    assert "tilleuls réactivé" in find(page, "ad-status").value
    assert Accounts(late_ad.engine).verify_login("tilleuls", "un-secret-solide-1").ok
    actions = [(a["action"], a["actor"]) for a in late_ad.audit_log("AD76-0421") if a["action"].startswith("user_")]
    assert actions[:2] == [("user_enable", "ad76"), ("user_disable", "ad76")]
    assert ("user_unlock", "ad76") in [(a["action"], a["actor"]) for a in late_ad.audit_log("AD76-0102")]
