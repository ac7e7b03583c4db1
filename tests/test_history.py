"""The history you can read: every audited action has a French sentence
(``domain.history``); the service pages it through the guard on the fake, SQLite and
PostgreSQL; AD staff and formateurs must give a reason; the teacher's notice."""
from __future__ import annotations

import ast
from datetime import date, datetime
from pathlib import Path

import pytest

from retkoop_widgets.domain import history as H
from retkoop_widgets.domain.actor import Actor
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
from retkoop_widgets.domain.errors import Forbidden, NotFound, ValidationError
from retkoop_widgets.services import history as hist
from retkoop_widgets.storage.records import AuditRecord
from tests.conftest import COOP, EX

PACKAGE = Path(__file__).resolve().parent.parent / "retkoop_widgets"
PASSWORD = "un-secret-de-classe-42"
AD76 = Actor("ad76", "admin-ad", ad="AD76")
TEACHER = Actor("tilleuls", "mandataire", coop=COOP)


# -- every audited action has a sentence ---------------------------------------------------
PASSED_ON = "<a parameter>"


def audited_actions() -> set[tuple[str, str]]:
    """(object type, action) of every audit record the package writes: ``w.audit("x", "y", …)``,
    ``repo.audit(action=…, object_type=…)``, ``self._audit(uow, "x", …)`` (accounts: users),
    ``audit_many`` rows, and the actions handed to ``record_login_refusal``. A call passing
    on its own parameter (the guard's ``audit(action=action)``) is counted at its callers."""
    found: set[tuple[str, str]] = set()
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        consts = {t.id: n.value.value for n in ast.walk(tree) if isinstance(n, ast.Assign)
                  for t in n.targets if isinstance(t, ast.Name) and isinstance(n.value, ast.Constant)}

        def text(node, consts=consts):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                return node.value
            if isinstance(node, ast.Name):
                return consts.get(node.id, PASSED_ON)
            if isinstance(node, ast.IfExp):
                return [text(node.body), text(node.orelse)]
            return None

        for n in ast.walk(tree):
            if isinstance(n, ast.Dict):
                keys = {k.value: v for k, v in zip(n.keys, n.values) if isinstance(k, ast.Constant)}
                if "action" in keys and "object_type" in keys:
                    found.add((text(keys["object_type"]), text(keys["action"])))
            if not isinstance(n, ast.Call) or not isinstance(n.func, ast.Attribute):
                continue
            name, kw = n.func.attr, {k.arg: k.value for k in n.keywords}
            if name == "audit" and len(n.args) >= 2:
                actions = text(n.args[0])
                for a in actions if isinstance(actions, list) else [actions]:
                    found.add((text(n.args[1]), a))
            elif name == "audit" and "action" in kw:
                actions = text(kw["action"])
                for a in actions if isinstance(actions, list) else [actions]:
                    found.add((text(kw["object_type"]), a))
            elif name == "_audit" and len(n.args) >= 2:
                actions = text(n.args[1])
                for a in actions if isinstance(actions, list) else [actions]:
                    found.add(("user", a))
            elif name == "record_login_refusal" and len(n.args) >= 2:
                found.add(("user", text(n.args[1])))
    return found


def test_every_audited_action_has_a_french_sentence():
    found = audited_actions()
    assert ("entry", "update") in found and ("durable_good", "dispose") in found  # the scan works
    assert ("user", "user_disable") in found and ("exercice", "import") in found
    found = {x for x in found if PASSED_ON not in x}
    unresolved = {x for x in found if None in x}
    assert not unresolved, f"audit calls whose action or object type the test cannot read: {unresolved}"
    missing = found - set(H.SENTENCES)
    assert not missing, f"audited actions with no sentence in domain/history.py: {sorted(missing)}"


def record(action, object_type="entry", object_id="7", *, before=None, after=None, reason="", actor="ad76",
           at=datetime(2026, 12, 7, 20, 11), exercice=EX, id=1):
    return AuditRecord(at, actor, action, object_type, object_id, exercice, before, after, reason, id, COOP)


def snap(piece="032", day="2026-03-04", amount=1234, libelle="Photos de classe", account="6064"):
    return {"piece": piece, "date": day, "libelle": libelle, "tiers": "", "mode": "chèque", "cheque": "",
            "pointe": False, "date_releve": None, "ecritures": [["512", -amount, ""], [account, amount, ""]]}


ROLES = {"ad76": ("admin-ad", None, "AD76"), "tilleuls": ("mandataire", COOP, None),
         "f.dupont": ("formateur", None, None)}


def test_a_correction_reads_who_when_what_before_after_and_why():
    r = record("update", before=snap(), after=snap(amount=123456, day="2026-03-05", account="6068"),
               reason="montant du ticket mal recopié")
    x = H.line(r, ROLES)
    assert x.sentence == ("ad76 (AD76) a modifié la pièce 032 (exercice 2025-2026) le 07/12/2026 à 20:11 : "
                          "montant : 12,34 € → 1 234,56 € ; date : 04/03/2026 → 05/03/2026 ; "
                          "ventilation : 6064 12,34 € → 6068 1 234,56 € — motif : montant du ticket mal recopié")
    assert x.by_staff
    mine = H.line(record("create", actor="tilleuls", after=snap()), ROLES)
    assert mine.sentence == "tilleuls a saisi la pièce 032 (exercice 2025-2026) le 07/12/2026 à 20:11"
    assert not mine.by_staff
    assert H.who("f.dupont", ROLES) == "f.dupont (formateur)" and H.who("cli", ROLES) == "cli"


@pytest.mark.parametrize("rec, expected", [
    (record("point", after={"pointe": True, "date_releve": "2026-09-30"}),
     "a pointé la pièce 045 sur le relevé du 30/09/2026 (exercice 2025-2026)"),
    (record("create", "cash_count", after={"date": "2026-08-31", "compte": 7510, "solde_livre": 7600, "ecart": -90}),
     "a enregistré un arrêté de caisse du 31/08/2026 (75,10 € comptés, écart -0,90 €) (exercice 2025-2026)"),
    (record("create", "subsidy", after={"organisme": "Mairie", "montant": 60000}),
     "a ajouté la subvention de 600,00 € de Mairie (exercice 2025-2026)"),
    (record("import", "exercice", after={"source": "cahier.xlsx", "ecritures": 212}),
     "a importé 212 écritures (cahier.xlsx) (exercice 2025-2026)"),
    (record("unlock", "exercice", before={"etat": "soumis"}, after={"etat": "rouvert"}),
     "a rouvert le compte rendu financier soumis (exercice 2025-2026)"),
    (record("open", "exercice", after={"banque": 184237, "caisse": 6350}),
     "a ouvert l'exercice 2025-2026 (ouverture : banque 1 842,37 €, caisse 63,50 €)"),
])
def test_sentences(rec, expected):
    assert H.describe(rec, {"7": "045"}) == expected


def test_the_notice_is_a_pure_function_of_the_rows_since_last_seen():
    rows = [record("create", actor="tilleuls", after=snap(), id=1),
            record("update", before=snap(), after=snap(amount=2100), reason="ticket relu avec Mme Martin", id=2),
            record("user_reset", "user", "tilleuls", id=3),
            record("unlock", "exercice", "1", reason="pièce 032 corrigée", id=4, at=datetime(2026, 12, 7, 20, 15))]
    assert H.notices(rows, "tilleuls", COOP, ROLES) == [
        "L'AD76 a modifié la pièce 032 (exercice 2025-2026) le 07/12 à 20:11 : motif ticket relu avec Mme Martin "
        "(montant : 12,34 € → 21,00 €)",
        "L'AD76 a rouvert le compte rendu financier soumis (exercice 2025-2026) le 07/12 à 20:15 : "
        "motif pièce 032 corrigée"]
    assert H.notices(rows, "ad76", COOP, ROLES) == []  # never told of what one did oneself


# -- the reason rule, in one place -------------------------------------------------------------
def entry_draft(amount=1234, day=date(2026, 3, 4), libelle="Photos de classe"):
    return EntryDraft(day, libelle, mode="chèque", bank_out=amount, ventilation=(V("6064", amount),))


def add_account(svc, login, role, coop=None, ad=None):
    """An account, so the history knows the actor's role (the fake: its store)."""
    store = getattr(svc.uow_factory, "store", None)
    if store is not None:
        store.users[login] = (role, coop, "")
        if ad:
            store.user_ads[login] = ad
        return
    from retkoop_widgets.services.accounts import Accounts
    Accounts(svc.engine).add(login, role, coop=coop, ad=ad, password=PASSWORD)


def test_an_ad_change_without_a_reason_is_refused_in_french_and_saves_nothing(svc):
    teacher = svc.as_user(TEACHER)
    e = teacher.record_entry(COOP, EX, entry_draft())
    ad = svc.as_user(AD76)
    with pytest.raises(ValidationError, match="indiquez le motif de la correction") as err:
        ad.update_entry(e.id, e.version, entry_draft(2100))
    assert err.value.problems[0].field == "motif"
    with pytest.raises(ValidationError, match="motif"):
        ad.because("   ").record_entry(COOP, EX, entry_draft(500))
    with pytest.raises(ValidationError, match="motif"):
        ad.record_cash_count(COOP, EX, date(2026, 8, 31), {1000: 1})
    assert [x.amount for x in svc.entries(COOP, EX)] == [1234]
    assert len(svc.cash_counts(COOP, EX)) == 0
    ad.because("ticket relu avec la mandataire").update_entry(e.id, e.version, entry_draft(2100))
    assert [x.amount for x in svc.entries(COOP, EX)] == [2100]
    [last] = svc.audit_log(COOP, limit=1)
    assert (last["actor"], last["reason"]) == ("ad76", "ticket relu avec la mandataire")
    # the mandataire keeps her own books without a reason; a formateur owes one on a sandbox too
    teacher.record_entry(COOP, EX, entry_draft(300))
    # a use case's own reason counts (the deletion dialog's), and is kept beside the person's
    ad.delete_entry(e.id, None, reason="doublon de la pièce 002")
    assert svc.audit_log(COOP, limit=1)[0]["reason"] == "doublon de la pièce 002"


def test_a_trainer_owes_a_reason_on_a_sandbox_but_not_to_open_it(svc):
    svc.add_coop("AD76-FORM-01", "Bac à sable", "AD76", training=True)
    trainer = svc.as_user(Actor("f.dupont", "formateur"))
    trainer.open_exercice("AD76-FORM-01", EX, 0, 0)  # setting a sandbox up asks no reason
    with pytest.raises(ValidationError, match="un formateur"):
        trainer.record_entry("AD76-FORM-01", EX, entry_draft())
    trainer.because("exemple montré au stagiaire").record_entry("AD76-FORM-01", EX, entry_draft())


def test_reopening_keeps_its_own_reason_rule_and_feeds_the_notice(svc):
    add_account(svc, "ad76", "admin-ad", ad="AD76")
    add_account(svc, "tilleuls", "mandataire", coop=COOP)
    teacher = svc.as_user(TEACHER)
    teacher.record_entry(COOP, EX, entry_draft(day=date(2026, 8, 30)))
    assert hist.unseen(teacher, COOP).notices == []
    teacher.submit_exercice(COOP, EX)
    ad = svc.as_user(AD76)
    with pytest.raises(ValidationError, match="raison de la réouverture"):
        ad.reopen_exercice(COOP, EX, " ")
    ad.reopen_exercice(COOP, EX, "pièce 001 mal ventilée")
    u = hist.unseen(teacher, COOP)
    assert len(u.notices) == 1 and u.notices[0].startswith("L'AD76 a rouvert le compte rendu financier soumis")
    assert u.notices[0].endswith(": motif pièce 001 mal ventilée")
    hist.acknowledge(teacher, COOP, u.upto)
    assert hist.unseen(teacher, COOP).notices == []


# -- the service: pages, filters, permission -------------------------------------------------
def test_history_pages_newest_first_with_filters(svc, clock):
    teacher = svc.as_user(TEACHER)
    entries = [teacher.record_entry(COOP, EX, entry_draft(100 + i, libelle=f"Achat {i}")) for i in range(5)]
    add_account(svc, "ad76", "admin-ad", ad="AD76")  # after the entries: its creation is not in this coop's pages
    svc.as_user(AD76).because("montant relu").update_entry(entries[0].id, 1, entry_draft(999, libelle="Achat 0"))
    page = hist.history(teacher, COOP, limit=3)
    assert [x.what for x in page.lines] == ["a modifié la pièce 001 (exercice 2025-2026)",
                                            "a saisi la pièce 005 (exercice 2025-2026)",
                                            "a saisi la pièce 004 (exercice 2025-2026)"]
    assert page.lines[0].who == "ad76 (AD76)" and page.lines[0].reason == "montant relu"
    assert page.lines[0].changes == ("montant : 1,00 € → 9,99 €",)
    assert page.lines[1].who == "tilleuls"  # no account here: the login as it is
    rest = hist.history(teacher, COOP, before_id=page.next_before, limit=3)
    assert [x.what.split()[-3] for x in rest.lines] == ["003", "002", "001"]
    last = hist.history(teacher, COOP, before_id=rest.next_before, limit=3)
    assert [x.what for x in last.lines] == ["a ouvert l'exercice 2025-2026 (ouverture : banque 1 842,37 €, "
                                            "caisse 63,50 €)", "a créé la coopérative AD76-0421"]
    assert last.next_before is None
    assert len(hist.history(teacher, COOP, "2025/2026").lines) == 7  # the coop's creation has no exercice
    assert len(hist.history(teacher, COOP, since=date(2026, 9, 15)).lines) == 8
    assert hist.history(teacher, COOP, since=date(2026, 9, 16)).lines == []
    with pytest.raises(NotFound, match="n'a pas d'exercice 2019-2020"):
        hist.history(teacher, COOP, "2019-2020")


def test_history_reads_only_what_the_reader_may_read(svc):
    svc.add_ad("AD27", "OCCE Eure")
    svc.add_coop("AD27-0101", "École de l'Eure", "AD27")
    with pytest.raises(Forbidden):
        hist.history(svc.as_user(TEACHER), "AD27-0101")
    with pytest.raises(Forbidden):
        hist.history(svc.as_user(AD76), "AD27-0101")
    assert hist.history(svc.as_user(AD76), COOP).lines
    assert hist.history(svc.as_user(Actor("stat", "analyste", ad="AD76")), COOP).lines  # analysts read
    with pytest.raises(NotFound, match="inconnue"):
        hist.history(svc, "AD76-9999")


def test_the_notice_starts_at_the_first_visit_and_leaves_out_her_own_changes(svc):
    add_account(svc, "ad76", "admin-ad", ad="AD76")
    add_account(svc, "tilleuls", "mandataire", coop=COOP)
    teacher, ad = svc.as_user(TEACHER), svc.as_user(AD76)
    first = hist.unseen(teacher, COOP)
    assert first.first and first.notices == [] and first.upto > 0  # the platform's setup is not news
    hist.acknowledge(teacher, COOP, first.upto)
    e = teacher.record_entry(COOP, EX, entry_draft())
    assert hist.unseen(teacher, COOP).notices == []
    ad.because("ticket relu").update_entry(e.id, e.version, entry_draft(2100))
    [told] = hist.unseen(teacher, COOP).notices
    assert told.startswith("L'AD76 a modifié la pièce 001 (exercice 2025-2026) le 15/09 à 09:")
    assert told.endswith(": motif ticket relu (montant : 12,34 € → 21,00 €)")
    assert hist.unseen(ad, COOP).notices == []  # the AD is not told of its own change
    u = hist.unseen(teacher, COOP)
    hist.acknowledge(teacher, COOP, u.upto)
    hist.acknowledge(teacher, COOP, first.upto)  # an older mark never goes back
    assert hist.unseen(teacher, COOP).notices == []


def test_her_own_large_import_never_pushes_a_correction_out_of_the_notice(svc):
    """Review finding: the notice read the newest 100 rows after her mark; her own import
    of 120 lines pushed the AD's correction out, and the mark moved past it unseen."""
    add_account(svc, "ad76", "admin-ad", ad="AD76")
    add_account(svc, "tilleuls", "mandataire", coop=COOP)
    teacher, ad = svc.as_user(TEACHER), svc.as_user(AD76)
    hist.acknowledge(teacher, COOP, hist.unseen(teacher, COOP).upto)
    e = teacher.record_entry(COOP, EX, entry_draft())
    ad.because("ticket relu").update_entry(e.id, e.version, entry_draft(2100))
    for i in range(120):  # her own saves, one audit row each
        teacher.record_entry(COOP, EX, entry_draft(100 + i, libelle=f"Ligne {i}"))
    u = hist.unseen(teacher, COOP)
    assert len(u.notices) == 1 and "ticket relu" in u.notices[0]
    hist.acknowledge(teacher, COOP, u.upto)
    assert hist.unseen(teacher, COOP).notices == []  # read once acknowledged, not before


def test_page_numbers_and_reasons_are_checked_in_french_the_same_on_both_databases(svc):
    with pytest.raises(ValidationError, match="numéro de page invalide"):
        hist.history(svc, COOP, before_id=9_999_999_999)
    ad = svc.as_user(AD76)
    with pytest.raises(ValidationError, match="motif contient un caractère interdit : U\\+0000"):
        ad.because("ticket\x00relu").record_entry(COOP, EX, entry_draft())
    with pytest.raises(ValidationError, match="motif est trop long"):
        ad.because("x" * 1001).record_entry(COOP, EX, entry_draft())
    assert svc.entries(COOP, EX) == []


def test_a_reason_the_use_case_writes_itself_never_stands_for_the_persons(svc):
    """Review finding: a late pointage by the AD carried « pointage après la fin de
    l'exercice… », which says what happened, not why, and passed for the AD's reason."""
    e = svc.record_entry(COOP, EX, entry_draft(day=date(2026, 8, 20)))
    svc.submit_exercice(COOP, EX)  # locked: only a late pointage is allowed
    ad = svc.as_user(AD76)
    with pytest.raises(ValidationError, match="motif"):
        ad.point([e.id], date(2026, 9, 10))
    assert [x.pointed for x in svc.entries(COOP, EX)] == [False]
    ad.because("relevé de septembre reçu").point([e.id], date(2026, 9, 10))
    assert [x.pointed for x in svc.entries(COOP, EX)] == [True]
