"""The checker widget and the trainer view, driven as a person would (clicks, values),
without a kernel; their state is read from the widgets themselves."""
from __future__ import annotations

from retkoop_widgets.domain.actor import Actor
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
from retkoop_widgets.training import DONE, TO_FIX, TODO
from retkoop_widgets.training import scenario as sc
from retkoop_widgets.training.widgets import CheckerWidget, SequenceWidget, TrainerView

EX = "2025-2026"
D = sc.Dates.of(EX)


def test_checker_widget_turns_from_a_faire_to_reussi(books):
    trainer = books.as_user(Actor("f.dupont", "formateur"))
    view = TrainerView(trainer, "AD76")
    view.session.value, view.count.value, view.exercice.value = "Widget", 2, EX
    view.create_button.click()
    assert "Session <b>WIDGET</b> créée" in view.created.value
    assert view.picker.value == "WIDGET"
    assert view.sandbox.options == ("FORM-WIDGET-01", "FORM-WIDGET-02")
    assert view.table.value.count("à faire") == 14

    coop = "FORM-WIDGET-01"
    reader = books.as_user(Actor("formation", "formateur"))
    w = CheckerWidget(reader, coop, "facture_occe")
    assert w.status == TODO and "à faire" in w.result.value
    assert "174,50" in w.instructions.value and "6281" in w.instructions.value

    trainee = books.as_user(Actor("stagiaire", "mandataire", coop=coop))
    e = trainee.record_entry(coop, EX, EntryDraft(D.invoice, "Facture OCCE", mode="chèque", bank_out=17450,
                                                  ventilation=(V("6281", 10500), V("61681", 6000), V("6181", 950))))
    w.button.click()
    assert w.status == TO_FIX
    assert "la cotisation (6281) devrait être" in w.result.value and "à corriger" in w.result.value

    trainee.update_entry(e.id, e.version, EntryDraft(D.invoice, "Facture OCCE", piece=e.piece, mode="chèque",
                                                     bank_out=17450, ventilation=(V("6281", 15000), V("61681", 1500),
                                                                                  V("6181", 950))))
    w.button.click()
    assert w.status == DONE and "réussi" in w.result.value

    view.refresh_button.click()
    assert view.progress_frame.loc[coop, "2. Facture OCCE"] == DONE
    assert view.progress_frame.loc[coop, "Réussis"] == "1/7"

    # reset needs the confirmation box, then empties the sandbox
    view.sandbox.value = coop
    view.reset_button.click()
    assert "cochez la case" in view.message.value
    view.confirm.value = True
    view.reset_button.click()
    assert "FORM-WIDGET-01 réinitialisé : 1 écriture(s)" in view.message.value
    assert view.progress_frame.loc[coop, "2. Facture OCCE"] == TODO
    w.button.click()
    assert w.status == TODO


def test_checker_widget_on_a_missing_sandbox_says_so(books):
    w = CheckerWidget(books.as_user(Actor("formation", "formateur")), "FORM-NOPE-01", "premiere_recette")
    assert w.status == TODO
    assert "indisponible" in w.result.value and "formateur" in w.result.value


def test_checker_refuses_a_real_coop_to_a_formateur(books):
    w = CheckerWidget(books.as_user(Actor("formation", "formateur")), "AD76-0421", "premiere_recette")
    assert w.status == TODO and "n'a pas le droit de consulter" in w.result.value


def test_sequence_widget_counts_successes(books):
    trainer = books.as_user(Actor("f.dupont", "formateur"))
    from retkoop_widgets.training import sandbox as sb
    sb.create_session(trainer, "seq", "AD76", 1, EX, accounts=False)
    coop = "FORM-SEQ-01"
    seq = SequenceWidget(trainer, coop)
    assert "0 exercice réussi sur 7" in seq.summary.value
    books.as_user(Actor("s", "mandataire", coop=coop)).record_entry(
        coop, EX, EntryDraft(D.families, "Participation des familles", mode="chèque", bank_in=32000,
                             ventilation=(V("7560", 32000),)))
    seq.refresh()
    assert "1 exercice réussi sur 7" in seq.summary.value
    assert seq.checkers[0].status == DONE


def test_duplicate_session_is_refused_in_french(books):
    trainer = books.as_user(Actor("f.dupont", "formateur"))
    view = TrainerView(trainer, "AD76")
    view.session.value, view.count.value, view.exercice.value = "dup", 1, EX
    view.create_button.click()
    view.create_button.click()
    assert "la session DUP existe déjà" in view.created.value
    view.session.value = "pas bon!"
    view.create_button.click()
    assert "nom de session « pas bon! » invalide" in view.created.value


def test_trainer_reads_a_trainees_detail_and_corrects_under_their_own_name(books):
    """The progress table opens each trainee's detail; the trainee's dashboard opens in the
    trainer's view and what the trainer saves there is audited as the trainer's."""
    trainer = books.as_user(Actor("f.dupont", "formateur"))
    view = TrainerView(trainer, "AD76")
    view.session.value, view.count.value, view.exercice.value = "Detail", 2, EX
    view.create_button.click()
    coop = "FORM-DETAIL-02"
    books.as_user(Actor("form-detail-02", "mandataire", coop=coop)).record_entry(
        coop, EX, EntryDraft(D.families, "Participation", mode="chèque", bank_in=23000, ventilation=(V("7560", 23000),)))
    view.refresh_button.click()
    assert view.trainee.options == ("FORM-DETAIL-01", "FORM-DETAIL-02")
    view.trainee.value = coop
    view.detail_button.click()
    assert "Exercice 1" in view.detail.value and "à corriger" in view.detail.value
    assert "vous avez saisi 230,00" in view.detail.value.replace("\u202f", " ").replace("\xa0", " ")

    view.open_button.click()
    assert "ouvert par <b>f.dupont</b>" in view.dashboard_box.children[0].value
    form = view.dashboard.entry.form
    form.libelle.value, form.date.value, form.amount.value = "Frais de tenue de compte", D.statement, "6"
    form.mode.value = "prélèvement"
    form.rows[0].account.value, form.rows[0].amount.value = "6270", "6"
    form.valider.click()  # a formateur's change says why (the trainee reads it in Historique)
    assert "motif" in form.status.value and form.reason.asked
    form.reason.text.value = "frais du relevé oubliés : saisis avec le stagiaire"
    form.valider.click()
    assert "enregistrée" in form.status.value, form.status.value
    created = [a for a in trainer.audit_log(coop) if a["action"] == "create" and a["object"].startswith("entry")]
    assert sorted(a["actor"] for a in created) == ["f.dupont", "form-detail-02"]  # newest first in the log
    assert [a["reason"] for a in created if a["actor"] == "f.dupont"] == [
        "frais du relevé oubliés : saisis avec le stagiaire"]


def test_temporary_passwords_are_shown_once_then_leave_the_page(books):
    ad = books.as_user(Actor("ad76", "admin-ad", ad="AD76"))
    view = TrainerView(ad, "AD76")
    view.session.value, view.count.value, view.exercice.value = "Mdp", 1, EX
    view.create_button.click()
    import re
    password = re.search(r"form-mdp-01</td>\s*<td>([^<]+)</td>", view.created.value).group(1)
    assert password and password in view.created.value and view.hide_button.layout.display is None

    view.hide_button.click()
    assert password not in view.created.value and "masqués" in view.created.value

    def states(w):  # every widget's synced state: what a saved notebook could keep
        yield str(w.get_state())
        for c in getattr(w, "children", ()) or ():
            yield from states(c)
    assert not any(password in s for s in states(view))
