"""Pure rules: chart of accounts, exercices, numbering, entries, cash counts, CRF invariant."""
from datetime import date

import pytest

from retkoop_widgets.domain import numbering
from retkoop_widgets.domain.cash import DENOMINATIONS, NOTES, COINS, make_count
from retkoop_widgets.domain.chart import default_chart, occe_code, parse_chart_csv
from retkoop_widgets.domain.crf import check_invariant, compute_crf
from retkoop_widgets.domain.entry import Entry, EntryDraft, Posting, VentilationLine as V, build_entry
from retkoop_widgets.domain.errors import InvariantBreach, LockedExercice, ValidationError
from retkoop_widgets.domain.exercice import Exercice, name_for, next_name, parse_name

CHART = default_chart()


def test_chart_has_both_code_forms_and_classes():
    assert occe_code("6281") == "62810008" and occe_code("61681") == "61681008" and occe_code("68") == "68000008"
    assert CHART.lookup("62810008") is CHART.lookup("6281")
    assert CHART.lookup("512").classe == "tresorerie"
    assert {a.code for a in CHART.search("cotis")} == {"6281"}
    assert all(a.code.startswith("7") for a in CHART.of_class("produit"))
    with pytest.raises(ValidationError, match="compte « 9999 » inconnu"):
        CHART.lookup("9999")


def test_chart_loader_reports_every_bad_line():
    text = ("code;code_occe;libelle;classe;rubrique\n512;;Banque;tresorerie;T\n530;;Caisse;tresorerie;T\n"
            "6281;;Cotisation;charge;C\n7560;;Familles;charge;X\nabc;;Bad;produit;Y\n6281;;Doublon;charge;C\n")
    with pytest.raises(ValidationError) as err:
        parse_chart_csv(text, "plan.csv")
    msgs = [str(p) for p in err.value.problems]
    assert msgs == ["plan.csv, ligne 5 : le compte 7560 ne peut pas être de classe charge (les charges commencent par 6, les produits par 7)",
                    "plan.csv, ligne 6 : code « abc » : un code de compte ne contient que des chiffres",
                    "plan.csv, ligne 7 : compte 6281 déjà défini ligne 4"]
    with pytest.raises(ValidationError, match="colonnes manquantes : classe"):
        parse_chart_csv("code;libelle;rubrique\n", "x")


def test_exercice_names_and_states():
    assert parse_name("2025-2026") == (date(2025, 9, 1), date(2026, 8, 31))
    assert name_for(date(2025, 8, 31)) == "2024-2025" and name_for(date(2025, 9, 1)) == "2025-2026"
    assert next_name("2025-2026") == "2026-2027"
    for bad in ("2025-2027", "2025", "25-26", ""):
        with pytest.raises(ValidationError, match="exercice"):
            parse_name(bad)
    ex = Exercice("C", "2025-2026")
    locked = ex.to("soumis")
    with pytest.raises(LockedExercice, match="Seule l'AD peut le rouvrir"):
        locked.require_writable()
    assert locked.to("rouvert").writable
    with pytest.raises(ValidationError, match="impossible"):
        ex.to("rouvert")
    with pytest.raises(ValidationError):
        locked.to("clos").to("ouvert")


def test_piece_numbering():
    assert numbering.next_piece([]) == "001"
    assert numbering.next_piece(["001", "009", "010"]) == "011"
    assert numbering.next_piece(["R001", "D004", "R002"], "D") == "D005"
    assert numbering.next_piece(["0999"]) == "1000"
    alloc = numbering.PieceAllocator(["R001"])
    assert alloc.next("R") == "R002" and "R001" in alloc
    alloc.add("R002")
    assert alloc.next("R") == "R003"
    assert numbering.next_cheque(["0012", "0013", "x"]) == "0014"
    assert sorted(["D10", "D2", "D1"], key=numbering.sort_key) == ["D1", "D2", "D10"]


def test_entry_postings_balance_and_project_back():
    draft = EntryDraft(date(2025, 10, 3), "Facture OCCE", piece="002", mode="chèque", cheque="1", bank_out=17450,
                       ventilation=(V("6281", 15000), V("61681008", 1500), V("6181", 950, "A&E")))
    e = build_entry(draft, CHART, start=date(2025, 9, 1), end=date(2026, 8, 31))
    assert e.postings == (Posting("512", -17450), Posting("6281", 15000), Posting("61681", 1500),
                          Posting("6181", 950, "A&E"))
    assert (e.kind, e.amount, e.bank_out) == ("depense", 17450, 17450)
    back = e.to_draft()
    assert back.ventilation == (V("6281", 15000), V("61681", 1500), V("6181", 950, "A&E"))
    transfer = build_entry(EntryDraft(date(2025, 10, 3), "Remise", piece="3", bank_in=500, cash_out=500), CHART)
    assert transfer.kind == "transfert" and transfer.amount == 500 and transfer.ventilation == ()
    mixed = build_entry(EntryDraft(date(2025, 10, 3), "Kermesse", piece="4", bank_in=500, cash_in=300,
                                   ventilation=(V("7080", 800),)), CHART)
    assert mixed.kind == "recette" and mixed.amount == 800
    with pytest.raises(InvariantBreach):
        Entry("x", date(2025, 10, 3), "bad", (Posting("512", 100), Posting("7560", -99)))


def test_entry_refusals_are_all_reported_at_once():
    draft = EntryDraft(None, "", piece="", mode="chèque", cheque="12a", cash_in=100, ventilation=(V("6281", 100),))
    with pytest.raises(ValidationError) as err:
        build_entry(draft, CHART)
    fields = set(err.value.fields)
    assert {"libelle", "piece", "date", "cheque", "mode", "ventilation"} <= fields


def test_cash_count_denominations():
    assert len(NOTES) == 7 and len(COINS) == 8 and len(DENOMINATIONS) == 15
    c = make_count(date(2026, 8, 31), {50000: 0, 2000: 2, 1: 3}, book_balance=4000)
    assert (c.total, c.gap, c.verdict()) == (4003, 3, "Écart de 0,03 € (excédent)")
    assert make_count(date(2026, 8, 31), {500: 2}, 1000).verdict() == "Caisse juste"
    with pytest.raises(ValidationError, match="entier positif"):
        make_count(date(2026, 8, 31), {500: -1}, 0)


def test_crf_invariant_breach_raises():
    ex = Exercice("C", "2025-2026", 1000, 0)
    e = build_entry(EntryDraft(date(2025, 10, 3), "Don", piece="1", bank_in=500, ventilation=(V("7580", 500),)), CHART)
    crf = compute_crf(ex, [e], CHART, today=date(2026, 1, 1))
    assert crf.result == 500 and crf.closing_total == 1500
    from dataclasses import replace
    with pytest.raises(InvariantBreach):
        check_invariant(replace(crf, closing_bank=crf.closing_bank + 1))


def test_actor_reach():
    from retkoop_widgets.domain.actor import Actor
    teacher = Actor("prof", "mandataire", coop="AD76-0421")
    assert teacher.may_write("AD76-0421", "AD76") and not teacher.may_read("AD76-0102", "AD76")
    ad76 = Actor("ad76", "admin-ad", ad="AD76")
    assert ad76.may_write("AD76-0102", "AD76") and not ad76.may_read("AD27-0101", "AD27")
    assert not Actor("lost", "admin-ad").may_read("AD76-0102", "AD76")  # no AD: nothing, not everything
    assert Actor("stat", "analyste", ad="AD27").may_read("AD27-0101", "AD27")
    assert not Actor("stat", "analyste", ad="AD27").may_write("AD27-0101", "AD27")
    assert not Actor("stat", "analyste", ad="AD27").may_read("AD76-0421", "AD76")
    assert not Actor("stat", "analyste").may_read("AD27-0101", "AD27")  # no AD: nothing (fail closed)
    assert Actor("stat", "analyste", national=True).may_read("AD27-0101", "AD27")
    trainer = Actor("form", "formateur")
    assert trainer.may_write("FORM-1", "AD76", training=True) and not trainer.may_read("AD76-0421", "AD76")


def test_a_location_reads_as_french_and_keeps_its_parts():
    from retkoop_widgets.domain.errors import Location, Problem, line_of
    where = Location(14, column="G", sheet="Cahier", piece="D014")
    assert where == "feuille Cahier, ligne 14, colonne G (pièce D014)"
    assert (where.line, where.column, where.sheet, where.piece) == (14, "G", "Cahier", "D014")
    assert str(Problem("montant illisible", "montant", where)) == \
        "feuille Cahier, ligne 14, colonne G (pièce D014) : montant illisible"
    assert line_of(where) == 14 and line_of(Location(7, piece="R1")) == 7 and line_of("") == 0
    # the line comes from the location's parts, never from its phrase parsed back
    assert line_of("ligne 7 (pièce R1)") == 0
    assert Location(1, note="en-tête") == "ligne 1 (en-tête)" and Location(1, note="en-tête").line == 1
    import pickle
    assert pickle.loads(pickle.dumps(where)).line == 14
    assert pickle.loads(pickle.dumps(Location(3, note="en-tête"))) == "ligne 3 (en-tête)"
