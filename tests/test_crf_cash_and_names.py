"""Issue 12, small items: the CRF's cash-count gap is against the book at the count's date
as the books stand NOW (an entry dated before the count but saved after it counts), in
the CRF record, its alerts, its JSON and the dashboard's live CRF — not only in the PDF;
and every entry point takes an exercice name as typed (``2025/2026``): ``Books.crfs``,
``exercice_dates``, ``inventory.list_goods``, the submission's reopening record.
On the fake, SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date

from retkoop_widgets.domain.crf import crf_json
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
from retkoop_widgets.domain.inventory import GoodDraft
from retkoop_widgets.services import inventory as inv

from conftest import COOP, EX

TYPED = "2025/2026"


def test_the_cash_gap_is_against_the_book_now(svc):
    books = svc
    books.record_cash_count(COOP, EX, date(2025, 10, 1), {5000: 1, 1000: 1, 200: 1, 100: 1, 50: 1})  # 63,50 €
    crf = books.crf(COOP, EX)
    assert crf.cash_gap == 0 and not [a for a in crf.alerts if a.code == "ecart_caisse"]
    # a cash expense of 30/09, typed after the count: the count no longer matches the book
    books.record_entry(COOP, EX, EntryDraft(date(2025, 9, 30), "Timbres", mode="espèces", cash_out=350,
                                            ventilation=(V("6064", 350),)))
    crf = books.crf(COOP, EX)
    assert crf.cash_count.book_balance == 6350  # what the book said when the count was recorded
    assert crf.cash_count_book == 6000 and crf.cash_gap == 350
    [alert] = [a.message for a in crf.alerts if a.code == "ecart_caisse"]
    assert alert == "arrêté de caisse du 01/10/2025 : écart de 3,50 € (excédent)"
    j = crf_json(crf)["arrete_de_caisse"]
    assert (j["ecart"], j["solde_theorique"], j["solde_theorique_enregistre"]) == ("3.50", "60.00", "63.50")
    # an entry dated after the count changes nothing
    books.record_entry(COOP, EX, EntryDraft(date(2025, 10, 2), "Colle", mode="espèces", cash_out=100,
                                            ventilation=(V("6064", 100),)))
    assert books.crf(COOP, EX).cash_gap == 350
    assert crf_json(books.crfs([(COOP, EX)])[(COOP, EX)]) == crf_json(books.crf(COOP, EX))


def test_the_dashboards_live_crf_has_the_same_gap(books):
    from retkoop_widgets.widgets.common import Context
    books.record_cash_count(COOP, EX, date(2025, 10, 1), {5000: 1, 1000: 1, 200: 1, 100: 1, 50: 1})
    books.record_entry(COOP, EX, EntryDraft(date(2025, 9, 30), "Timbres", mode="espèces", cash_out=350,
                                            ventilation=(V("6064", 350),)))
    live = Context(books, COOP, EX).crf()
    assert live.cash_gap == 350 and crf_json(live)["arrete_de_caisse"] == crf_json(books.crf(COOP, EX))[
        "arrete_de_caisse"]
    assert [a.message for a in live.alerts if a.code == "ecart_caisse"] == [
        "arrêté de caisse du 01/10/2025 : écart de 3,50 € (excédent)"]


def test_every_entry_point_takes_the_name_as_typed(svc):
    books = svc
    e = books.record_entry(COOP, EX, EntryDraft(date(2025, 10, 2), "Tablette", mode="virement", bank_out=29900,
                                                ventilation=(V("68", 29900),)))
    crfs = books.crfs([(COOP, TYPED), (COOP, EX)])
    assert set(crfs) == {(COOP, TYPED), (COOP, EX)} and crf_json(crfs[(COOP, TYPED)]) == crf_json(crfs[(COOP, EX)])
    assert books.exercice_dates([(COOP, TYPED)]) == {(COOP, TYPED): books.exercice_dates([(COOP, EX)])[(COOP, EX)]}
    assert books.exercice_dates([(COOP, "pas un exercice")]) == {}
    inv.add_good(books, COOP, GoodDraft("Tablette", date(2025, 10, 2), 29900, entry_id=e.id))
    assert [g.designation for g in inv.list_goods(books, COOP, TYPED)] == ["Tablette"]
    assert inv.list_goods(books, COOP, TYPED) == inv.list_goods(books, COOP, EX)


def test_the_reopening_is_found_with_the_name_as_typed(svc):
    from retkoop_widgets.services.submission import submission_info
    books = svc
    books.submit_exercice(COOP, EX)
    books.reopen_exercice(COOP, EX, "erreur de ventilation")
    assert submission_info(books, COOP, TYPED).reopen_reason == "erreur de ventilation"
