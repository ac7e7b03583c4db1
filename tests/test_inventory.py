"""The inventory register of durable goods: domain rules (pure), the service on SQLite and
PostgreSQL (permissions, locks, versions, audit, the register against account 68) and the
Inventaire tab driven without a browser."""
from __future__ import annotations

from datetime import date

import pytest

from retkoop_widgets.domain.actor import Actor
from retkoop_widgets.domain.chart import Account, Chart, default_chart
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
from retkoop_widgets.domain.errors import Conflict, Forbidden, LockedExercice, NotFound, ValidationError
from retkoop_widgets.domain.exercice import Exercice
from retkoop_widgets.domain.inventory import (DurableExpense, DurableGood, GoodDraft, build_good,
                                              compare_register, dispose, durable_goods_codes)
from retkoop_widgets.services import inventory as inv
from retkoop_widgets.widgets.app import Dashboard
from tests.conftest import COOP, EX

TODAY = date(2026, 9, 15)  # the conftest clock's day
INVENTAIRE = 7  # after Saisie … Exports (indices 0–6 unchanged)


def problems(draft: GoodDraft, today: date = TODAY) -> dict[str, str]:
    with pytest.raises(ValidationError) as err:
        build_good(draft, today=today)
    return err.value.fields


# -- domain --------------------------------------------------------------------------
def test_build_good_reports_every_problem_at_once_in_french():
    f = problems(GoodDraft("  ", None, 0, quantity=0, disposal_reason="donné"))
    assert f == {"designation": "la désignation du bien est obligatoire (ex. « Tablette tactile »)",
                 "acquired_on": "la date d'acquisition est obligatoire",
                 "value": "la valeur du bien doit être positive",
                 "quantity": "la quantité doit être au moins 1",
                 "disposed_on": "un motif de sortie est indiqué sans date de sortie"}


def test_dates_must_be_plausible_and_a_disposal_needs_a_reason_after_the_acquisition():
    assert "invraisemblable" in problems(GoodDraft("Globe", date(1979, 12, 31), 100))["acquired_on"]
    assert "dans le futur" in problems(GoodDraft("Globe", date(2026, 9, 16), 100))["acquired_on"]
    f = problems(GoodDraft("Globe", date(2025, 10, 1), 100, disposed_on=date(2025, 9, 30)))
    assert f["disposed_on"] == "la date de sortie 30/09/2025 précède la date d'acquisition 01/10/2025"
    assert "motif de la sortie" in f["disposal_reason"] and "hors d'usage" in f["disposal_reason"]
    assert "dans le futur" in problems(GoodDraft("Globe", date(2025, 10, 1), 100, disposed_on=date(2026, 10, 1),
                                                 disposal_reason="vendu"))["disposed_on"]
    assert "inconnu" in problems(GoodDraft("Globe", date(2025, 10, 1), 100, disposed_on=date(2025, 12, 1),
                                           disposal_reason="cassé"))["disposal_reason"]
    assert "expliquez" in problems(GoodDraft("Globe", date(2025, 10, 1), 100, disposed_on=date(2025, 12, 1),
                                             disposal_reason="autre"))["comment"]
    assert "10 000 000" in problems(GoodDraft("Globe", date(2025, 10, 1), 10_000_000_01))["value"]
    assert "entier" in problems(GoodDraft("Globe", date(2025, 10, 1), 100, quantity=1.5))["quantity"]


def test_a_valid_good_is_normalised_and_knows_its_exercice():
    g = build_good(GoodDraft("  Tablettes   tactiles ", date(2026, 3, 20), 131600, location=" classe  de CM1 ",
                             quantity=4), today=TODAY)
    assert (g.designation, g.location, g.unit_value, g.exercice) == ("Tablettes tactiles", "classe de CM1",
                                                                      32900, "2025-2026")
    assert g.held_during(date(2025, 9, 1), date(2026, 8, 31)) and not g.held_during(date(2024, 9, 1),
                                                                                     date(2025, 8, 31))
    out = dispose(g, date(2026, 6, 1), "hors d'usage", "écran cassé", today=TODAY)
    assert out.disposed and not out.held_on(date(2026, 6, 1)) and out.held_during(date(2025, 9, 1), date(2026, 8, 31))
    assert out.comment == "écran cassé"
    with pytest.raises(ValidationError, match="déjà sorti de l'inventaire le 01/06/2026"):
        dispose(out, date(2026, 6, 2), "vendu", today=TODAY)
    # "autre" needs a word at disposal time, even when the good already has a comment
    noted = build_good(GoodDraft("Globe", date(2025, 10, 1), 100, comment="n° 12"), today=TODAY)
    with pytest.raises(ValidationError, match="expliquez la sortie"):
        dispose(noted, date(2025, 12, 1), "autre", today=TODAY)


def test_durable_goods_account_is_68_or_its_occe_code_in_an_ad_variant():
    assert durable_goods_codes(default_chart()) == {"68"}
    variant = Chart([Account("512", "", "Banque", "tresorerie", "T"), Account("530", "", "Caisse", "tresorerie", "T"),
                     Account("6800", "68000008", "Matériel durable", "charge", "Biens durables"),
                     Account("6811", "68110008", "Autre chose", "charge", "X")])
    assert durable_goods_codes(variant) == {"6800"}


def test_compare_register_with_account_68():
    ex = Exercice(COOP, EX)
    tablet = DurableExpense(22, "022", date(2026, 3, 20), "Tablette", 32900)
    projector = DurableExpense(30, "030", date(2026, 5, 2), "Vidéoprojecteur", 45000)
    g1 = DurableGood("Tablette", date(2026, 3, 20), 29900, entry_id=22, piece="022")
    old = DurableGood("Appareil photo", date(2023, 5, 1), 20000)  # another exercice: ignored
    chk = compare_register(ex, [g1, old], [tablet, projector])
    assert (chk.goods_total, chk.account_total, chk.gap, chk.ok) == (29900, 77900, -48000, False)
    assert [a.code for a in chk.alerts] == ["inventaire_68", "inventaire_piece_ecart", "inventaire_piece_sans_bien"]
    assert chk.alerts[0].message == ("le registre d'inventaire totalise 299,00 € de biens acquis en 2025-2026 mais le "
                                     "compte 68 (biens durables) totalise 779,00 € : écart de 480,00 €")
    assert "la pièce 022 porte 329,00 €" in chk.alerts[1].message and "valent 299,00 €" in chk.alerts[1].message
    assert [e.piece for e in chk.unrecorded] == ["030"] and chk.alerts[2].piece == "030"
    g2 = DurableGood("Étui", date(2026, 3, 20), 3000, entry_id=22)
    g3 = DurableGood("Vidéoprojecteur", date(2026, 5, 2), 45000, entry_id=30)
    assert compare_register(ex, [g1, g2, g3, old], [tablet, projector]).ok
    # a good without pièce is listed but fine when the totals agree; one on a non-68 entry is flagged
    chk = compare_register(ex, [DurableGood("Don d'un parent", date(2025, 10, 1), 5000)], [])
    assert [a.code for a in chk.alerts] == ["inventaire_68"] and len(chk.unlinked) == 1
    chk = compare_register(ex, [DurableGood("Livres", date(2025, 10, 1), 5000, entry_id=9, piece="009")], [])
    assert "inventaire_piece_hors_68" in [a.code for a in chk.alerts]


# -- service -------------------------------------------------------------------------
def buy(books, cents=32900, day=date(2026, 3, 20), libelle="Tablette pour la classe", account="68", exercice=EX):
    return books.record_entry(COOP, exercice, EntryDraft(day, libelle, mode="chèque", cheque="4521008", bank_out=cents,
                                                         ventilation=(V(account, cents),)))


def tablet(entry_id=None, value=29900, **kw) -> GoodDraft:
    return GoodDraft("Tablette tactile", date(2026, 3, 20), value, entry_id=entry_id, location="classe de CM1", **kw)


def test_add_update_dispose_cancel_delete_are_audited(books):
    e = buy(books)
    g = inv.add_good(books, COOP, tablet(e.id))
    assert (g.id, g.version, g.piece, g.exercice) == (g.id, 1, e.piece, EX)
    g = inv.update_good(books, g.id, 1, tablet(e.id, value=32900, quantity=1))
    assert (g.value, g.version) == (32900, 2) and inv.good(books, g.id).value == 32900
    g = inv.dispose_good(books, g.id, 2, date(2026, 6, 30), "perdu/volé", "disparue après la kermesse")
    assert (g.disposed_on, g.disposal_reason, g.version) == (date(2026, 6, 30), "perdu/volé", 3)
    with pytest.raises(ValidationError, match="reste au registre"):
        inv.delete_good(books, g.id, 3)
    g = inv.cancel_disposal(books, g.id, 3, "retrouvée")
    assert not g.disposed and g.version == 4
    inv.delete_good(books, g.id, 4, "doublon")
    assert inv.list_goods(books, COOP) == []
    with pytest.raises(NotFound, match="introuvable"):
        inv.good(books, g.id)
    log = [r for r in reversed(books.audit_log(COOP)) if r["object"].startswith("durable_good")]
    assert [r["action"] for r in log] == ["create", "update", "dispose", "cancel_disposal", "delete"]
    assert all(r["actor"] == "test" and r["exercice"] == EX and r["at"] for r in log)
    create, update, disp, undo, delete = log
    assert create["before"] is None and create["after"]["valeur"] == 29900 and create["after"]["piece"] == e.piece
    assert (update["before"]["valeur"], update["after"]["valeur"]) == (29900, 32900)
    assert disp["after"]["date_sortie"] == "2026-06-30" and disp["reason"] == "perdu/volé"
    assert undo["before"]["motif_sortie"] == "perdu/volé" and undo["after"]["date_sortie"] is None
    assert delete["after"] is None and delete["before"]["designation"] == "Tablette tactile"
    assert delete["reason"] == "doublon"


def test_a_stale_version_is_refused_in_french(books):
    g = inv.add_good(books, COOP, tablet())
    inv.update_good(books.as_user(Actor("prof", "mandataire", coop=COOP)), g.id, 1, tablet(value=30000))
    with pytest.raises(Conflict, match="a été modifié par prof le 15/09/2026 .* rechargez"):
        inv.update_good(books, g.id, 1, tablet(value=31000))
    with pytest.raises(Conflict):
        inv.dispose_good(books, g.id, 1, date(2026, 6, 1), "donné")
    with pytest.raises(Conflict):
        inv.delete_good(books, g.id, 1)
    assert inv.good(books, g.id).value == 30000


def test_a_locked_acquisition_exercice_refuses_changes_but_a_later_disposal_is_possible(books):
    e = buy(books)
    g = inv.add_good(books, COOP, tablet(e.id))
    books.submit_exercice(COOP, EX, [])
    with pytest.raises(LockedExercice, match="2025-2026 est soumis"):
        inv.add_good(books, COOP, tablet(e.id, value=3000))
    with pytest.raises(LockedExercice):
        inv.update_good(books, g.id, 1, tablet(e.id, value=1000))
    with pytest.raises(LockedExercice):
        inv.delete_good(books, g.id, 1)
    with pytest.raises(LockedExercice):
        inv.dispose_good(books, g.id, 1, date(2026, 6, 1), "hors d'usage")
    # the tablet breaks in the next school year: its disposal belongs to 2026-2027
    books.open_exercice(COOP, "2026-2027")
    g = inv.dispose_good(books, g.id, 1, date(2026, 9, 10), "hors d'usage")
    assert g.disposed_on == date(2026, 9, 10)
    assert books.audit_log(COOP, limit=1)[0]["exercice"] == "2026-2027"
    books.submit_exercice(COOP, "2026-2027", [])
    with pytest.raises(LockedExercice, match="2026-2027"):
        inv.cancel_disposal(books, g.id, 2)
    # a good of a year the coop never kept in Retkoop (carried over from paper) is not locked
    old = inv.add_good(books, COOP, GoodDraft("Appareil photo", date(2019, 5, 1), 24900))
    assert old.exercice == "2018-2019"


def test_analysts_read_only_users_and_other_coops_are_refused(books, db_url):
    g = inv.add_good(books, COOP, tablet())
    analyst = books.as_user(Actor("stat", "analyste", ad="AD76"))
    assert [x.id for x in inv.list_goods(analyst, COOP)] == [g.id]  # reading is allowed
    with pytest.raises(Forbidden, match="stat n'a pas le droit de modifier"):
        inv.add_good(analyst, COOP, tablet())
    for write in (lambda b: inv.update_good(b, g.id, 1, tablet(value=1)),
                  lambda b: inv.dispose_good(b, g.id, 1, date(2026, 6, 1), "donné"),
                  lambda b: inv.delete_good(b, g.id, 1)):
        with pytest.raises(Forbidden):
            write(analyst)
    other = books.as_user(Actor("voisin", "mandataire", coop="AD76-9999"))
    with pytest.raises(Forbidden):
        inv.list_goods(other, COOP)
    with pytest.raises(Forbidden):
        inv.dispose_good(other, g.id, 1, date(2026, 6, 1), "donné")
    from retkoop_widgets.services import Books
    reader = Books(db_url, "test", today=books.today, now=books.now, read_only=True)
    with pytest.raises(Forbidden, match="lecture seule"):
        inv.add_good(reader, COOP, tablet())
    assert inv.good(books, g.id).version == 1  # nothing changed


def test_the_linked_pièce_must_be_a_68_expense_of_the_acquisition_exercice(books):
    paper = buy(books, 4550, libelle="Papeterie", account="6064")
    with pytest.raises(ValidationError, match=f"la pièce {paper.piece} n'est pas une dépense ventilée sur le compte 68"):
        inv.add_good(books, COOP, tablet(paper.id))
    e = buy(books)
    with pytest.raises(ValidationError) as err:
        inv.add_good(books, COOP, GoodDraft("Tablette", date(2025, 8, 30), 32900, entry_id=e.id))
    assert err.value.fields["acquired_on"] == (f"la pièce {e.piece} est de l'exercice 2025-2026 mais la date "
                                               "d'acquisition 30/08/2025 tombe dans l'exercice 2024-2025 : inscrivez "
                                               "le bien à la date de sa dépense")
    books.add_coop("AD76-0500", "École voisine", "AD76")
    with pytest.raises(ValidationError, match="introuvable"):
        inv.add_good(books, "AD76-0500", tablet(e.id))
    assert inv.list_goods(books, COOP) == [] and inv.list_goods(books, "AD76-0500") == []


def test_register_against_account_68_and_a_deleted_entry(books):
    e = buy(books)
    chk = inv.check_register(books, COOP, EX)
    assert [a.code for a in chk.alerts] == ["inventaire_68", "inventaire_piece_sans_bien"]
    assert "écart de 329,00 €" in chk.alerts[0].message and chk.unrecorded[0].piece == e.piece
    g1 = inv.add_good(books, COOP, tablet(e.id))
    chk = inv.check_register(books, COOP, EX)
    assert [a.code for a in chk.alerts] == ["inventaire_68", "inventaire_piece_ecart"] and chk.gap == -3000
    inv.add_good(books, COOP, GoodDraft("Étui-clavier", date(2026, 3, 20), 3000, entry_id=e.id))
    assert inv.check_register(books, COOP, EX).ok
    # deleting the 68 entry keeps the goods (ON DELETE SET NULL) and the check says so
    books.delete_entry(e.id, e.version, reason="erreur")
    g = inv.good(books, g1.id)
    assert (g.entry_id, g.piece) == (None, "")
    chk = inv.check_register(books, COOP, EX)
    assert (chk.account_total, chk.goods_total, len(chk.unlinked)) == (0, 32900, 2)
    assert [a.code for a in chk.alerts] == ["inventaire_68"]


def test_the_register_check_joins_the_crf_alerts_and_the_header_count(books):
    """Like the subsidies table against 7410: the CRF (dashboard header, Bilan, PDF, JSON)
    lists the register's alerts, and they go once the goods are inscribed."""
    from retkoop_widgets.domain.crf import compute_crf, crf_json
    e = buy(books)
    codes = [a.code for a in books.crf(COOP, EX).alerts]
    assert {"inventaire_68", "inventaire_piece_sans_bien"} <= set(codes)
    assert "inventaire_piece_sans_bien" in {a["code"] for a in crf_json(books.crf(COOP, EX))["alertes"]}
    d, s = open_tab(books, Actor("prof", "mandataire", coop=COOP))
    before = d.header.kpis.value
    s.piece.value = e.id
    s.designation.value, s.value.value = "Tablette tactile", "329"
    s.save.click()
    assert "Bien inscrit" in s.status.value, s.status.value
    assert not [a for a in books.crf(COOP, EX).alerts if a.code.startswith("inventaire")]
    assert d.header.kpis.value != before  # the header's alert count was refreshed
    # the pure CRF over the same entries and goods says the same
    pure = compute_crf(books.exercice(COOP, EX), books.entries(COOP, EX), books.chart(COOP),
                       today=books.today(), goods=inv.list_goods(books, COOP, EX))
    assert [a.code for a in pure.alerts] == [a.code for a in books.crf(COOP, EX).alerts]


def test_deleting_a_68_entry_from_the_cahier_warns_about_its_goods(books):
    e = buy(books)
    inv.add_good(books, COOP, tablet(e.id))
    d = Dashboard(books, COOP, EX)
    d.tabs.selected_index = 1
    c = d.cahier
    c.pick.value = e.id
    c.del_btn.click()
    [box] = c.confirm.children
    question = box.children[0].value
    assert f"Supprimer la pièce {e.piece}" in question
    assert "est la pièce de 1 bien de l'inventaire (« Tablette tactile ») : il restera inscrit, sans pièce" in question


def test_list_goods_by_exercice(books):
    old = inv.add_good(books, COOP, GoodDraft("Appareil photo", date(2020, 5, 1), 24900))
    gone = inv.add_good(books, COOP, GoodDraft("Vieux magnétophone", date(2015, 1, 10), 8000))
    inv.dispose_good(books, gone.id, 1, date(2025, 6, 1), "hors d'usage")
    broke = inv.add_good(books, COOP, GoodDraft("Lecteur CD", date(2018, 1, 10), 6000))
    inv.dispose_good(books, broke.id, 1, date(2025, 12, 1), "donné")
    new = inv.add_good(books, COOP, tablet())
    names = lambda goods: [g.designation for g in goods]  # noqa: E731
    assert names(inv.list_goods(books, COOP)) == ["Vieux magnétophone", "Lecteur CD", "Appareil photo",
                                                  "Tablette tactile"]
    assert names(inv.list_goods(books, COOP, EX)) == ["Lecteur CD", "Appareil photo", "Tablette tactile"]
    assert names(inv.list_goods(books, COOP, "2024-2025")) == ["Vieux magnétophone", "Lecteur CD", "Appareil photo"]
    assert names(inv.list_goods(books, COOP, include_disposed=False)) == ["Appareil photo", "Tablette tactile"]
    assert {old.id, new.id} <= {g.id for g in inv.list_goods(books, COOP, EX)}


def test_csv_export_and_demo_seed(books):
    assert inv.seed_inventory_demo(books, COOP, EX) == []  # no 68 expense: nothing to inscribe
    e = buy(books, libelle="Tablette pour la classe (inventaire)")
    goods = inv.seed_inventory_demo(books, COOP, EX)
    assert [(g.designation, g.value, g.piece) for g in goods] == [
        ("Tablette tactile 10 pouces", 29900, e.piece), ("Étui-clavier pour la tablette", 3000, e.piece)]
    assert inv.check_register(books, COOP, EX).ok and inv.seed_inventory_demo(books, COOP, EX) == []
    inv.add_good(books, COOP, GoodDraft("=HYPERLINK(\"x\")", date(2025, 10, 1), 123456, quantity=2))
    text = inv.register_csv(inv.list_goods(books, COOP, EX))
    lines = text.lstrip("\ufeff").split("\r\n")
    assert text.startswith("\ufeff") and lines[0].startswith("Désignation;Quantité;Date d'acquisition;Valeur")
    assert lines[1] == '"\'=HYPERLINK(""x"")";2;01/10/2025;1234,56;;;;;'  # a formula is exported as text
    assert lines[2] == f"Tablette tactile 10 pouces;1;20/03/2026;299,00;{e.piece};classe de CM1;;;"


# -- the Inventaire tab ----------------------------------------------------------------
def open_tab(books, actor=None):
    d = Dashboard(books.as_user(actor) if actor else books, COOP, EX)
    assert [d.tabs.get_title(i) for i in range(len(d._factories))] == [
        "Saisie", "Cahier", "Caisse", "Subventions", "Pièces justificatives", "Bilan", "Exports", "Inventaire",
        "Historique"]
    d.tabs.selected_index = INVENTAIRE
    return d, d.inventory


def test_tab_shows_the_68_alert_and_the_form_inscribes_a_good_from_its_pièce(books):
    e = buy(books)
    d, s = open_tab(books, Actor("prof", "mandataire", coop=COOP))
    assert "rk-ko" in s.alert.value and "329,00 €" in s.alert.value and f"La pièce {e.piece} du 20/03/2026" in s.alert.value
    assert "Aucun bien inscrit" in s.table.value
    # choosing the pièce fills date, designation and the amount left to inscribe
    s.piece.value = e.id
    assert (s.date.value, s.designation.value, s.value.value) == (date(2026, 3, 20), "Tablette pour la classe", "329,00")
    s.designation.value, s.value.value, s.location.value = "Tablette tactile", "299", "classe de CM1"
    s.save.click()
    assert "Bien inscrit" in s.status.value, s.status.value
    assert "299,00 €" in s.table.value and "20/03/2026" in s.table.value and "classe de CM1" in s.table.value
    assert "écart" in s.alert.value and s.piece.value is None
    # the rest of the pièce: 30,00 € proposed; a bad amount is refused beside the field, in French
    s.piece.value = e.id
    assert s.value.value == "30,00"
    s.designation.value, s.value.value = "Étui", "30,001"
    s.save.click()
    assert "plus de deux décimales" in s.errors["value"].value and "rk-ko" in s.status.value
    s.value.value = "30"
    s.save.click()
    assert "concordant" in s.alert.value and "rk-ko" not in s.alert.value
    assert "Biens détenus au 31/08/2026 (2)" in s.table.value and "329,00 €" in s.table.value
    s.designation.value, s.value.value = "", "1 234,56"
    s.date.value = None
    s.save.click()
    assert "obligatoire" in s.errors["designation"].value and "obligatoire" in s.errors["acquired_on"].value
    assert len(inv.list_goods(books, COOP)) == 2


def test_tab_edit_dispose_undo_delete_and_csv(books):
    g = inv.add_good(books, COOP, GoodDraft("Vidéoprojecteur", date(2025, 11, 5), 123456, quantity=2))
    d, s = open_tab(books)
    assert "1 234,56 €" in s.table.value and "617,28 €" in s.table.value and "05/11/2025" in s.table.value
    s.pick.value = g.id
    s.edit_btn.click()
    assert s.value.value == "1234,56" and s.save.description == "Enregistrer la modification"
    inv.update_good(books, g.id, 1, GoodDraft("Vidéoprojecteur", date(2025, 11, 5), 100000))  # someone else
    s.comment.value = "n° de série 42"
    s.save.click()
    assert "a été modifié" in s.status.value and inv.good(books, g.id).comment == ""
    s.cancel.click()
    s.refresh()
    s.pick.value = g.id
    s.out_date.value, s.out_reason.value = date(2026, 6, 15), "donné"
    s.out_btn.click()
    assert "sorti de l’inventaire le 15/06/2026" in s.lstatus.value, s.lstatus.value
    assert "sorti le 15/06/2026 (donné)" in s.table.value
    s.show_disposed.value = False
    assert "Vidéoprojecteur" not in s.table.value and "Aucun bien" in s.table.value
    s.show_disposed.value = True
    s.del_btn.click()
    [box] = s.confirm.children
    next(w for w in box.children if getattr(w, "description", "") == "Oui, supprimer").click()
    assert "reste au registre" in s.lstatus.value
    s.undo_btn.click()
    assert "de nouveau en service" in s.lstatus.value and not inv.good(books, g.id).disposed
    s.export_btn.click()
    assert "data:text/csv" in s.export_link.value and f"Inventaire_{COOP}_{EX}.csv" in s.export_link.value
    s.pick.value = g.id
    s.del_btn.click()
    [box] = s.confirm.children
    next(w for w in box.children if getattr(w, "description", "") == "Oui, supprimer").click()
    assert "supprimé de l’inventaire" in s.lstatus.value and inv.list_goods(books, COOP) == []


def test_tab_is_read_only_on_a_submitted_exercice(books):
    inv.add_good(books, COOP, tablet())
    books.submit_exercice(COOP, EX, [])
    d, s = open_tab(books, Actor("prof", "mandataire", coop=COOP))
    assert d.banner.value
    for w in (s.save, s.designation, s.value, s.piece, s.date, s.out_btn, s.out_date, s.edit_btn, s.del_btn,
              s.undo_btn):
        assert w.disabled
    assert not s.export_btn.disabled and not s.show_disposed.disabled and not s.pick.disabled
    s.export_btn.click()
    assert "data:text/csv" in s.export_link.value
