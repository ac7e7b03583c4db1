"""Training sessions: a trainee walks through the sequence in a sandbox (through ``Books``,
as the dashboard does) and every checker turns from « à faire » to « réussi »; a wrong
split is caught precisely; reset restores a clean sandbox. SQLite and PostgreSQL."""
from __future__ import annotations


import pytest

from retkoop_widgets.domain.actor import Actor
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
from retkoop_widgets.domain.errors import Forbidden
from retkoop_widgets.domain.money import format_eur as eur
from retkoop_widgets.services import submission
from retkoop_widgets.training import DONE, TO_FIX, TODO, check, check_all
from retkoop_widgets.training import sandbox as sb
from retkoop_widgets.training import scenario as sc

EX = "2025-2026"  # the conftest clock is 15/09/2026: the last completed exercice
D = sc.Dates.of(EX)


@pytest.fixture
def session(books):
    """A 2-trainee session created by a formateur; returns (formateur Books, result)."""
    trainer = books.as_user(Actor("f.dupont", "formateur"))
    result = sb.create_session(trainer, "test", "AD76", 2)
    return trainer, result


def trainee(books, coop):
    return books.as_user(Actor("stagiaire", "mandataire", coop=coop))


def status(books, coop, ex_id):
    return check(ex_id, sb.load_sandbox(books, coop))


def do_premiere_recette(b, coop):
    b.record_entry(coop, EX, EntryDraft(D.families, "Participation des familles", mode="chèque",
                                        bank_in=32000, ventilation=(V("7560", 32000),)))


def do_facture(b, coop, split=((("6281", 15000), ("61681", 1500), ("6181", 950)))):
    b.record_entry(coop, EX, EntryDraft(D.invoice, "Facture OCCE", tiers="OCCE 76", mode="chèque",
                                        cheque="1234567", bank_out=sum(a for _, a in split),
                                        ventilation=tuple(V(c, a) for c, a in split)))


def do_especes(b, coop):
    b.record_entry(coop, EX, EntryDraft(D.cash_sale, "Vente de gâteaux", mode="espèces", cash_in=8540,
                                        ventilation=(V("7080", 8540),)))
    b.record_entry(coop, EX, EntryDraft(D.deposit, "Remise d'espèces en banque", bank_in=8540, cash_out=8540))


def do_pointage(b, coop):
    b.record_entry(coop, EX, EntryDraft(D.statement, "Frais de tenue de compte", mode="prélèvement",
                                        bank_out=600, ventilation=(V("6270", 600),)))
    ids = [e.id for e in b.entries(coop, EX) if e.bank and e.date <= D.statement]
    b.point(ids, D.statement)


def do_arrete(b, coop):
    b.record_cash_count(coop, EX, D.cash_count, dict(sc.CASH_COUNT))


def do_subvention(b, coop):
    e = b.record_entry(coop, EX, EntryDraft(D.subsidy, "Subvention classe de mer", tiers=sc.SUBSIDY_GRANTOR,
                                            mode="virement", bank_in=40000, ventilation=(V("7410", 40000),)))
    b.add_subsidy(coop, EX, sc.SUBSIDY_GRANTOR, "commune", sc.SUBSIDY_OBJECT, 40000, D.subsidy,
                  entry_piece=e.piece)


def do_compte_rendu(b, coop):
    b.record_cash_count(coop, EX, D.closing_count, dict(sc.CASH_COUNT), "arrêté de clôture")
    submission.submit(b, coop, EX, [{"nom": "Claire Martin", "qualite": "parent"},
                                    {"nom": "Paul Durand", "qualite": "enseignant"}],
                      lieu="Rouen", signed_on=b.today(), reconciliation_confirmed=True)


STEPS = [("premiere_recette", do_premiere_recette), ("facture_occe", do_facture), ("especes", do_especes),
         ("pointage", do_pointage), ("arrete_caisse", do_arrete), ("subvention", do_subvention),
         ("compte_rendu", do_compte_rendu)]


def test_session_creates_training_sandboxes_and_accounts(books, session):
    trainer, result = session
    assert [t["coop"] for t in result.trainees] == ["FORM-TEST-01", "FORM-TEST-02"]
    # a formateur may not create accounts yet (services.accounts): the note says so, sandboxes exist
    info = books.coop_info("FORM-TEST-01")
    assert info["training"] is True and info["exercices"] == [(EX, "ouvert")]
    assert books.balances("FORM-TEST-01", EX) == (sc.OPENING_BANK, sc.OPENING_CASH)
    assert "FORM-TEST-01" not in {c["code"] for c in books.coops("AD76", include_training=False)}
    assert sb.sessions(trainer) == ["TEST"]


def test_accounts_created_when_the_actor_may(books):
    result = sb.create_session(books, "acc", "AD76", 1)  # system actor
    assert result.accounts_note == ""
    t = result.trainees[0]
    assert t["login"] == "form-acc-01" and len(t["password"]) == 14
    from retkoop_widgets.services.accounts import Accounts
    profile = Accounts(books.engine).profile("form-acc-01")
    assert profile.coop == "FORM-ACC-01" and profile.role == "mandataire" and profile.training


def test_trainee_walkthrough_turns_every_checker_to_reussi(books, session):
    trainer, result = session
    coop = result.trainees[0]["coop"]
    b = trainee(books, coop)
    before = check_all(sb.load_sandbox(trainer, coop))
    assert {v.status for v in before.values()} == {TODO}
    for ex_id, step in STEPS:
        assert status(trainer, coop, ex_id).status == TODO, ex_id
        step(b, coop)
        v = status(trainer, coop, ex_id)
        assert v.status == DONE, (ex_id, v.text())
    # everything still réussi at the end (later steps did not break earlier ones)
    final = check_all(sb.load_sandbox(trainer, coop))
    assert all(v.done for v in final.values()), {k: v.text() for k, v in final.items() if not v.done}
    table = sb.progress(trainer, "TEST")
    assert table.loc[coop, "Réussis"] == "7/7"
    assert table.loc[result.trainees[1]["coop"], "Réussis"] == "0/7"
    assert table.loc[result.trainees[1]["coop"], "2. Facture OCCE"] == TODO


def test_wrong_split_is_caught_precisely(books, session):
    trainer, result = session
    coop = result.trainees[0]["coop"]
    do_facture(trainee(books, coop), coop, (("6281", 10500), ("61681", 6000), ("6181", 950)))
    v = status(trainer, coop, "facture_occe")
    assert v.status == TO_FIX
    assert f"la cotisation (6281) devrait être {eur(15000)} : vous avez saisi {eur(10500)}" in v.problems
    assert f"l'assurance (61681) devrait être {eur(1500)} : vous avez saisi {eur(6000)}" in v.problems
    assert len(v.problems) == 2  # the A&E line, the total, the mode and the date are right


def test_missing_line_and_foreign_account(books, session):
    trainer, result = session
    coop = result.trainees[0]["coop"]
    do_facture(trainee(books, coop), coop, (("6281", 15000), ("6064", 2450)))
    v = status(trainer, coop, "facture_occe")
    assert v.status == TO_FIX
    assert f"l'assurance (61681) manque dans la ventilation : {eur(1500)} attendus" in v.problems
    assert any(p.startswith(f"le compte 6064 ({eur(2450)}) ne fait pas partie") for p in v.problems)


def test_deposit_entered_as_a_receipt_is_explained(books, session):
    trainer, result = session
    coop = result.trainees[0]["coop"]
    b = trainee(books, coop)
    b.record_entry(coop, EX, EntryDraft(D.cash_sale, "Vente de gâteaux", mode="espèces", cash_in=8540,
                                        ventilation=(V("7080", 8540),)))
    b.record_entry(coop, EX, EntryDraft(D.deposit, "Dépôt banque", mode="virement", bank_in=8540,
                                        ventilation=(V("7080", 8540),)))
    v = status(trainer, coop, "especes")
    assert v.status == TO_FIX
    assert any("saisie comme une recette ventilée" in p and "comptée deux fois" in p for p in v.problems)


def test_pointage_reports_missing_bank_fees_and_balance(books, session):
    trainer, result = session
    coop = result.trainees[0]["coop"]
    b = trainee(books, coop)
    for step in (do_premiere_recette, do_facture, do_especes):
        step(b, coop)
    b.point([e.id for e in b.entries(coop, EX) if e.bank], D.statement)
    v = status(trainer, coop, "pointage")
    assert v.status == TO_FIX
    assert any("FRAIS TENUE DE COMPTE" in p and "aucune écriture de ce montant" in p and "6270" in p
               for p in v.problems)
    assert f"le solde pointé est {eur(148090)} mais le relevé indique {eur(147490)}" in v.problems


def test_cash_count_gap_is_explained(books, session):
    trainer, result = session
    coop = result.trainees[0]["coop"]
    b = trainee(books, coop)
    do_especes(b, coop)
    b.record_cash_count(coop, EX, D.cash_count, {2000: 2, 500: 1, 200: 1})
    v = status(trainer, coop, "arrete_caisse")
    assert v.status == TO_FIX
    assert any(p.startswith(f"le cahier indique {eur(4870)} en caisse le 31/10/2025 pour {eur(4700)} comptés")
               for p in v.problems)


def test_reset_restores_a_clean_sandbox(books, session):
    trainer, result = session
    coop = result.trainees[0]["coop"]
    b = trainee(books, coop)
    for _, step in STEPS:
        step(b, coop)
    assert books.exercice(coop, EX).state == "soumis"
    before = sb.reset_sandbox(trainer, coop, "nouvelle séance")
    assert before["ecritures"] == 6 and before["arretes_de_caisse"] == 2 and before["subventions"] == 1
    assert books.entries(coop, EX) == [] and books.cash_counts(coop, EX) == [] and books.subsidies(coop, EX) == []
    assert books.exercice(coop, EX).state == "ouvert"
    assert books.balances(coop, EX) == (sc.OPENING_BANK, sc.OPENING_CASH)
    assert {v.status for v in check_all(sb.load_sandbox(trainer, coop)).values()} == {TODO}
    log = books.audit_log(coop, limit=1)[0]
    assert log["action"] == "training_reset" and log["actor"] == "f.dupont" and log["reason"] == "nouvelle séance"
    # the trainee can start again: pièce numbers restart
    do_premiere_recette(b, coop)
    assert status(trainer, coop, "premiere_recette").status == DONE


def test_reset_refuses_a_real_coop_and_non_trainers(books, session):
    trainer, result = session
    with pytest.raises(Forbidden):
        sb.reset_sandbox(books, "AD76-0421")
    with pytest.raises(Forbidden):
        sb.reset_sandbox(trainee(books, result.trainees[0]["coop"]), result.trainees[0]["coop"])
    assert books.exercice("AD76-0421", EX).state == "ouvert"


def test_each_checker_grades_only_its_own_exercise(books, session):
    """A wrong exercise 1 (230,00 € in cash on 7080, on exercise 1's date) is exercise 1 « à
    corriger », with what is wrong; exercise 3, never started, stays « à faire »."""
    trainer, result = session
    coop = result.trainees[0]["coop"]
    trainee(books, coop).record_entry(coop, EX, EntryDraft(D.families, "Participation des familles", mode="espèces",
                                                           cash_in=23000, ventilation=(V("7080", 23000),)))
    first = status(trainer, coop, "premiere_recette")
    assert first.status == TO_FIX, first.text()
    assert f"le montant de la recette devrait être {eur(32000)} : vous avez saisi {eur(23000)}" in first.problems
    assert any("7560" in p and "7080" in p for p in first.problems)
    assert any("entrée banque" in p for p in first.problems)
    third = status(trainer, coop, "especes")
    assert third.status == TODO, third.text()
    assert "rien n'est encore saisi" in third.summary


def test_an_entry_without_evidence_goes_to_the_earliest_exercise_not_attempted(books, session):
    """Exercise 1 done right; then a receipt with a wrong amount, date and account is
    exercise 3's attempt (the next receipt of the sequence), not exercise 6's."""
    trainer, result = session
    coop = result.trainees[0]["coop"]
    b = trainee(books, coop)
    do_premiere_recette(b, coop)
    b.record_entry(coop, EX, EntryDraft(D.cash_sale.replace(day=11), "Gâteaux", mode="espèces", cash_in=5840,
                                        ventilation=(V("7580", 5840),)))
    assert status(trainer, coop, "premiere_recette").status == DONE
    third = status(trainer, coop, "especes")
    assert third.status == TO_FIX and any(eur(5840) in p for p in third.problems), third.text()
    assert status(trainer, coop, "subvention").status == TODO


def test_the_deposit_typed_as_a_cash_expense_is_exercise_3_not_the_bank_fees(books, session):
    """The classic slip: the cake money banked on 14/10, recorded as a cash *expense* of
    85,40 €. Its amount and date are exercise 3's: exercise 3 says what is wrong, and the
    pointage exercise does not claim it."""
    trainer, result = session
    coop = result.trainees[0]["coop"]
    b = trainee(books, coop)
    do_premiere_recette(b, coop)
    do_facture(b, coop)
    b.record_entry(coop, EX, EntryDraft(D.cash_sale, "Vente de gâteaux", mode="espèces", cash_in=8540,
                                        ventilation=(V("7080", 8540),)))
    b.record_entry(coop, EX, EntryDraft(D.deposit, "Remise en banque", mode="espèces", cash_out=8540,
                                        ventilation=(V("6064", 8540),)))
    sandbox = sb.load_sandbox(trainer, coop)
    from retkoop_widgets.training.checks import attribute
    assert [e.amount for e in attribute(sandbox)["especes"]] == [8540, 8540]
    assert attribute(sandbox)["pointage"] == ()
    third = check("especes", sandbox)
    assert third.status == TO_FIX, third.text()
