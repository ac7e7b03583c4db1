"""The core use cases through the service layer on the in-memory fake unit of work
(``tests/fakes.py``, wired by ``services.bootstrap``) — and the very same tests on SQLite
and PostgreSQL, so the fake is held to what the databases do.

The fake runs need no database at all: they are the fast loop for a new use case."""
from __future__ import annotations

from datetime import date

import pytest

from retkoop_widgets.domain.actor import Actor
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
from retkoop_widgets.domain.errors import Conflict, Forbidden, LockedExercice, NotFound, ValidationError
from retkoop_widgets.services import submission as sub
from retkoop_widgets.services.bootstrap import bootstrap

from conftest import COOP, EX
from fakes import FakeStore, FakeUnitOfWork, fake_uow_factory
from known_year import seed_known_year

GOOD = [{"nom": "Claire Martin", "qualite": "parent"}, {"nom": "Paul Durand", "qualite": "enseignant"}]


def receipt(amount=25000, day=date(2025, 9, 12), **kw) -> EntryDraft:
    return EntryDraft(date=day, libelle="Participation des familles", mode="chèque", bank_in=amount,
                      ventilation=(V("7560", amount),), **kw)


def test_the_fake_needs_no_database():
    b = bootstrap(actor="test", uow_factory=fake_uow_factory())
    assert b.engine is None
    b.add_ad("AD76", "OCCE Seine-Maritime")
    assert b.ads() == [("AD76", "OCCE Seine-Maritime")]


def test_a_refused_write_leaves_the_fake_store_as_it_was():
    store = FakeStore()
    b = bootstrap(actor="test", uow_factory=fake_uow_factory(store))
    b.add_ad("AD76", "OCCE Seine-Maritime")
    with pytest.raises(Conflict):
        b.add_ad("AD76", "encore")
    with FakeUnitOfWork(store) as uow:  # an uncommitted unit of work changes nothing
        uow.repo.audit(actor="x", action="noise", object_type="ad", object_id="AD76", now=None)
    assert len(store.audit) == 1 and list(store.ads) == ["AD76"]


def test_open_exercice(svc):
    with pytest.raises(Conflict, match="déjà ouvert"):
        svc.open_exercice(COOP, EX)
    with pytest.raises(ValidationError, match="caisse ne peut pas être négatif"):
        svc.open_exercice(COOP, "2026-2027", 0, -1)
    with pytest.raises(NotFound, match="inconnue"):
        svc.open_exercice("AD76-9999", EX)
    ex = svc.exercice(COOP, EX)
    assert (ex.opening_bank, ex.opening_cash, ex.state, ex.version) == (184237, 6350, "ouvert", 1)
    assert svc.current_exercice(COOP).name == EX
    with pytest.raises(NotFound, match="n'est pas ouvert"):
        svc.exercice(COOP, "2024-2025")


def test_record_update_delete_entry(svc):
    a = svc.record_entry(COOP, EX, receipt())
    b = svc.record_entry(COOP, EX, receipt(12000, date(2025, 9, 20)))
    assert (a.piece, b.piece, a.version) == ("001", "002", 1)
    with pytest.raises(ValidationError, match="la pièce 001 est déjà utilisée"):
        svc.record_entry(COOP, EX, receipt(piece="001"))
    fixed = svc.update_entry(a.id, 1, receipt(26000, piece="001"))
    assert fixed.version == 2 and svc.entry(a.id).bank == 26000
    with pytest.raises(Conflict, match="a été modifiée par test"):
        svc.update_entry(a.id, 1, receipt(27000, piece="001"))
    assert svc.entry(a.id).bank == 26000
    svc.delete_entry(b.id, b.version, "doublon")
    assert [e.piece for e in svc.entries(COOP, EX)] == ["001"]
    actions = [(r["action"], r["object"]) for r in svc.audit_log(COOP)]
    assert actions[:4] == [("delete", f"entry {b.id}"), ("update", f"entry {a.id}"),
                           ("create", f"entry {b.id}"), ("create", f"entry {a.id}")]
    assert svc.balances(COOP, EX) == (184237 + 26000, 6350)


def test_an_import_with_one_problem_saves_nothing(svc):
    with pytest.raises(ValidationError) as exc:
        svc.import_drafts(COOP, EX, [("ligne 2", receipt()), ("ligne 3", receipt(day=date(2026, 9, 1)))])
    assert exc.value.problems[0].where == "ligne 3"
    assert svc.entries(COOP, EX) == []
    saved = svc.import_drafts(COOP, EX, [("ligne 2", receipt()), ("ligne 3", receipt(100))])
    assert [e.piece for e in saved] == ["001", "002"]


def test_point(svc):
    e = svc.record_entry(COOP, EX, receipt())
    cash = svc.record_entry(COOP, EX, EntryDraft(date(2025, 9, 13), "Vente", mode="espèces", cash_in=500,
                                                  ventilation=(V("7080", 500),)))
    with pytest.raises(ValidationError, match="ne passe pas par la banque"):
        svc.point([cash.id], date(2025, 9, 30))
    with pytest.raises(Conflict):
        svc.point([e.id], date(2025, 9, 30), versions={e.id: 7})
    assert svc.point([e.id], date(2025, 9, 30), versions={e.id: 1}) == 1
    assert svc.point([e.id], date(2025, 9, 30)) == 0
    pointed = svc.entry(e.id)
    assert (pointed.pointed, pointed.statement_date, pointed.version) == (True, date(2025, 9, 30), 2)
    assert svc.crf(COOP, EX).statement_balance == 184237 + 25000


def test_cash_count(svc):
    svc.record_entry(COOP, EX, EntryDraft(date(2025, 9, 13), "Vente", mode="espèces", cash_in=500,
                                          ventilation=(V("7080", 500),)))
    with pytest.raises(ValidationError, match="hors de l'exercice 2025-2026"):
        svc.record_cash_count(COOP, EX, date(2026, 9, 1), {5000: 1})
    count = svc.record_cash_count(COOP, EX, date(2025, 9, 14), {5000: 1, 2000: 1}, "comptée à deux")
    assert (count.book_balance, count.total, count.gap) == (6850, 7000, 150)
    assert [c.id for c in svc.cash_counts(COOP, EX)] == [count.id]
    assert svc.crf(COOP, EX).cash_count.total == 7000


def test_subsidy(svc):
    svc.record_entry(COOP, EX, EntryDraft(date(2025, 11, 6), "Subvention", mode="virement", bank_in=60000,
                                          ventilation=(V("7410", 60000),)))
    other = svc.record_entry(COOP, EX, receipt())
    with pytest.raises(ValidationError, match="n'est pas ventilée sur le compte 7410"):
        svc.add_subsidy(COOP, EX, "Mairie", "commune", "Projet lecture", 60000, date(2025, 11, 6),
                        entry_piece=other.piece)
    s = svc.add_subsidy(COOP, EX, "Mairie", "commune", "Projet lecture", 60000, date(2025, 11, 6), entry_piece="001")
    assert svc.crf(COOP, EX).subsidies_total == 60000
    with pytest.raises(Conflict, match="modifiée entre-temps"):
        svc.update_subsidy(s.id, s.version + 1, object="Projet théâtre")
    assert svc.update_subsidy(s.id, s.version, object="Projet théâtre").version == 2
    svc.remove_subsidy(s.id)
    assert svc.subsidies(COOP, EX) == []


def test_submit_and_reopen(svc):
    seed_known_year(svc)
    mandataire = svc.as_user(Actor("prof", "mandataire", coop=COOP))
    assert sub.submit(mandataire, COOP, EX, GOOD, lieu="Rouen", signed_on=date(2026, 9, 12),
                      reconciliation_confirmed=True).state == "soumis"
    with pytest.raises(LockedExercice):
        mandataire.record_entry(COOP, EX, receipt())
    info = sub.submission_info(svc, COOP, EX)
    assert (info.label, info.submitted_by, info.place, info.signed_on) == (
        "soumis le 15/09/2026", "prof", "Rouen", date(2026, 9, 12))
    assert [v["nom"] for v in info.verificateurs] == ["Claire Martin", "Paul Durand"]
    assert svc.crf(COOP, EX).submitted_at == "15/09/2026"
    with pytest.raises(Forbidden):
        mandataire.reopen_exercice(COOP, EX, "je veux corriger")
    ad = svc.as_user(Actor("ad76", "admin-ad", ad="AD76"))
    assert ad.reopen_exercice(COOP, EX, "erreur signalée").state == "rouvert"
    info = sub.submission_info(svc, COOP, EX)
    assert (info.state, info.reopened_by, info.reopen_reason) == ("rouvert", "ad76", "erreur signalée")
    assert info.submitted_by == "prof"  # the earlier submission is still known
    mandataire.record_entry(COOP, EX, receipt(100, date(2026, 8, 30)))


def test_crf(svc):
    seed_known_year(svc)
    crf = svc.crf(COOP, EX)
    assert (crf.total_produits, crf.total_charges) == (125000 + 60000 + 36420, 17450 + 234560 + 4850 + 1200)
    assert (crf.closing_bank, crf.closing_cash) == (184237 + 125000 - 17450 + 60000 - 234560 + 30000 - 1200,
                                                    6350 + 36420 - 4850 - 30000)
    assert [line.piece for line in crf.unpointed] == ["004", "007", "008"]
    assert crf.subsidies_total == crf.account_7410 == 60000
    assert svc.crfs([(COOP, EX)])[(COOP, EX)] == crf


def test_permissions_and_close(svc):
    analyst = svc.as_user(Actor("ana", "analyste", ad="AD76"))
    with pytest.raises(Forbidden):
        analyst.record_entry(COOP, EX, receipt())
    assert analyst.entries(COOP, EX) == []
    svc.add_coop("AD76-0500", "École du Centre", "AD76")
    other = svc.as_user(Actor("centre", "mandataire", coop="AD76-0500"))
    with pytest.raises(Forbidden, match="consulter la coopérative AD76-0421"):
        other.entries(COOP, EX)
    svc.record_entry(COOP, EX, receipt())
    nxt = svc.close_exercice(COOP, EX)
    assert (nxt.name, nxt.opening_bank, nxt.opening_cash) == ("2026-2027", 184237 + 25000, 6350)
    assert svc.exercice(COOP, EX).state == "clos"


def test_the_fake_repository_offers_every_repository_method():
    """A repository method added for a use case must be added to the fake too (same name)."""
    from retkoop_widgets.storage.repository import Repository
    from fakes import FakeRepository
    public = {n for n in dir(Repository) if not n.startswith("_")} - {"exercice_row"}  # row: storage-internal
    assert sorted(public - set(dir(FakeRepository))) == []
