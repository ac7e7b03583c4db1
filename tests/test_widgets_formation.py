"""A trainee in the real dashboard: the Formation tab (training sandboxes only) shows the
guided sequence's checkers, which follow what is typed in the Saisie form."""
from __future__ import annotations

import pytest

from retkoop_widgets.domain.actor import Actor
from retkoop_widgets.training import DONE, TO_FIX, TODO
from retkoop_widgets.training import sandbox as sb
from retkoop_widgets.training import scenario as sc
from retkoop_widgets.widgets.app import Dashboard

from conftest import COOP, EX


@pytest.fixture
def sandbox(books):
    result = sb.create_session(books.as_user(Actor("f.dupont", "formateur")), "widget", "AD76", 1)
    return result.trainees[0]["coop"]


def test_formation_tab_only_on_training_coops(books, sandbox):
    assert "formation" not in [k for k, _t, _f in Dashboard(books, COOP, EX)._factories]
    dash = Dashboard(books.as_user(Actor("stagiaire", "mandataire", coop=sandbox)), sandbox)
    assert dash.tabs.get_title(len(dash._factories) - 1) == "Formation"


def test_trainee_sees_checkers_turn_from_todo_to_fixed_to_done(books, sandbox):
    dash = Dashboard(books.as_user(Actor("stagiaire", "mandataire", coop=sandbox)), sandbox)
    formation = dash.training
    facture = next(c for c in formation.sequence.checkers if c.exercise.id == "facture_occe")
    assert facture.status == TODO and "à faire" in facture.result.value
    d = sc.Dates.of(dash.ctx.exercice)
    form = dash.entry.form

    def type_invoice(dues: str):
        form.libelle.value = "Facture OCCE"
        form.tiers.value = "OCCE 76"
        form.date.value = d.invoice
        form.mode.value = "chèque"
        form.cheque.value = "1234567"
        total = {"150": "174,50", "105": "129,50"}[dues]
        form.amount.value = total
        form.rows[0].account.value = "6281 — Cotisation OCCE (adhésion)"
        form.rows[0].amount.value = dues
        form.add_row_btn.click()
        form.rows[1].account.value = "61681"
        form.rows[1].amount.value = "15"
        form.add_row_btn.click()
        form.rows[2].account.value = "6181 — Documentation"
        form.rows[2].amount.value = "9,50"
        form.valider.click()
        assert "enregistrée" in form.status.value, form.status.value

    type_invoice("105")  # a wrong split, yet balanced: the ledger accepts it, the checker does not
    formation.refresh()
    assert facture.status == TO_FIX
    assert "la cotisation (6281) devrait être 150,00 € : vous avez saisi 105,00 €" in facture.result.value
    # the trainee deletes it through the cahier's service and types it again, right this time
    [wrong] = books.entries(sandbox, dash.ctx.exercice)
    books.delete_entry(wrong.id, wrong.version, reason="exercice refait")
    type_invoice("150")
    facture.button.click()
    assert facture.status == DONE and "réussi" in facture.result.value
