"""Year-end continuity (issue 12): bank lines not pointed at 31/08 are carried into the
next exercices' reconciliation until the bank shows them, are pointed when it does —
even once their own exercice is submitted or closed — and no CRF already reported
changes because of it (every CRF is as of its 31/08). The service tests run on the
in-memory fake (``tests/fakes.py``), SQLite and PostgreSQL; the pure rules on plain
records.
"""
from __future__ import annotations

from datetime import date

import pytest

from retkoop_widgets.domain.crf import crf_json
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
from retkoop_widgets.domain.errors import LockedExercice, ValidationError
from retkoop_widgets.domain.exercice import Exercice
from retkoop_widgets.domain.ledger import TreasuryLine, cheque_last_day, review_treasury, stale_cheque_alerts
from retkoop_widgets.services import statement as releve

from conftest import COOP, EX


@pytest.fixture
def books(svc):
    """``conftest.svc``: AD76-0421 with 2025-2026 open, on the fake, SQLite and PostgreSQL."""
    return svc

NEW = "2026-2027"


def cheque(day: date, cents: int, number: str, libelle: str = "Fournitures") -> EntryDraft:
    return EntryDraft(day, libelle, mode="chèque", cheque=number, bank_out=cents, ventilation=(V("6064", cents),))


def receipt(day: date, cents: int, **kw) -> EntryDraft:
    return EntryDraft(day, "Participation des familles", mode="virement", bank_in=cents,
                      ventilation=(V("7560", cents),), **kw)


def pointage(crf) -> dict:
    """What a CRF says about the bank: the figures that must not move once reported."""
    j = crf_json(crf)
    return {"solde_final": j["solde_final"], "rapprochement": j["rapprochement"],
            "alertes": [a for a in j["alertes"] if a["code"] != "date_future"]}


# -- pure rules ----------------------------------------------------------------------------
def test_a_cheque_can_be_cashed_one_year_and_eight_days():
    assert cheque_last_day(date(2026, 8, 25)) == date(2027, 9, 2)
    assert cheque_last_day(date(2024, 2, 21)) == date(2025, 3, 1)  # 8 days on: 29/02/2024, no 29/02/2025
    old = TreasuryLine("045", date(2025, 6, 10), "Sortie", -3000, 0, "1000001", exercice="2024-2025", id=7)
    assert stale_cheque_alerts([old], date(2026, 6, 18)) == []  # its last day
    [alert] = stale_cheque_alerts([old], date(2026, 6, 19))
    assert alert.code == "cheque_perime" and alert.piece == "045" and alert.entry_id == 7
    assert alert.message == (
        "le chèque n° 1000001 du 10/06/2025 n'est plus encaissable depuis le 19/06/2026 : pièce 045 de "
        "l'exercice 2024-2025, 30,00 €, jamais débité. Voyez le bénéficiaire, puis annulez-le par une écriture "
        "de régularisation (le montant revient en banque)")
    # a receipt, or a cheque the bank paid, is not a stale cheque
    assert stale_cheque_alerts([TreasuryLine("046", date(2024, 1, 5), "Don", 3000, 0, "1000009")],
                               date(2026, 6, 19)) == []


def test_the_review_carries_earlier_lines_not_in_the_bank_at_its_end():
    ex = Exercice(COOP, "2025-2026", opening_bank=100000)
    moves = [(date(2025, 10, 1), "001", 1, -2000, 0)]
    own = [TreasuryLine("001", date(2025, 10, 1), "Achat", -2000, 0, id=1)]
    carried = [
        TreasuryLine("045", date(2025, 8, 25), "Sortie", -4500, 0, "1000002", exercice="2024-2025", id=45),
        # cashed during 2025-2026: not outstanding at its end
        TreasuryLine("046", date(2025, 8, 28), "Sortie", -1000, 0, "1000003", True, date(2025, 9, 20),
                     exercice="2024-2025", id=46),
        # cashed after 2025-2026's end: still outstanding on 31/08/2026
        TreasuryLine("047", date(2025, 8, 29), "Sortie", -700, 0, "1000004", True, date(2026, 9, 3),
                     exercice="2024-2025", id=47),
    ]
    r = review_treasury(ex, moves, own, date(2026, 9, 15), carried)
    assert [(e.exercice, e.piece) for e in r.outstanding_previous] == [("2024-2025", "045"), ("2024-2025", "047")]
    assert r.closing_bank == 98000
    # the bank's 31/08 statement: the book, less what it has not paid yet, this year's and earlier ones'
    assert r.statement_balance == 98000 + 2000 + 4500 + 700
    assert r.alerts == ()  # the cheques of late August 2025 can be cashed until early September 2026
    assert review_treasury(ex, moves, own, date(2026, 9, 15)).statement_balance == 98000 + 2000


# -- Books.point on a locked exercice ----------------------------------------------------------
@pytest.mark.parametrize("how", ["submit", "close"])
def test_a_locked_exercices_cheque_is_pointed_after_its_end_and_its_crf_stays(books, clock, how):
    late = books.record_entry(COOP, EX, cheque(date(2026, 8, 25), 4500, "4521045"))
    on_time = books.record_entry(COOP, EX, receipt(date(2026, 8, 3), 5000))
    books.point([on_time.id], date(2026, 8, 31))
    if how == "submit":
        books.submit_exercice(COOP, EX)
    else:
        books.close_exercice(COOP, EX)
    before = pointage(books.crf(COOP, EX))
    assert [e.piece for e in books.crf(COOP, EX).unpointed] == [late.piece]
    state = "soumis (verrouillé)" if how == "submit" else "clos"
    # a statement of 31/08 or before would change the reconciliation that was reported
    with pytest.raises(LockedExercice) as exc:
        books.point([late.id], date(2026, 8, 31))
    assert str(exc.value) == (
        f"L'exercice {EX} est {state} : la pièce {late.piece} de cet exercice ne peut pas être pointée ici : elle "
        "ne peut plus être pointée que sur un relevé daté après le 31/08/2026 (son compte rendu est arrêté au "
        "31/08/2026). Seule l'AD peut le rouvrir.")
    # nor may a line on the 31/08 statement be unticked or moved
    with pytest.raises(LockedExercice, match="elle figure sur le relevé du 31/08/2026, pris en compte"):
        books.point([on_time.id], None, pointed=False)
    with pytest.raises(LockedExercice, match="elle figure sur le relevé du 31/08/2026"):
        books.point([on_time.id], date(2026, 9, 10))
    # the October statement: pointed, audited as a late pointage, the old CRF unchanged
    clock.day = date(2026, 10, 20)
    assert books.point([late.id], date(2026, 10, 14)) == 1
    assert (books.entry(late.id).pointed, books.entry(late.id).statement_date) == (True, date(2026, 10, 14))
    [audit] = [a for a in books.audit_log(COOP) if a["action"] == "point" and a["object"] == f"entry {late.id}"]
    assert audit["exercice"] == EX and audit["after"] == {"pointe": True, "date_releve": "2026-10-14"}
    assert audit["reason"] == (f"pointage après la fin de l'exercice {EX} ({state}) : relevé postérieur au "
                               "31/08/2026, compte rendu inchangé")
    assert pointage(books.crf(COOP, EX)) == before
    # a late pointage can be undone (wrong statement), still without touching the CRF
    assert books.point([late.id], None, pointed=False) == 1
    assert pointage(books.crf(COOP, EX)) == before
    # the statement-date rules of an import hold there too
    with pytest.raises(ValidationError, match="le relevé du 21/10/2026 est daté dans le futur"):
        books.point([late.id], date(2026, 10, 21))


def test_an_entry_typed_as_pointed_on_a_future_statement_is_refused(books):
    """``prepare`` gives ``build_entry`` today's date (h4 wiring item 3)."""
    with pytest.raises(ValidationError, match="le relevé du 31/12/2026 est daté dans le futur"):
        books.record_entry(COOP, EX, receipt(date(2026, 8, 3), 5000, pointed=True,
                                             statement_date=date(2026, 12, 31)))


# -- the next year's reconciliation -------------------------------------------------------------
def test_the_new_years_crf_lists_what_is_outstanding_from_earlier_years_with_its_year(books, clock):
    old = books.record_entry(COOP, EX, cheque(date(2026, 8, 25), 4500, "4521045"))
    books.close_exercice(COOP, EX)
    mine = books.record_entry(COOP, NEW, receipt(date(2026, 9, 4), 2000))
    crf = books.crf(COOP, NEW)
    assert [(e.exercice, e.piece, e.date, e.bank, e.cheque) for e in crf.outstanding_previous] == [
        (EX, old.piece, date(2026, 8, 25), -4500, "4521045")]
    assert [e.piece for e in crf.unpointed] == [mine.piece]
    assert crf.statement_balance == crf.closing_bank - 2000 + 4500
    assert crf_json(crf)["rapprochement"]["non_pointees_exercices_anterieurs"] == [
        {"exercice": EX, "piece": old.piece, "date": "2026-08-25", "libelle": "Fournitures", "cheque": "4521045",
         "montant": "-45.00"}]
    # pointed on the October statement: no longer outstanding in 2026-2027
    clock.day = date(2026, 10, 20)
    books.point([old.id], date(2026, 10, 14))
    crf = books.crf(COOP, NEW)
    assert crf.outstanding_previous == () and crf.statement_balance == crf.closing_bank - 2000
    # the AD's batch read says the same
    many = books.crfs([(COOP, EX), (COOP, NEW)])
    assert crf_json(many[(COOP, NEW)]) == crf_json(crf)
    assert crf_json(many[(COOP, EX)]) == crf_json(books.crf(COOP, EX))


def test_a_pointage_session_of_the_new_year_gets_the_carried_lines(books, clock):
    """``pointage.carried_lines``: last year's lines the bank had not paid when the new
    exercice opened, to tick in its pointage session, and the pointed balance with them."""
    from retkoop_widgets.domain.statement import book_pointed_balance
    from retkoop_widgets.services.pointage import carried_lines
    old = books.record_entry(COOP, EX, cheque(date(2026, 8, 25), 4500, "4521045"))
    paid = books.record_entry(COOP, EX, receipt(date(2026, 8, 3), 5000))
    books.point([paid.id], date(2026, 8, 31))
    books.submit_exercice(COOP, EX)
    books.open_exercice(COOP, NEW, 184237 + 5000 - 4500, 6350)
    [line] = carried_lines(books, COOP, NEW)
    assert (line.id, line.exercice, line.piece, line.bank, line.pointed) == (old.id, EX, old.piece, -4500, False)
    opening = books.exercice(COOP, NEW).opening_bank
    # the bank on 10/09: the opening balance, less the cheque it has not paid yet
    assert book_pointed_balance(opening, books.entries(COOP, NEW), date(2026, 9, 10), carried=[line]) == 184237 + 5000
    clock.day = date(2026, 10, 20)
    books.point([line.id], date(2026, 10, 14))  # ticked in the session of 2026-2027
    [line] = carried_lines(books, COOP, NEW)
    assert line.pointed and line.statement_date == date(2026, 10, 14)
    assert book_pointed_balance(opening, [], date(2026, 10, 14), carried=[line]) == opening


# -- three consecutive exercices, end to end ---------------------------------------------------
THREE = "AD76-0500"


def test_three_consecutive_exercices_carry_point_late_and_keep_every_crf(books, clock):
    books.add_coop(THREE, "École du Port", "AD76")
    clock.day = date(2024, 9, 20)
    books.open_exercice(THREE, "2024-2025", 100000, 0)
    gift = books.record_entry(THREE, "2024-2025", receipt(date(2024, 9, 10), 50000))
    clock.day = date(2024, 10, 5)
    books.point([gift.id], date(2024, 9, 30))
    clock.day = date(2025, 8, 29)
    lost = books.record_entry(THREE, "2024-2025", cheque(date(2025, 6, 10), 3000, "1000001", "Cadeau"))
    sept = books.record_entry(THREE, "2024-2025", cheque(date(2025, 8, 28), 4000, "1000002", "Car"))
    clock.day = date(2025, 9, 2)
    books.close_exercice(THREE, "2024-2025")  # carries 1 430,00 € (the two cheques are spent in the book)
    assert books.exercice(THREE, "2025-2026").opening_bank == 100000 + 50000 - 3000 - 4000
    crf1 = pointage(books.crf(THREE, "2024-2025"))
    assert crf1["rapprochement"]["solde_releve"] == "1500.00"
    # 2025-2026: last year's September cheque pointed on this year's statement; an August cheque
    clock.day = date(2025, 9, 20)
    books.point([sept.id], date(2025, 9, 5))
    clock.day = date(2026, 8, 26)
    august = books.record_entry(THREE, "2025-2026", cheque(date(2026, 8, 25), 4500, "1000003", "Sortie"))
    clock.day = date(2026, 9, 2)
    crf2_open = books.crf(THREE, "2025-2026")
    assert [(e.exercice, e.piece) for e in crf2_open.outstanding_previous] == [("2024-2025", lost.piece)]
    assert crf2_open.statement_balance == crf2_open.closing_bank + 4500 + 3000 == 146000  # 1 500 € − the 40 €
    assert [a.message for a in crf2_open.alerts if a.code == "cheque_perime"] == [
        f"le chèque n° 1000001 du 10/06/2025 n'est plus encaissable depuis le 19/06/2026 : pièce {lost.piece} de "
        "l'exercice 2024-2025, 30,00 €, jamais débité. Voyez le bénéficiaire, puis annulez-le par une écriture de "
        "régularisation (le montant revient en banque)"]
    books.close_exercice(THREE, "2025-2026")
    crf2 = pointage(books.crf(THREE, "2025-2026"))
    assert crf2 == pointage(crf2_open) and pointage(books.crf(THREE, "2024-2025")) == crf1
    # 2026-2027: the October statement shows the August cheque
    clock.day = date(2026, 10, 20)
    statement = ("Date;Libellé;Montant\n12/10/2026;CHEQUE N° 1000003;-45,00\n"
                 "Solde au 12/10/2026;;1 415,00\n").encode("utf-8")
    m = releve.propose(books, THREE, NEW, statement)
    assert [(p.entry.id, p.exercice) for p in m.pointable] == [(august.id, "2025-2026")]
    # the bank's balance agrees with the book once the 2024-2025 cheque never cashed is counted
    assert [(c.book_cents, c.gap) for c in m.checks] == [(141500, 0)]
    assert releve.apply(books, THREE, NEW, [p.entry.id for p in m.pointable], m.last_date) == 1
    assert books.entry(august.id).statement_date == date(2026, 10, 12)
    # every reported CRF is unchanged; the new year still carries the stale 2024-2025 cheque
    assert pointage(books.crf(THREE, "2024-2025")) == crf1
    assert pointage(books.crf(THREE, "2025-2026")) == crf2
    crf3 = books.crf(THREE, NEW)
    assert [(e.exercice, e.piece, e.bank) for e in crf3.outstanding_previous] == [("2024-2025", lost.piece, -3000)]
    assert crf3.closing_bank == 100000 + 50000 - 3000 - 4000 - 4500
    assert crf3.statement_balance == crf3.closing_bank + 3000 == 141500  # the bank: 1 500 € − 40 € − 45 €
    assert [a.code for a in crf3.alerts] == ["cheque_perime"]
    # each CRF compares with the year before it (the first has none)
    assert books.crf(THREE, "2024-2025").previous is None
    assert books.crf(THREE, "2025-2026").previous.name == "2024-2025"
    assert (crf3.previous.name, crf3.previous.total_charges) == ("2025-2026", 4500)


def test_the_releve_takes_the_exercice_name_as_typed(books, clock):
    """``2026/2027`` as typed reaches the same exercice and its previous one."""
    old = books.record_entry(COOP, EX, cheque(date(2026, 8, 25), 4500, "4521045"))
    books.close_exercice(COOP, EX)
    clock.day = date(2026, 10, 20)
    data = "Date;Libellé;Montant\n12/10/2026;CHEQUE N° 4521045;-45,00\n".encode("utf-8")
    m = releve.propose(books, COOP, "2026/2027", data)
    assert [(p.entry.id, p.exercice) for p in m.pointable] == [(old.id, EX)]
    assert releve.apply(books, COOP, "2026/2027", [old.id], m.last_date) == 1


def test_a_cheque_from_two_exercices_back_is_recognised_and_pointed(books, clock):
    """A cheque of 25/08/2025 may be cashed until 02/09/2026: on a statement imported in
    2026-2027 it is 2024-2025's line, named by its year, pointed there (closed), and the
    CRFs that carried it do not change."""
    books.add_coop(THREE, "École du Port", "AD76")
    clock.day = date(2025, 8, 26)
    books.open_exercice(THREE, "2024-2025", 100000, 0)
    old = books.record_entry(THREE, "2024-2025", cheque(date(2025, 8, 25), 6000, "2000001", "Voyage"))
    clock.day = date(2025, 9, 1)
    books.close_exercice(THREE, "2024-2025")
    clock.day = date(2026, 9, 1)
    books.close_exercice(THREE, "2025-2026")
    before = {x: pointage(books.crf(THREE, x)) for x in ("2024-2025", "2025-2026")}
    assert [(e.exercice, e.id) for e in books.crf(THREE, "2025-2026").outstanding_previous] == [("2024-2025", old.id)]
    clock.day = date(2026, 9, 10)
    data = "Date;Libellé;Montant\n01/09/2026;CHQ 2000001;-60,00\n02/09/2026;FRAIS;-1,00\n".encode("utf-8")
    m = releve.propose(books, THREE, NEW, data)
    [p] = m.earlier_pairs
    assert (p.entry.id, p.exercice, p.locked) == (old.id, "2024-2025", False)
    assert p.reason == f"pièce {old.piece} de l'exercice 2024-2025, non pointée au 31/08 (chèque n° 2000001)"
    assert [x.entry.id for x in m.pointable] == [old.id]
    with pytest.raises(ValidationError, match=f"la pièce {old.piece} est au cahier de l'exercice 2024-2025, clos : "
                                              "elle ne peut plus y être pointée sur un relevé du 31/08/2025"):
        releve.apply(books, THREE, NEW, [old.id], date(2025, 8, 31))
    assert releve.apply(books, THREE, NEW, [old.id], m.last_date) == 1
    assert books.entry(old.id).statement_date == date(2026, 9, 2)
    assert {x: pointage(books.crf(THREE, x)) for x in before} == before
    assert books.crf(THREE, NEW).outstanding_previous == ()


def test_the_crf_block_3_lists_earlier_years_lines_and_adds_up(books, clock):
    """The printed reconciliation (block 3) lists the carried cheque with its year, and its
    rows, total and « solde attendu » agree: book − recettes + dépenses = expected statement."""
    import re
    from retkoop_widgets.reports.views import reconciliation_html
    old = books.record_entry(COOP, EX, cheque(date(2026, 8, 25), 4500, "4521045"))
    books.close_exercice(COOP, EX)
    books.record_entry(COOP, NEW, receipt(date(2026, 9, 4), 2000))
    crf = books.crf(COOP, NEW)
    html = reconciliation_html(crf)
    assert f"<td>{old.piece}</td>" in html and f"(exercice {EX})" in html and "chèque n° 4521045" in html

    def cents(label):
        m = re.search(label + r'.*?<td class="n">([^<]+)</td>', html, re.S)
        return round(float(m.group(1).replace("\u202f", "").replace(" ", "").replace(",", ".")) * 100)
    assert cents("− recettes non pointées") == 2000 and cents(r"\+ dépenses non pointées") == 4500
    assert crf.closing_bank - 2000 + 4500 == crf.statement_balance == cents("= Solde attendu")


# -- the previous year's figures beside this year's ---------------------------------------------
def test_each_crf_shows_the_previous_exercices_figures_per_rubric(books, clock):
    """Block 1 of the CRF (and its JSON) carries the previous exercice's charges and
    produits per rubric, classified with this year's chart; the first year has none; the
    PDF's HTML and the dashboard's live CRF show the same column."""
    import re
    from retkoop_widgets.reports.views import accounts_html
    from retkoop_widgets.widgets.common import Context
    from retkoop_widgets.widgets.summary import summary_html
    books.add_coop(THREE, "École du Port", "AD76")
    clock.day = date(2025, 8, 20)
    books.open_exercice(THREE, "2024-2025", 100000, 0)
    books.record_entry(THREE, "2024-2025", receipt(date(2024, 9, 10), 50000))
    books.record_entry(THREE, "2024-2025", cheque(date(2025, 6, 10), 3000, "1000001", "Crayons"))
    books.record_entry(THREE, "2024-2025", EntryDraft(date(2025, 6, 12), "Cotisation", mode="virement",
                                                      bank_out=12000, ventilation=(V("6281", 12000),)))
    clock.day = date(2025, 9, 2)
    books.close_exercice(THREE, "2024-2025")
    books.record_entry(THREE, "2025-2026", receipt(date(2025, 9, 12), 20000))
    books.record_entry(THREE, "2025-2026", cheque(date(2025, 9, 14), 700, "1000002", "Colle"))
    first, second = books.crf(THREE, "2024-2025"), books.crf(THREE, "2025/2026")  # as typed
    assert first.previous is None and crf_json(first)["exercice_precedent"] is None
    p = second.previous
    assert p.name == "2024-2025" and (p.total_produits, p.total_charges, p.result) == (50000, 15000, 35000)
    # 6064 is « Activités éducatives », 6281 « Cotisations et assurance OCCE » (used last year only)
    assert second.compared_rubrics("charges") == [("Activités éducatives", 700, 3000),
                                                  ("Cotisations et assurance OCCE", 0, 12000)]
    assert second.compared_rubrics("produits") == [("Participation des familles", 20000, 50000)]
    assert first.compared_rubrics("produits") == [("Participation des familles", 50000, None)]
    assert crf_json(second)["exercice_precedent"] == {
        "exercice": "2024-2025",
        "rubriques": {"charges": [{"rubrique": "Activités éducatives", "montant": "30.00"},
                                  {"rubrique": "Cotisations et assurance OCCE", "montant": "120.00"}],
                      "produits": [{"rubrique": "Participation des familles", "montant": "500.00"}]},
        "total_charges": "150.00", "total_produits": "500.00", "resultat": "350.00"}
    # the batch read (the AD's overview) says the same
    assert crf_json(books.crfs([(THREE, "2025/2026")])[(THREE, "2025/2026")]) == crf_json(second)
    # the printed block 1: a column named for each year, the previous total beside this one's
    html = accounts_html(second)
    assert '<th class="n">2025-2026 (€)</th><th class="n prev">2024-2025 (€)</th>' in html
    assert re.search(r'Total des charges</td><td class="n">7,00</td><td class="n prev">150,00</td>', html)
    assert re.search(r'Total des produits</td><td class="n">200,00</td><td class="n prev">500,00</td>', html)
    assert "Exercice précédent 2024-2025" in html and "350,00 €" in html
    assert re.search(r'Cotisations et assurance OCCE</td><td class="n">—</td><td class="n prev">120,00</td>', html)
    assert "prev" not in accounts_html(first).replace("Première année", "")
    # the dashboard's live CRF: the same previous figures
    live = Context(books, THREE, "2025-2026").crf()
    assert live.previous == p
    shown = summary_html(live)
    assert "Exercice précédent 2024-2025" in shown and "350,00 €" in shown
    assert "<th class='n rk-prev'>2024-2025</th>" in shown
