"""Submitting the CRF: readiness checks, vérificateurs, lock, AD unlock (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import date

import pytest

from retkoop_widgets.domain.actor import Actor
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
from retkoop_widgets.domain.errors import Forbidden, LockedExercice, ValidationError
from retkoop_widgets.services import submission as sub

from known_year import COOP, EX, seed_known_year

GOOD = [{"nom": "Claire Martin", "qualite": "parent"}, {"nom": "Paul Durand", "qualite": "enseignant"}]
SIGNED = {"lieu": "Rouen", "signed_on": date(2026, 9, 12)}  # the clock's today is 15/09/2026


def fields(err: ValidationError) -> set[str]:
    return {p.field for p in err.problems}


def test_ready_books_pass_the_checks(books):
    seed_known_year(books)
    assert sub.check_submission(books, COOP, EX) == []


def test_missing_cash_count_and_subsidy_line_are_reported_together(books):
    seed_known_year(books, cash_count=False, subsidy=False)
    problems = sub.check_submission(books, COOP, EX)
    msgs = " ".join(p.message for p in problems)
    assert {p.field for p in problems} == {"caisse", "subventions"}
    assert "79,20" in msgs.replace("\u202f", " ") and "7410" in msgs


def test_early_cash_count_or_cash_moved_after_it_is_refused(books):
    seed_known_year(books, cash_count=False)
    books.record_cash_count(COOP, EX, date(2026, 6, 30), {5000: 1, 2000: 1, 500: 1, 200: 2, 20: 1})
    assert [p.field for p in sub.check_submission(books, COOP, EX)] == ["caisse"]
    books.record_cash_count(COOP, EX, date(2026, 8, 20), {5000: 1, 2000: 1, 500: 1, 200: 2, 20: 1})
    assert sub.check_submission(books, COOP, EX) == []
    books.record_entry(COOP, EX, EntryDraft(date(2026, 8, 25), "Goûter", mode="espèces", cash_out=1000,
                                            ventilation=(V("6064", 1000),)))
    problems = sub.check_submission(books, COOP, EX)
    assert [p.field for p in problems] == ["caisse"] and "a bougé" in problems[0].message


def test_unexplained_cash_gap_is_refused_but_a_recorded_gap_is_accepted(books):
    seed_known_year(books, cash_count=False)
    books.record_cash_count(COOP, EX, date(2026, 8, 31), {5000: 1, 2000: 1, 500: 1, 200: 2})  # 0,20 missing
    assert [p.field for p in sub.check_submission(books, COOP, EX)] == ["caisse"]
    books.record_cash_count(COOP, EX, date(2026, 8, 31), {5000: 1, 2000: 1, 500: 1, 200: 2},
                            comment="pièce de 20 c perdue, écart constaté")
    assert sub.check_submission(books, COOP, EX) == []


def test_line_changed_after_pointage_blocks_submission(books):
    ids = seed_known_year(books)
    e = books.entry(ids["002"])
    books.update_entry(e.id, e.version, EntryDraft(e.date, e.libelle, piece="002", mode="chèque", cheque="1001",
                                                   bank_out=18450, ventilation=(V("6281", 16000), V("61681", 1500),
                                                                                 V("6181", 950)),
                                                   pointed=True, statement_date=date(2025, 10, 31)))
    problems = sub.check_submission(books, COOP, EX)
    assert any(p.field == "pointage" and p.where == "002" for p in problems)


@pytest.mark.parametrize("verifs, expected", [
    ([], "au moins deux"),
    ([{"nom": "Paul Durand", "qualite": "enseignant"}, {"nom": "Lucie Bon", "qualite": "enseignant"}], "parent"),
    ([{"nom": "Claire Martin", "qualite": "parent"}, {"nom": "claire  martin", "qualite": "parent"}], "deux fois"),
    ([{"nom": "Claire Martin", "qualite": "parent"}, {"nom": "", "qualite": "enseignant"}], "nom est obligatoire"),
])
def test_vérificateurs_rules(books, verifs, expected):
    seed_known_year(books)
    with pytest.raises(ValidationError) as exc:
        sub.submit(books, COOP, EX, verifs, reconciliation_confirmed=True, **SIGNED)
    assert expected in str(exc.value)
    assert books.exercice(COOP, EX).state == "ouvert"


def test_the_mandataire_cannot_verify_their_own_books(books):
    from retkoop_widgets.services.accounts import Accounts
    seed_known_year(books)
    Accounts(books.engine, "test").add("cmartin", "mandataire", coop=COOP, full_name="Claire Martin",
                                       password="un mot de passe solide 42")
    with pytest.raises(ValidationError, match="tient les comptes"):
        sub.submit(books, COOP, EX, GOOD, reconciliation_confirmed=True, **SIGNED)


@pytest.mark.parametrize("signature, expected", [
    ({}, {"lieu": "indiquez le lieu", "date": "indiquez la date"}),
    ({"lieu": "  ", "signed_on": date(2026, 9, 12)}, {"lieu": "indiquez le lieu"}),
    ({"lieu": "Rouen", "signed_on": date(2026, 9, 16)}, {"date": "16/09/2026) ne peut pas être dans le futur"}),
    ({"lieu": "Rouen", "signed_on": date(2025, 8, 31)}, {"date": "précède le début de l'exercice (01/09/2025)"}),
])
def test_the_place_and_date_of_signature_are_required_and_plausible(books, signature, expected):
    seed_known_year(books)
    with pytest.raises(ValidationError) as exc:
        sub.submit(books, COOP, EX, GOOD, reconciliation_confirmed=True, **signature)
    got = {p.field: p.message for p in exc.value.problems}
    assert set(got) == set(expected)
    for fld, text in expected.items():
        assert text in got[fld]
    assert books.exercice(COOP, EX).state == "ouvert"


def test_reconciliation_must_be_confirmed(books):
    seed_known_year(books)
    with pytest.raises(ValidationError) as exc:
        sub.submit(books, COOP, EX, GOOD, **SIGNED)
    assert fields(exc.value) == {"rapprochement"}


def test_submission_locks_then_the_ad_unlocks_with_an_audited_reason(books):
    seed_known_year(books)
    mandataire = books.as_user(Actor("prof", "mandataire", coop=COOP))
    ex = sub.submit(mandataire, COOP, EX, GOOD, reconciliation_confirmed=True, **SIGNED)
    assert ex.state == "soumis"
    with pytest.raises(LockedExercice):
        mandataire.record_entry(COOP, EX, EntryDraft(date(2026, 8, 30), "Oubli", mode="espèces", cash_in=100,
                                                     ventilation=(V("7580", 100),)))
    info = sub.submission_info(books, COOP, EX)
    assert info.label == "soumis le 15/09/2026" and info.submitted_by == "prof"
    assert [v["nom"] for v in info.verificateurs] == ["Claire Martin", "Paul Durand"]
    assert (info.place, info.signed_on) == ("Rouen", date(2026, 9, 12))
    with pytest.raises(ValidationError, match="déjà soumis"):
        sub.submit(mandataire, COOP, EX, GOOD, reconciliation_confirmed=True, **SIGNED)
    with pytest.raises(Forbidden):
        sub.reopen(mandataire, COOP, EX, "je veux corriger")
    ad = books.as_user(Actor("ad76", "admin-ad", ad="AD76"))
    with pytest.raises(ValidationError, match="raison"):
        sub.reopen(ad, COOP, EX, "  ")
    assert sub.reopen(ad, COOP, EX, "erreur de ventilation signalée").state == "rouvert"
    unlock = [r for r in books.audit_log(COOP) if r["action"] == "unlock"]
    assert unlock[0]["actor"] == "ad76" and unlock[0]["reason"] == "erreur de ventilation signalée"
    info = sub.submission_info(books, COOP, EX)
    assert info.state == "rouvert" and info.reopen_reason == "erreur de ventilation signalée"
    listed = {s["coop"]: s for s in sub.submissions(ad, "AD76", EX)}
    assert listed[COOP]["statut"].startswith("rouvert par l'AD")
    # reopened books accept writes again, and can be submitted again
    assert sub.submit(mandataire, COOP, EX, GOOD, reconciliation_confirmed=True, **SIGNED).state == "soumis"


def test_status_appears_in_the_crf_blocks(books):
    from retkoop_widgets.reports import views
    seed_known_year(books)
    sub.submit(books, COOP, EX, GOOD, reconciliation_confirmed=True, **SIGNED)
    html = " ".join(views.crf_blocks(views.load_crf(books, COOP, EX)))
    assert "soumis</b> le 15/09/2026" in html and "Claire Martin" in html and "parent" in html
    assert "Fait à Rouen, le 12/09/2026" in html
    sub.reopen(books, COOP, EX, "correction")  # a reopened exercice prints a blank signature line again
    html = " ".join(views.crf_blocks(views.load_crf(books, COOP, EX)))
    assert "Rouen" not in html and "Fait à ______" in html


def test_cli_submit_and_unlock(books, monkeypatch, capsys):
    from retkoop_widgets import cli
    seed_known_year(books)
    monkeypatch.setenv("RETKOOP_DB_URL", books.engine.url.render_as_string(hide_password=False))
    assert cli.main(["crf", "submit", COOP, EX, "--verificateur", "Claire Martin:parent"]) == 1
    err = capsys.readouterr().err
    assert "deux vérificateurs" in err and "rapprochement" in err and "lieu de signature" in err
    assert cli.main(["crf", "submit", COOP, EX, "--verificateur", "Claire Martin:parent",
                     "--verificateur", "Paul Durand:enseignant", "--lieu", "Rouen", "--le", "31/13/2026",
                     "--rapprochement-verifie"]) == 1
    assert "31/13/2026" in capsys.readouterr().err
    assert cli.main(["crf", "submit", COOP, EX, "--verificateur", "Claire Martin:parent",
                     "--verificateur", "Paul Durand:enseignant", "--lieu", "Rouen", "--le", "12/09/2026",
                     "--rapprochement-verifie"]) == 0
    assert books.exercice(COOP, EX).state == "soumis"
    info = sub.submission_info(books, COOP, EX)
    assert (info.place, info.signed_on) == ("Rouen", date(2026, 9, 12))
    assert cli.main(["crf", "unlock", COOP, EX, "--raison", "correction demandée"]) == 0
    assert books.exercice(COOP, EX).state == "rouvert"


def test_submission_info_survives_a_thousand_later_audit_records(books):
    """The submission is read from the exercice, not looked for among the coop's newest
    1,000 audit records: a large import into the next year must not make last year's CRF
    lose its date of submission, vérificateurs and place of signature."""
    from retkoop_widgets.reports import views
    seed_known_year(books)
    sub.submit(books, COOP, EX, GOOD, reconciliation_confirmed=True, **SIGNED)
    books.open_exercice(COOP, "2026-2027")
    drafts = [(f"ligne {n + 2}", EntryDraft(date(2026, 9, 14), f"Adhésion {n}", mode="chèque", bank_in=100,
                                           ventilation=(V("7560", 100),))) for n in range(1001)]
    books.import_drafts(COOP, "2026-2027", drafts)
    assert len(books.audit_log(COOP, limit=1100)) > 1001
    info = sub.submission_info(books, COOP, EX)
    assert (info.label, info.submitted_by) == ("soumis le 15/09/2026", "test")
    assert [v["nom"] for v in info.verificateurs] == ["Claire Martin", "Paul Durand"]
    assert (info.place, info.signed_on) == ("Rouen", date(2026, 9, 12))
    html = " ".join(views.crf_blocks(views.load_crf(books, COOP, EX)))
    assert "soumis</b> le 15/09/2026" in html and "Claire Martin" in html
    assert "Fait à Rouen, le 12/09/2026" in html
