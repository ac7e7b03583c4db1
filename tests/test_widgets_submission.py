"""Wiring of the Bilan's "Soumettre le compte rendu financier" panel and of the read-only
dashboard that follows a submission (no browser; SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import date

from retkoop_widgets.domain.actor import Actor
from retkoop_widgets.services import submission as sub
from retkoop_widgets.widgets.app import Dashboard
from tests.conftest import COOP, EX
from tests.known_year import seed_known_year

BILAN = 5


def mandataire(books):
    return books.as_user(Actor("prof", "mandataire", coop=COOP))


def fill(panel, verifs, lieu="Rouen", day=date(2026, 9, 10), rappro=True):
    while len(panel.rows) < len(verifs):
        panel.add_row()
    for row, (nom, qualite) in zip(panel.rows, verifs):
        row.nom.value, row.qualite.value = nom, qualite
    panel.lieu.value, panel.date.value, panel.rappro.value = lieu, day, rappro


def confirm(panel):
    panel.submit_btn.click()
    yes = next(w for w in panel.confirm.children if getattr(w, "description", "").startswith("Oui"))
    yes.click()


def test_checklist_lists_what_is_missing_in_french(books):
    seed_known_year(books, cash_count=False, subsidy=False)
    d = Dashboard(mandataire(books), COOP, EX)
    d.tabs.selected_index = BILAN
    p = d.summary.submission
    html = p.checks.value
    assert html.count("rk-check ok") == 3 and html.count("rk-check ko") == 2
    assert 'data-check="caisse"' in html and "arrêté de caisse de clôture" in html
    assert 'data-check="subventions"' in html and "7410" in html
    assert "Encore 2 points à régler" in p.state.value
    # the closing count and the subsidy line fix both lines, once the Bilan is seen again
    books.record_cash_count(COOP, EX, date(2026, 8, 31), {5000: 1, 2000: 1, 500: 1, 200: 2, 20: 1}, "clôture")
    books.add_subsidy(COOP, EX, "Mairie", "commune", "Projet lecture", 60000, date(2025, 11, 6), entry_piece="003")
    d.ctx.changed()
    assert p.checks.value.count("rk-check ok") == 5 and "Tout est prêt" in p.state.value


def test_submission_refused_with_reasons_beside_the_fields_and_nothing_locked(books):
    seed_known_year(books)
    d = Dashboard(mandataire(books), COOP, EX)
    d.tabs.selected_index = BILAN
    p = d.summary.submission
    # the place is required before any confirmation is asked
    fill(p, [("Claire Martin", "parent"), ("Paul Durand", "enseignant")], lieu="")
    p.submit_btn.click()
    assert p.lieu_err.value and p.confirm.children == ()
    # one vérificateur only, a teacher, and the reconciliation not confirmed
    fill(p, [("Paul Durand", "enseignant")], rappro=False)
    p.rows[1].nom.value = ""
    confirm(p)
    assert "deux vérificateurs" in p.verif_err.value and "parent" in p.verif_err.value
    assert "rapprochement" in p.rappro_err.value and "rk-ko" in p.status.value
    # the mandataire cannot verify their own books
    fill(p, [("prof", "parent"), ("Paul Durand", "enseignant")])
    confirm(p)
    assert "mandataire" in p.verif_err.value
    assert books.exercice(COOP, EX).writable and not d.banner.value


def test_cancel_leaves_the_exercice_open(books):
    seed_known_year(books)
    d = Dashboard(mandataire(books), COOP, EX)
    d.tabs.selected_index = BILAN
    p = d.summary.submission
    fill(p, [("Claire Martin", "parent"), ("Paul Durand", "enseignant")])
    p.submit_btn.click()
    next(w for w in p.confirm.children if getattr(w, "description", "") == "Annuler").click()
    assert p.confirm.children == () and books.exercice(COOP, EX).state == "ouvert"


def test_submission_locks_the_dashboard_read_only(books, clock):
    seed_known_year(books)
    d = Dashboard(mandataire(books), COOP, EX)
    d.tabs.selected_index = 1  # the cahier is built before the lock and must be locked too
    d.tabs.selected_index = BILAN
    p = d.summary.submission
    fill(p, [("Claire Martin", "parent"), ("Paul Durand", "enseignant")])
    confirm(p)
    assert books.exercice(COOP, EX).state == "soumis"
    [v1, v2] = sub.submission_info(books, COOP, EX).verificateurs
    assert (v1["nom"], v1["qualite"], v2["qualite"]) == ("Claire Martin", "parent", "enseignant")
    today = clock.today().strftime("%d/%m/%Y")
    assert f"soumis le {today}" in p.state.value and "seule l’AD peut rouvrir" in p.state.value
    assert p.form.layout.display == "none"
    assert f"soumis le {today}" in d.banner.value and "Seule l’AD peut rouvrir" in d.banner.value
    assert "soumis" in d.header.kpis.value
    # forms are disabled, reading stays possible
    f = d.entry.form
    assert f.valider.disabled and f.libelle.disabled and f.amount.disabled
    assert d.cahier.del_btn.disabled and d.cahier.point_btn.disabled and not d.cahier.text.disabled
    d.tabs.selected_index = 2
    assert d.cash.save.disabled
    d.tabs.selected_index = 3
    assert d.subsidies.save.disabled
    d.tabs.selected_index = 4
    assert d.attachments.upload.disabled and not d.attachments.entry.disabled
    d.tabs.selected_index = 6
    assert not d.exports.csv.btn.disabled
    d.exports.csv.btn.click()
    assert "data:text/csv" in d.exports.csv.link.value


def test_a_new_dashboard_on_a_submitted_exercice_opens_read_only_and_reopening_unlocks(books):
    seed_known_year(books)
    sub.submit(mandataire(books), COOP, EX, [{"nom": "Claire Martin", "qualite": "parent"},
                                             {"nom": "Paul Durand", "qualite": "enseignant"}],
               lieu="Rouen", signed_on=date(2026, 9, 12), reconciliation_confirmed=True)
    d = Dashboard(mandataire(books), COOP, EX)
    assert "soumis le" in d.banner.value and d.entry.form.valider.disabled
    # the AD reopens: a fresh page is writable again, with no banner
    books.reopen_exercice(COOP, EX, "erreur de ventilation")  # the fixture's system actor stands for the AD
    d2 = Dashboard(mandataire(books), COOP, EX)
    assert d2.banner.value == "" and not d2.entry.form.valider.disabled
    d2.tabs.selected_index = BILAN
    assert "Tout est prêt" in d2.summary.submission.state.value and d2.summary.submission.form.layout.display is None


def test_switching_to_a_writable_exercice_gives_the_inputs_back(books):
    seed_known_year(books)
    books.submit_exercice(COOP, EX, [])
    books.open_exercice(COOP, "2026-2027", 100, 0)
    d = Dashboard(mandataire(books), COOP, EX)
    assert d.entry.form.valider.disabled and d.banner.value
    d.header.exercice.value = "2026-2027"
    assert not d.entry.form.valider.disabled and d.banner.value == ""
    f = d.entry.form
    f.libelle.value, f.amount.value = "Achat", "1"
    f.rows[0].account.value, f.rows[0].amount.value = "6064", "1"
    f.valider.click()
    assert [e.libelle for e in books.entries(COOP, "2026-2027")] == ["Achat"], f.status.value
