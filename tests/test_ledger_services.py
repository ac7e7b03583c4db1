"""The ledger's use cases through ``Books``, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from retkoop_widgets.domain.actor import Actor
from retkoop_widgets.domain.crf import crf_json
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
from retkoop_widgets.domain.errors import (Conflict, Forbidden, LockedExercice, NotFound,
                                           ValidationError)
from retkoop_widgets.storage import orm

from conftest import COOP, EX

OCCE_SPLIT = (V("6281", 15000), V("61681", 1500), V("6181", 950))


def occe_invoice(**kw) -> EntryDraft:
    base = dict(date=date(2025, 10, 3), libelle="Facture OCCE", tiers="OCCE 76", mode="chèque",
                cheque="4521001", bank_out=17450, ventilation=OCCE_SPLIT)
    base.update(kw)
    return EntryDraft(**base)


def family(amount=25000, day=date(2025, 9, 12), **kw) -> EntryDraft:
    return EntryDraft(date=day, libelle="Participation des familles", mode="chèque", bank_in=amount,
                      ventilation=(V("7560", amount),), **kw)


def count_rows(books, table) -> int:
    with books.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(table))


def test_seed_examples_give_the_expected_crf(books):
    books.record_entry(COOP, EX, family())
    books.record_entry(COOP, EX, occe_invoice())
    j = crf_json(books.crf(COOP, EX))
    assert j["report_a_nouveau"] == {"banque": "1842.37", "caisse": "63.50", "total": "1905.87"}
    assert {c["compte"]: c["montant"] for c in j["charges"]} == {"6281": "150.00", "61681": "15.00", "6181": "9.50"}
    assert j["produits"][0]["code_occe"] == "75600008" and j["produits"][0]["montant"] == "250.00"
    assert (j["total_charges"], j["total_produits"], j["resultat"]) == ("174.50", "250.00", "75.50")
    assert j["solde_final"] == {"banque": "1917.87", "caisse": "63.50", "total": "1981.37"}
    # Nothing pointed yet: the statement still shows the opening balance.
    assert j["rapprochement"]["solde_releve"] == "1842.37"
    assert [n["montant"] for n in j["rapprochement"]["non_pointees"]] == ["250.00", "-174.50"]


@pytest.mark.parametrize("draft, message", [
    (occe_invoice(ventilation=(V("6281", 15000), V("61681", 1500), V("6181", 949))),
     "la ventilation totalise 174,49 € pour un montant de 174,50 € : il manque 0,01 €"),
    (occe_invoice(ventilation=(V("6281", 15000), V("61681", 1500), V("6181", 951))),
     "il y a 0,01 € de trop"),
    (occe_invoice(ventilation=(V("7560", 17450),)), "le compte 7560 (Participation volontaire des familles) est un compte de produit"),
    (EntryDraft(date(2025, 9, 12), "Recette", bank_in=100, ventilation=(V("6281", 100),)),
     "une recette se ventile sur des comptes de produits"),
    (EntryDraft(date(2025, 9, 19), "Remise", bank_in=100, cash_out=100, ventilation=(V("7560", 100),)),
     "n'a pas de ventilation"),
    (EntryDraft(date(2025, 9, 19), "Remise", bank_in=100, cash_out=90),
     "virement interne déséquilibré : 1,00 € en banque pour 0,90 € en caisse"),
    (EntryDraft(date(2025, 9, 19), "Aller-retour", bank_in=100, bank_out=100), "entrée et sortie en banque"),
    (EntryDraft(date(2025, 9, 19), "Aller-retour", cash_in=100, cash_out=100), "entrée et sortie en caisse"),
    (family(day=date(2026, 9, 1)), "la date 01/09/2026 est hors de l'exercice 2025-2026 (du 01/09/2025 au 31/08/2026)"),
    (occe_invoice(ventilation=(V("6299", 17450),)), "compte « 6299 » inconnu du plan comptable"),
    (EntryDraft(date(2025, 9, 19), "Rien"), "le montant ne peut pas être nul"),
    (occe_invoice(ventilation=()), "ventilez le montant de 174,50 €"),
])
def test_refusals_say_what_is_wrong_and_save_nothing(books, draft, message):
    with pytest.raises(ValidationError) as err:
        books.record_entry(COOP, EX, draft)
    assert message in str(err.value)
    assert books.entries(COOP, EX) == []
    assert count_rows(books, orm.PostingRow) == 0


def test_occe_codes_are_accepted_in_ventilation(books):
    e = books.record_entry(COOP, EX, occe_invoice(ventilation=(V("62810008", 15000), V("61681008", 1500), V("61810008", 950))))
    assert [p.account for p in e.ventilation] == ["6281", "61681", "6181"]


def test_piece_already_used_is_refused_and_next_free_suggested(books):
    books.record_entry(COOP, EX, family(piece="007"))
    with pytest.raises(ValidationError) as err:
        books.record_entry(COOP, EX, family(piece="007"))
    assert "la pièce 007 est déjà utilisée" in str(err.value)
    assert "prochain numéro libre : 008" in str(err.value)
    assert books.suggest_piece(COOP, EX) == "008"


def test_split_numbering_gives_r_and_d_sequences(books):
    books.add_coop("AD76-0333", "Maternelle", "AD76", numbering_mode="RD")
    books.open_exercice("AD76-0333", EX, 0, 0)
    pieces = [books.record_entry("AD76-0333", EX, d).piece
              for d in (family(), family(), occe_invoice(cheque=""), family())]
    assert pieces == ["R001", "R002", "D001", "R003"]
    assert books.suggest_piece("AD76-0333", EX, "depense") == "D002"


def test_pointing_with_the_versions_seen_refuses_lines_changed_since(books):
    """A statement import proposes from an earlier read: if another tab pointed or edited
    one of its lines meanwhile, nothing is pointed."""
    a = books.record_entry(COOP, EX, family())
    b = books.record_entry(COOP, EX, occe_invoice())
    seen = {e.id: e.version for e in books.entries(COOP, EX)}
    books.point([b.id], date(2025, 10, 15))  # another tab
    with pytest.raises(Conflict, match=f"la pièce {b.piece} a été modifiée"):
        books.point([a.id, b.id], date(2025, 10, 31), versions=seen)
    assert {e.id: (e.pointed, e.statement_date) for e in books.entries(COOP, EX)} == {
        a.id: (False, None), b.id: (True, date(2025, 10, 15))}
    fresh = {e.id: e.version for e in books.entries(COOP, EX)}
    assert books.point([a.id], date(2025, 10, 31), versions=fresh) == 1


def test_a_line_pointed_on_a_statement_after_the_31_08_stays_in_the_reconciliation(books):
    """The CRF explains the 31/08 statement: a cheque of 25/08 cashed in September was not
    on it, whatever was ticked since."""
    cheque = books.record_entry(COOP, EX, EntryDraft(date(2026, 8, 25), "Fournitures", mode="chèque",
                                                     cheque="4521001", bank_out=8000,
                                                     ventilation=(V("6064", 8000),)))
    early = books.record_entry(COOP, EX, EntryDraft(date(2026, 8, 3), "Cotisations", mode="virement",
                                                    bank_in=5000, ventilation=(V("7560", 5000),)))
    books.point([early.id], date(2026, 8, 31))
    books.point([cheque.id], date(2026, 9, 10))
    crf = books.crf(COOP, EX)
    assert [e.piece for e in crf.unpointed] == [cheque.piece]
    assert crf.statement_balance == crf.closing_bank + 8000  # the 31/08 statement had not paid it yet
    assert crf_json(crf)["rapprochement"]["non_pointees"][0]["montant"] == "-80.00"


def test_balances_pointage_and_statement_balance(books):
    a = books.record_entry(COOP, EX, family())
    b = books.record_entry(COOP, EX, occe_invoice())
    c = books.record_entry(COOP, EX, EntryDraft(date(2025, 10, 5), "Remise d'espèces", bank_in=5000, cash_out=5000))
    lines = books.cahier(COOP, EX)
    assert [(ln.bank_balance, ln.cash_balance) for ln in lines] == [
        (184237 + 25000, 6350), (184237 + 25000 - 17450, 6350), (184237 + 25000 - 17450 + 5000, 1350)]
    assert books.point([a.id, b.id], date(2025, 10, 31)) == 2
    crf = books.crf(COOP, EX)
    assert [e.piece for e in crf.unpointed] == [c.piece]
    # statement = book bank minus the unpointed receipt
    assert crf.statement_balance == crf.closing_bank - 5000
    cash_sale = books.record_entry(COOP, EX, EntryDraft(date(2025, 10, 6), "Vente", cash_in=100,
                                                        ventilation=(V("7080", 100),)))
    with pytest.raises(ValidationError, match="ne passe pas par la banque"):
        books.point([cash_sale.id], date(2025, 10, 31))
    with pytest.raises(ValidationError, match=f"pièce {c.piece} : le relevé du 01/10/2025 est antérieur à "
                                              "l'écriture du 05/10/2025"):
        books.point([c.id], date(2025, 10, 1))
    # the same rules as an import (domain.entry.pointage_problems): not in the future, not 13 months late
    with pytest.raises(ValidationError, match="le relevé du 31/12/2099 est daté dans le futur"):
        books.point([c.id], date(2099, 12, 31))
    with pytest.raises(ValidationError, match="le relevé du 01/12/2026 est plus de 13 mois après"):
        books.point([c.id], date(2026, 12, 1))
    assert not books.entry(c.id).pointed


def test_stale_edit_is_refused_and_current_data_kept(books, clock):
    e = books.record_entry(COOP, EX, family())
    first = books.as_user("alice").update_entry(e.id, e.version, family(amount=26000))
    with pytest.raises(Conflict) as err:
        books.as_user("bob").update_entry(e.id, e.version, family(amount=99900))
    assert "modifiée par alice" in str(err.value)
    assert books.entry(e.id).bank == 26000 == first.bank


def test_changing_a_pointed_line_raises_an_alert(books):
    e = books.record_entry(COOP, EX, family())
    books.point([e.id], date(2025, 9, 30))
    e = books.entry(e.id)
    books.update_entry(e.id, e.version, family(amount=24000, pointed=True, statement_date=date(2025, 9, 30)))
    alerts = books.alerts(COOP, EX)
    assert [a.code for a in alerts] == ["pointee_modifiee"]
    assert "modifiée après avoir été pointée" in alerts[0].message


def test_alerts_negative_cash_future_date_cheques_and_subsidies(books, clock):
    clock.day = date(2025, 12, 1)
    books.record_entry(COOP, EX, EntryDraft(date(2025, 9, 20), "Achat", mode="espèces", cash_out=10000,
                                            ventilation=(V("6064", 10000),)))
    books.record_entry(COOP, EX, occe_invoice(cheque="100"))
    books.record_entry(COOP, EX, occe_invoice(cheque="100", date=date(2025, 10, 4)))
    books.record_entry(COOP, EX, occe_invoice(cheque="105", date=date(2025, 10, 5)))
    books.record_entry(COOP, EX, family(day=date(2025, 12, 24)))
    books.record_entry(COOP, EX, EntryDraft(date(2025, 11, 6), "Subvention", bank_in=60000,
                                            ventilation=(V("7410", 60000),)))
    codes = {a.code: a.message for a in books.alerts(COOP, EX)}
    assert "le solde de la caisse devient négatif (-36,50 €)" in codes["solde_caisse_negatif"]
    assert "le chèque n° 100 de la pièce 003 a déjà été utilisé pour la pièce 002" in codes["cheque_reutilise"]
    assert codes["cheques_manquants"] == "chèques 101 à 104 absents du cahier : annulés, perdus ou pas encore saisis ?"
    assert "24/12/2025, une date future" in codes["date_future"]
    assert "le tableau des subventions totalise 0,00 € mais le compte 7410 totalise 600,00 €" in codes["subventions_7410"]
    books.add_subsidy(COOP, EX, "Mairie", "commune", "Projet lecture", 60000, date(2025, 11, 6), entry_piece="006")
    assert "subventions_7410" not in {a.code for a in books.alerts(COOP, EX)}


def test_suggested_cheque_follows_the_chequebook(books):
    assert books.suggest_cheque(COOP) == ""
    books.record_entry(COOP, EX, occe_invoice(cheque="0452101"))
    books.record_entry(COOP, EX, family(cheque=""))
    assert books.suggest_cheque(COOP) == "0452102"


def test_cash_count_records_gap_author_and_date(books):
    books.record_entry(COOP, EX, EntryDraft(date(2025, 9, 15), "Vente", mode="espèces", cash_in=1000,
                                            ventilation=(V("7080", 1000),)))
    # book cash 73,50 €; counted 70,30 €: 3,20 € missing
    count = books.as_user("mme.martin").record_cash_count(COOP, EX, date(2025, 9, 30), {5000: 1, 1000: 2, 20: 1, 10: 1})
    assert (count.total, count.book_balance, count.gap) == (7030, 7350, -320)
    assert count.verdict() == "Écart de 3,20 € (manque)"
    j = crf_json(books.crf(COOP, EX))
    assert j["arrete_de_caisse"]["compte"] == "70.30" and j["arrete_de_caisse"]["ecart"] == "-3.20"
    assert books.cash_counts(COOP, EX)[0].author == "mme.martin"
    with pytest.raises(ValidationError, match="coupure de 3 centimes inconnue"):
        books.record_cash_count(COOP, EX, date(2025, 9, 30), {3: 1})


def test_attachments_checked_by_content_and_stored_once(books):
    e = books.record_entry(COOP, EX, occe_invoice())
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    h = books.attach(e.id, "facture.pdf", pdf)
    e2 = books.record_entry(COOP, EX, family())
    assert books.attach(e2.id, "copie.pdf", pdf) == h
    assert count_rows(books, orm.BlobRow) == 1
    with pytest.raises(ValidationError, match="n'est ni un PDF, ni une image JPEG ou PNG"):
        books.attach(e.id, "virus.pdf", b"MZ\x90\x00 this is an exe")
    with pytest.raises(ValidationError, match="la limite est de 10 Mo"):
        books.attach(e.id, "gros.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024))
    with pytest.raises(Conflict, match="déjà joint"):
        books.attach(e.id, "facture-bis.pdf", pdf)
    assert books.blob(COOP, h) == ("application/pdf", pdf)
    books.add_coop("AD76-0999", "Autre", "AD76")
    with pytest.raises(NotFound):
        books.blob("AD76-0999", h)


def test_exercice_life_cycle_lock_reopen_close_carry_forward(books):
    books.record_entry(COOP, EX, family())
    books.submit_exercice(COOP, EX, [{"nom": "M. Parent", "qualite": "parent"}])
    with pytest.raises(LockedExercice, match="soumis"):
        books.record_entry(COOP, EX, family())
    with pytest.raises(Forbidden):
        books.as_user(Actor("prof", "mandataire", coop=COOP, ad="AD76")).reopen_exercice(COOP, EX, "erreur")
    with pytest.raises(ValidationError, match="raison"):
        books.reopen_exercice(COOP, EX, " ")
    books.as_user(Actor("ad76", "admin-ad", ad="AD76")).reopen_exercice(COOP, EX, "correction d'une pièce")
    books.record_entry(COOP, EX, occe_invoice())
    nxt = books.close_exercice(COOP, EX)
    assert (nxt.name, nxt.opening_bank, nxt.opening_cash) == ("2026-2027", 184237 + 25000 - 17450, 6350)
    with pytest.raises(LockedExercice, match="clos"):
        books.record_entry(COOP, EX, family())
    log = books.audit_log(COOP)
    actions = [(r["action"], r["actor"]) for r in log]
    assert ("unlock", "ad76") in actions and ("lock", "test") in actions and ("close", "test") in actions
    unlock = next(r for r in log if r["action"] == "unlock")
    assert unlock["reason"] == "correction d'une pièce" and unlock["before"] == {"etat": "soumis"}


def test_every_change_is_audited_with_before_and_after(books):
    e = books.as_user("alice").record_entry(COOP, EX, family())
    e = books.as_user("alice").update_entry(e.id, e.version, family(amount=30000))
    books.as_user("bob").point([e.id], date(2025, 9, 30))
    e = books.entry(e.id)
    books.as_user("carol").delete_entry(e.id, e.version, reason="doublon")
    log = list(reversed(books.audit_log(COOP)))
    entry_log = [r for r in log if r["object"] == f"entry {e.id}"]
    assert [(r["action"], r["actor"]) for r in entry_log] == [
        ("create", "alice"), ("update", "alice"), ("point", "bob"), ("delete", "carol")]
    assert entry_log[1]["before"]["ecritures"][0] == ["512", 25000, ""]
    assert entry_log[1]["after"]["ecritures"][0] == ["512", 30000, ""]
    assert entry_log[3]["after"] is None and entry_log[3]["reason"] == "doublon"
    assert books.entries(COOP, EX) == []


def test_permissions_mandataire_own_coop_only_analyst_read_only(books):
    books.add_ad("AD27", "OCCE Eure")
    books.add_coop("AD27-0101", "École du Vexin", "AD27")
    books.open_exercice("AD27-0101", EX, 0, 0)
    teacher = books.as_user(Actor("prof", "mandataire", coop=COOP, ad="AD76"))
    teacher.record_entry(COOP, EX, family())
    with pytest.raises(Forbidden):
        teacher.entries("AD27-0101", EX)
    ad76 = books.as_user(Actor("ad76", "admin-ad", ad="AD76"))
    with pytest.raises(Forbidden):
        ad76.record_entry("AD27-0101", EX, family())
    analyst = books.as_user(Actor("stat", "analyste", ad="AD76"))
    assert len(analyst.entries(COOP, EX)) == 1
    with pytest.raises(Forbidden):
        analyst.record_entry(COOP, EX, family())


def test_import_drafts_is_all_or_nothing_with_locations(books):
    drafts = [("ligne 2 (pièce 001)", family(piece="001")),
              ("ligne 3 (pièce 002)", occe_invoice(piece="002", ventilation=(V("6281", 15000), V("61681", 1500), V("6181", 949)))),
              ("ligne 4", family())]
    with pytest.raises(ValidationError) as err:
        books.import_drafts(COOP, EX, drafts)
    assert str(err.value) == ("ligne 3 (pièce 002) : la ventilation totalise 174,49 € pour un montant de "
                              "174,50 € : il manque 0,01 €")
    assert books.entries(COOP, EX) == []
    saved = books.import_drafts(COOP, EX, [drafts[0], drafts[2]])
    assert [e.piece for e in saved] == ["001", "002"]


def test_chart_import_replaces_the_ad_chart(books):
    from retkoop_widgets.domain.chart import chart_to_csv, default_chart
    text = chart_to_csv(default_chart()) + "6299;;Fournitures spéciales AD76;charge;Activités éducatives\n"
    books.import_chart("AD76", text)
    e = books.record_entry(COOP, EX, occe_invoice(ventilation=(V("6299", 17450),)))
    assert books.crf(COOP, EX).charges[0].libelle == "Fournitures spéciales AD76"
    with pytest.raises(ValidationError, match="ligne 2 : code « x12 »"):
        books.import_chart("AD76", "code;code_occe;libelle;classe;rubrique\nx12;;a;charge;b\n")
    assert e.piece == "001"


def test_read_only_environment_forbids_every_write(books, db_url, monkeypatch):
    from sqlalchemy import text
    from retkoop_widgets.services import Books
    from retkoop_widgets.storage.db import get_engine
    books.record_entry(COOP, EX, family())
    monkeypatch.setenv("RETKOOP_READ_ONLY", "1")
    ro = Books(db_url, "stat")
    assert len(ro.entries(COOP, EX)) == 1
    with pytest.raises(Forbidden, match="lecture seule"):
        ro.record_entry(COOP, EX, family())
    with pytest.raises(Exception):  # the connection itself refuses (SQLite mode=ro, PostgreSQL read-only)
        with get_engine(db_url).begin() as c:
            c.execute(text("UPDATE entry SET libelle = 'x'"))
    monkeypatch.delenv("RETKOOP_READ_ONLY")
    assert books.entries(COOP, EX)[0].libelle == "Participation des familles"
