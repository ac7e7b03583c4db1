"""The AD's morning view (``services.follow_up``) and the one alert definition
(``domain.follow_up``) it shares with the analysis notebook. SQLite and PostgreSQL; the
pure rules without any database. « Today » is 07/12/2026: the 2025-2026 CRFs were due on
30/09/2026."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from retkoop_widgets.analysis.overview import analyse_ad
from retkoop_widgets.demo import _generated_year
from retkoop_widgets.domain import follow_up as rules
from retkoop_widgets.domain.actor import Actor
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
from retkoop_widgets.domain.errors import Forbidden
from retkoop_widgets.services.follow_up import (campaign_exercice, morning_view, reminders_csv, reminders_xlsx)

from conftest import COOP, EX

AD76 = Actor("ad76", "admin-ad", ad="AD76")
TODAY = date(2026, 12, 7)


def test_deadline_statuses():
    assert rules.crf_due("2025-2026") == date(2026, 9, 30)
    assert campaign_exercice(TODAY) == "2025-2026" and campaign_exercice(date(2026, 8, 31)) == "2024-2025"
    late = rules.deadline("2025-2026", "ouvert", None, TODAY)
    assert (late.status, late.days, late.text) == ("en retard", 68, "en retard de 68 j (échéance 30/09/2026)")
    assert rules.deadline("2025-2026", "rouvert", None, date(2026, 9, 1)).status == "à rendre bientôt"
    assert rules.deadline("2025-2026", "ouvert", None, date(2026, 8, 30)).status == "à venir"
    assert rules.deadline("2025-2026", "soumis", datetime(2026, 10, 2, 9), TODAY).status == "soumis en retard"
    assert rules.deadline("2025-2026", "soumis", datetime(2026, 9, 2, 9), TODAY).status == "soumis"
    assert rules.deadline("2025-2026", "absent", None, TODAY).status == "exercice absent"


def test_findings_are_pure_and_name_their_figures():
    f = rules.CoopFacts("AD76-0001", "École", "2025-2026", "ouvert", opening_cash=1000, closing_cash=1000,
                        unpointed=2, unpointed_oldest=date(2026, 5, 2), unpointed_net=-4500,
                        late_deposits=1, late_worst=45, late_amount=2000, late_first=date(2026, 3, 1))
    got = {x.kind: x.message for x in rules.coop_findings(f, TODAY)}
    assert set(got) == {"arrete_caisse", "crf_manquant", "pointage_en_retard", "especes_remise_tardive"}
    assert got["crf_manquant"].endswith("échéance du 30/09/2026 dépassée de 68 jours")
    assert "2 ligne(s) de banque non pointée(s)" in got["pointage_en_retard"]
    assert got["arrete_caisse"].startswith("aucun arrêté de caisse enregistré")
    # before the deadline, nothing about the CRF; an empty cash box needs no count
    calm = rules.CoopFacts("AD76-0001", "École", "2025-2026", "ouvert")
    assert rules.coop_findings(calm, date(2026, 9, 1)) == []


@pytest.fixture
def ad(books, clock):
    """AD76 on 07/12/2026: the fixture's coop (63,50 € in cash never counted: not ready),
    a generated year with anomalies, a clean generated year, one submitted on time, one
    without the exercice; AD27: one coop."""
    clock.day = TODAY
    for code, seed, anomalies in (("AD76-0333", 333, True), ("AD76-0450", 450, False), ("AD76-0500", 500, False)):
        books.add_coop(code, f"École {seed}", "AD76")
        _generated_year(books, code, seed=seed, opening=(95012, 2300), n=60, anomalies=anomalies)
    clock.day = date(2026, 9, 20)
    books.submit_exercice("AD76-0500", EX)
    clock.day = TODAY
    books.add_coop("AD76-0460", "Sans exercice", "AD76")
    books.add_ad("AD27", "OCCE Eure")
    books.add_coop("AD27-0001", "École de l'Eure", "AD27")
    _generated_year(books, "AD27-0001", seed=27, opening=(1000, 0), n=10)
    books.record_entry(COOP, EX, EntryDraft(date(2026, 3, 2), "Cotisation", mode="chèque", cheque="1010999",
                                            bank_out=17450, ventilation=(V("6281", 17450),)))
    return books


def test_morning_view_ranks_what_needs_the_ad_first(ad):
    view = morning_view(ad.as_user(AD76), "AD76")
    assert view.exercice == EX and view.due == date(2026, 9, 30)
    order = [r.code for r in view.rows]
    assert set(order) == {COOP, "AD76-0333", "AD76-0450", "AD76-0460", "AD76-0500"}
    by = {r.code: r for r in view.rows}
    # the submitted coop last; the late ones first, not ready before ready
    assert order[-1] == "AD76-0500" and by["AD76-0500"].status == "soumis"
    late = [r for r in view.rows if r.deadline.status == "en retard"]
    assert {r.code for r in late} == {COOP, "AD76-0333", "AD76-0450"} and order[:3] == [r.code for r in late]
    assert [r.ready for r in late] == sorted(r.ready for r in late)  # not ready first
    tilleuls = by[COOP]
    assert not tilleuls.ready and tilleuls.status == "pas prêt"
    assert any("arrêté de caisse de clôture" in m for m in tilleuls.reasons)  # check_crf's own words
    assert by["AD76-0450"].ready and by["AD76-0450"].reasons == ()
    assert by["AD76-0460"].deadline.status == "exercice absent"
    assert tilleuls.last_entry == date(2026, 3, 2) and tilleuls.days_since(tilleuls.last_entry) == 280
    assert view.summary == ("Compte rendu 2025-2026 (échéance 30/09/2026) : 5 coopératives — 1 soumis, "
                            "1 prêts à soumettre, 4 en retard")
    assert (view.submitted, view.ready, view.late) == (1, 1, 4)


def test_the_dashboard_counts_the_notebooks_alerts(ad, db_url):
    """One definition: kind by kind, coop by coop, the morning view finds what the
    analysis notebook finds (the dashboard used to say 0 where the notebook found 3)."""
    view = morning_view(ad.as_user(AD76), "AD76")
    analysis = analyse_ad(db_url, "AD76", EX, today=TODAY)
    notebook = sorted(zip(analysis.anomalies["code"], analysis.anomalies["type"], analysis.anomalies["detail"]))
    dashboard = sorted((r.code, f.kind, f.message) for r in view.rows for f in r.findings)
    assert dashboard == notebook
    kinds = {k for _, k, _ in dashboard}
    assert {"crf_manquant", "pointage_en_retard", "especes_remise_tardive", "arrete_caisse",
            "exercice_absent"} <= kinds
    assert {r.code: r.alerts for r in view.rows}["AD76-0333"] >= 4
    assert view.alert_totals()["crf_manquant"] == 3


def test_an_ad_follows_its_own_coops_only(ad):
    with pytest.raises(Forbidden):
        morning_view(ad.as_user(AD76), "AD27")
    with pytest.raises(Forbidden):
        morning_view(ad.as_user(Actor("tilleuls", "mandataire", coop=COOP)), "AD76")
    assert [r.code for r in morning_view(ad, "AD27").rows] == ["AD27-0001"]


def test_reminder_lists_for_a_mailing(ad):
    view = morning_view(ad.as_user(AD76), "AD76", mandataires={COOP: ("Claire Martin",)})
    late = [r for r in view.rows if r.deadline.status == "en retard"]
    text = reminders_csv(late).decode("utf-8")
    assert text.startswith("\ufeffCode;Coopérative;Mandataires;")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 1 + len(late)
    line = {r[0]: r for r in rows[1:]}[COOP]
    assert line[2] == "Claire Martin" and line[4] == "30/09/2026" and line[6] == "pas prêt"
    assert "arrêté de caisse de clôture" in line[7] and "compte rendu non soumis" in line[8]
    wb = load_workbook(io.BytesIO(reminders_xlsx(late)))
    ws = wb.active
    assert ws["A1"].value == "Code" and ws.max_row == 1 + len(late)
    assert [c.value or "" for c in ws[2]] == rows[1]
