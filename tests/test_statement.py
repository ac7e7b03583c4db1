"""Bank statement import: the CSV parser (every accepted form, every refusal located and in
French), the matching rules (cheque number, closest date, one-to-one, ignored sweep lines,
exact amounts only), the service on SQLite and PostgreSQL, and the Cahier's "Relevé
bancaire" panel driven without a browser."""
from __future__ import annotations

import codecs
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from importlib import resources

import ipywidgets as W
import pytest
from hypothesis import given, settings, strategies as st

from retkoop_widgets.domain.actor import Actor
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine
from retkoop_widgets.domain.errors import Forbidden, LockedExercice, ValidationError
from retkoop_widgets.domain.exercice import CLOSED, SUBMITTED, Exercice
from retkoop_widgets.domain.statement import (CHEQUE_LATE_DAYS, EARLY_DAYS, HINT_CREDIT, HINT_DEBIT, LATE_DAYS,
                                              StatementLine, cheque_numbers, match)
from retkoop_widgets.io.statement import parse_statement
from retkoop_widgets.services import statement as svc
from retkoop_widgets.widgets.app import Dashboard
from tests.conftest import COOP, EX


def problems_of(data) -> list[str]:
    with pytest.raises(ValidationError) as exc:
        parse_statement(data)
    return [str(p) for p in exc.value.problems]


# -- parser ------------------------------------------------------------------------------
def test_semicolon_montant_utf8_bom_crlf_signed_amounts():
    text = ("\ufeffDate;Libellé;Montant\r\n"
            "08/07/2026;CHEQUE N° 4521010;-63,50\r\n"
            "01/07/2026;INTERETS CREDITEURS;+4,12\r\n"
            "02/07/2026;VIR SEPA MAIRIE;\u00a01\u202f234,56 €\r\n")
    st_ = parse_statement(text.encode("utf-8"))
    assert st_.delimiter == ";" and st_.encoding == "utf-8" and st_.header_line == 1
    assert [(ln.line_no, ln.date, ln.libelle, ln.amount_cents) for ln in st_.lines] == [
        (2, date(2026, 7, 8), "CHEQUE N° 4521010", -6350),
        (3, date(2026, 7, 1), "INTERETS CREDITEURS", 412),
        (4, date(2026, 7, 2), "VIR SEPA MAIRIE", 123456)]
    assert (st_.credits, st_.debits) == (123868, 6350)
    assert st_.last_date == date(2026, 7, 8) and st_.first_date == date(2026, 7, 1)  # newest line is not last


def test_cp1252_preamble_debit_credit_and_operation_date_preferred():
    text = ("Relevé de compte;;;;\n"
            "Compte n° 0421076X020;;;;\n"
            "Date;31/08/2026;;;\n"  # names a date but no other column: still preamble
            "Période du 01/07/2026 au 31/08/2026;;;;\n"
            "\n"
            "Date de valeur;Date opération;Libellé opération;Débit;Crédit;Solde\n"
            "10/07/2026;08/07/2026;Chèque n° 4521010;63,50;;1 000,00\n"
            "02/07/2026;01/07/2026;Intérêts créditeurs;;4,12;1 063,50\n"
            "16/07/2026;15/07/2026;Frais envoi chéquier;-4,80;0,00;1 058,70\n")
    raw = text.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    st_ = parse_statement(raw)
    assert st_.encoding == "windows-1252" and st_.header_line == 6
    assert [(ln.line_no, ln.date, ln.libelle, ln.amount_cents) for ln in st_.lines] == [
        (7, date(2026, 7, 8), "Chèque n° 4521010", -6350),
        (8, date(2026, 7, 1), "Intérêts créditeurs", 412),
        (9, date(2026, 7, 15), "Frais envoi chéquier", -480)]


def test_value_date_is_read_when_it_is_the_only_date():
    st_ = parse_statement("DATE DE VALEUR;LIBELLE;MONTANT\n09/07/2026;CB LECLERC;-145,30\n")
    assert st_.lines[0].date == date(2026, 7, 9) and st_.lines[0].amount_cents == -14530


def test_tab_separator_short_year_iso_and_dot_decimals():
    text = "Date\tDétail\tMontant\n08/07/26\tPRLV FREE\t-29.99\n2026-07-09\tVIR RECU\t1 500\n"
    st_ = parse_statement(text)
    assert st_.delimiter == "\t"
    assert [(ln.date, ln.amount_cents) for ln in st_.lines] == [(date(2026, 7, 8), -2999), (date(2026, 7, 9), 150000)]


def test_comma_separator_with_quoted_french_amounts():
    text = 'date,libelle,montant\n"08/07/2026","CHQ 4521010","-63,50"\n"09/07/2026","REMISE CHQ, 3 cheques","1 234,56"\n'
    st_ = parse_statement(text)
    assert st_.delimiter == ","
    assert [ln.amount_cents for ln in st_.lines] == [-6350, 123456]
    assert st_.lines[1].libelle == "REMISE CHQ, 3 cheques"


def test_several_libelle_columns_continuation_rows_and_balance_rows():
    text = ("Date;Libellé;Détail de l'écriture;Catégorie;Montant\n"
            "08/07/2026;CHEQUE;CHEQUE N° 4521010;Dépenses;-63,50\n"
            ";suite du libellé;;;\n"
            "Date;Libellé;Détail de l'écriture;Catégorie;Montant\n"  # the header again (a new page)
            "09/07/2026;PRLV;PRLV;;-12,00\n"
            "Solde au 31/08/2026;;;;1 234,56\n"
            "Total des opérations;;;;-75,50\n")
    st_ = parse_statement(text)
    assert [ln.libelle for ln in st_.lines] == ["CHEQUE — CHEQUE N° 4521010 suite du libellé", "PRLV"]
    assert [ln.line_no for ln in st_.lines] == [2, 5]


def test_every_problem_at_once_with_its_line_in_french():
    text = ("Compte 0421;\n"
            "Date;Libellé;Montant\n"
            "31/02/2026;date inexistante;-1,00\n"
            "08/07/2026;trois décimales;12,345\n"
            "09/07/2026;vide;\n"
            "10/07/2026;nul;0,00\n"
            "demain;pas une date;-5,00\n"
            ";sans date;-5,00\n"
            "11/07/2026;ambigu;1,234.56\n"
            "12/07/2026;correct;-1,00\n")
    msgs = problems_of(text)
    assert msgs == [
        "ligne 3 : date « 31/02/2026 » illisible ou inexistante (attendu jj/mm/aaaa, ex. 08/07/2026)",
        "ligne 4 : Montant : « 12,345 » a plus de deux décimales (les montants sont au centime)",
        "ligne 5 : le montant est vide",
        "ligne 6 : montant « 0,00 » nul : une opération du relevé a un montant",
        "ligne 7 : date « demain » illisible ou inexistante (attendu jj/mm/aaaa, ex. 08/07/2026)",
        "ligne 8 : la date est vide (attendu jj/mm/aaaa)",
        "ligne 9 : Montant : « 1,234.56 » est ambigu — utilisez la virgule pour les centimes (ex. 1 234,56)",
    ]


def test_debit_credit_problems_and_unquoted_decimal_comma_in_a_comma_file():
    msgs = problems_of("Date;Libellé;Débit;Crédit\n01/07/2026;deux;1,00;2,00\n02/07/2026;aucun;;\n"
                       "03/07/2026;crédit négatif;;-3,00\n")
    assert msgs == ["ligne 2 : débit (1,00) et crédit (2,00) remplis sur la même ligne : une opération est l'un ou l'autre",
                    "ligne 3 : ni débit ni crédit sur cette ligne",
                    "ligne 4 : Crédit « -3,00 » négatif : une sortie d'argent va dans la colonne Débit"]
    [msg] = problems_of("Date,Libellé,Montant\n08/07/2026,CHQ 1,-63,50\n")
    assert msg.startswith("ligne 2 : 4 cellules pour 3 colonnes") and "virgule décimale" in msg


@pytest.mark.parametrize("data, expected", [
    (b"", "est vide"),
    (b"Libell\xc3\xa9;Montant\nabc;1,00\n", "aucune ligne d'en-tête trouvée"),
    (b"PK\x03\x04rest-of-a-zip", "classeur"),
    (b"%PDF-1.4\n", "PDF"),
    ("Date;Montant\n08/07/2026;-1,00\n", "ligne 1 (en-tête) : pas de colonne Libellé"),
    ("Date;Libellé;Débit\n08/07/2026;x;1,00\n", "ligne 1 (en-tête) : une colonne Débit mais pas de colonne Crédit"),
    ("Date;Libellé;Montant\n", "aucune opération après la ligne d'en-tête (ligne 1)"),
    (b"Date;Libell\x81;Montant\n", "ni en UTF-8 ni en Windows-1252"),
])
def test_files_that_are_not_statements_are_refused_in_french(data, expected):
    assert any(expected in m for m in problems_of(data)), problems_of(data)


def test_utf16_with_bom_is_read():
    raw = codecs.BOM_UTF16_LE + "Date;Libellé;Montant\n08/07/2026;Frais;-1,00\n".encode("utf-16-le")
    assert parse_statement(raw).lines[0].amount_cents == -100


def test_demo_statement_file_parses():
    raw = resources.files("retkoop_widgets.data").joinpath("releve-demo.csv").read_bytes()
    st_ = parse_statement(raw)
    assert st_.header_line == 8 and len(st_.lines) == 6 and st_.last_date == date(2026, 8, 28)


# -- matching ----------------------------------------------------------------------------
@dataclass(frozen=True)
class E:
    """A cahier bank line as matching sees it."""
    id: int
    piece: str
    date: date
    bank: int
    cheque: str = ""
    libelle: str = "écriture"


def L(n: int, day: date, cents: int, libelle: str = "OPERATION") -> StatementLine:
    return StatementLine(n, day, libelle, cents)


D = date(2026, 3, 10)


def test_cheque_number_wins_over_a_closer_date():
    by_cheque = E(1, "010", D - timedelta(days=20), -6350, "4521010")
    closer = E(2, "011", D, -6350)
    m = match([L(2, D, -6350, "CHEQUE N° 0004521010"), L(3, D, -6350, "PRLV")], [closer, by_cheque])
    assert [(p.line.line_no, p.entry.id, p.reason) for p in m.pairs] == [
        (2, 1, "chèque n° 4521010"), (3, 2, "même montant, date proche")]
    assert m.pairs[0].days == 20 and not m.unmatched and not m.remaining


@pytest.mark.parametrize("libelle, expected", [
    ("CHQ 4521001", {"4521001"}), ("CHEQUE N° 4521001", {"4521001"}), ("Chèque n°0004521001", {"4521001"}),
    ("PAIEMENT CHQ. NO 4521001", {"4521001"}), ("REMISE CHEQUES N° 4521001", set()),
    ("FRAIS ENVOI CHEQUIER 12", set()), ("CB 4521001", set())])
def test_cheque_numbers_read_from_libelles(libelle, expected):
    assert cheque_numbers(libelle) == expected


def test_closest_date_within_the_window():
    e1, e2 = E(1, "001", D - timedelta(days=30), 1500), E(2, "002", D + timedelta(days=EARLY_DAYS), 1500)
    m = match([L(1, D, 1500)], [e1, e2])
    assert [(p.entry.id, p.reason, p.days) for p in m.pairs] == [(2, "même montant, date proche", -EARLY_DAYS)]
    assert m.remaining == (e1,)
    # one day too early, one day too late: nothing
    assert not match([L(1, D, 1500)], [E(1, "001", D + timedelta(days=EARLY_DAYS + 1), 1500)]).pairs
    assert match([L(1, D, 1500)], [E(1, "001", D - timedelta(days=LATE_DAYS), 1500)]).pairs
    assert not match([L(1, D, 1500)], [E(1, "001", D - timedelta(days=LATE_DAYS + 1), 1500)]).pairs
    # a cheque may be cashed up to a year and 8 days later, when its number is on the statement
    old = E(1, "001", D - timedelta(days=CHEQUE_LATE_DAYS), -9000, "77123")
    assert match([L(1, D, -9000, "CHQ 77123")], [old]).pairs[0].reason == "chèque n° 77123"
    assert not match([L(1, D, -9000, "CHQ 77123")], [E(1, "001", D - timedelta(days=CHEQUE_LATE_DAYS + 1),
                                                        -9000, "77123")]).pairs


def test_ties_broken_by_piece_then_one_to_one():
    a, b = E(7, "D10", D, 2000), E(3, "D9", D, 2000)  # natural order: D9 before D10
    m = match([L(5, D, 2000), L(6, D, 2000), L(7, D, 2000)], [a, b])
    assert [(p.line.line_no, p.entry.piece) for p in m.pairs] == [(5, "D9"), (6, "D10")]
    assert [u.line.line_no for u in m.unmatched] == [7] and m.remaining == ()


def test_one_to_one_pairs_every_line_the_rules_allow():
    # Closest-first alone would give line 1 entry X (1 day) and leave line 2 without its
    # only candidate; the re-pairing gives both lines an entry.
    x, y = E(1, "001", D, 1000), E(2, "002", D + timedelta(days=2), 1000)
    l1, l2 = L(1, D + timedelta(days=1), 1000), L(2, D - timedelta(days=EARLY_DAYS), 1000)
    m = match([l1, l2], [x, y])
    assert {(p.line.line_no, p.entry.id) for p in m.pairs} == {(1, 2), (2, 1)} and not m.unmatched


def test_never_approximate_amounts_nor_signs():
    m = match([L(1, D, -6351, "CHQ 4521010"), L(2, D, 6350)], [E(1, "001", D, -6350, "4521010")])
    assert not m.pairs and len(m.remaining) == 1
    by_line = {u.line.line_no: u.hint for u in m.unmatched}
    assert "la pièce 001 porte ce numéro mais pour -63,50 €" in by_line[1]
    assert by_line[2] == HINT_CREDIT


def test_a_different_cheque_number_never_pairs_on_amount():
    m = match([L(1, D, -6350, "CHQ 4521099")], [E(1, "001", D, -6350, "4521010")])
    assert not m.pairs and "chèque n° 4521099 absent du cahier" in m.unmatched[0].hint
    # an entry without a cheque number may pair with it (the number was not typed in the cahier)
    assert match([L(1, D, -6350, "CHQ 4521099")], [E(1, "001", D, -6350)]).pairs


def test_ignore_patterns_are_case_and_accent_insensitive_substrings():
    lines = [L(1, D, -200000, "VIREMENT AUTOMATIQUE OCCE 76 VERS AD"), L(2, D, 200000, "Virement automatique Occé"),
             L(3, D, -1200, "FRAIS")]
    m = match(lines, [E(1, "001", D, -1200)], ignore=["virement automatique occe", "  ", ""])
    assert [ln.line_no for ln in m.ignored] == [1, 2] and len(m.pairs) == 1
    assert (m.credits, m.debits) == (200000, 201200)  # the statement's own totals count every line
    unignored = match(lines, [E(1, "001", D, -1200)])
    assert not unignored.ignored and "lignes à ignorer" in unignored.unmatched[0].hint


def test_hints_remaining_in_cahier_order_and_already_pointed_lines():
    late = E(9, "009", D - timedelta(days=LATE_DAYS + 10), -4500)
    pointed = E(4, "004", D - timedelta(days=2), -1200)
    rest = [E(3, "003", D + timedelta(days=40), 800), E(2, "002", D + timedelta(days=40), 500), late]
    m = match([L(1, D, -480, "FRAIS ENVOI"), L(2, D, -4500), L(3, D, -1200)], rest, pointed=[pointed])
    hints = {u.line.line_no: u.hint for u in m.unmatched}
    assert hints[1] == HINT_DEBIT == "à saisir dans le cahier ? (frais bancaires, prélèvement…)"
    assert hints[2].startswith("même montant que la pièce 009 du ") and "100 jours après" in hints[2]
    assert [(p.line.line_no, p.entry.piece) for p in m.already] == [(3, "004")]
    assert [e.piece for e in m.remaining] == ["009", "002", "003"]
    assert m.line_count == 3 and m.last_date == D


# -- across the 31 August boundary ---------------------------------------------------------
EX_NEW = Exercice(COOP, "2026-2027")
EX_OLD = Exercice(COOP, "2025-2026")
AUG25, SEP = date(2026, 8, 25), date(2026, 9, 10)


def test_previous_exercice_lines_are_a_second_pool_used_only_after_the_current_one():
    old_cheque = E(101, "045", AUG25, -4500, "4521045")
    card = E(1, "003", date(2026, 9, 2), -4500)  # this year's, no cheque number
    lines = [L(2, SEP, -4500, "CHEQUE N° 4521045"), L(3, date(2026, 9, 2), -4500, "CB PAPETERIE")]
    m = match(lines, [card], exercice=EX_NEW, earlier=[old_cheque], previous=EX_OLD)
    assert [(p.line.line_no, p.entry.id, p.exercice) for p in m.pairs] == [(3, 1, "")]
    assert [(p.line.line_no, p.entry.id, p.exercice, p.reason, p.days) for p in m.earlier_pairs] == [
        (2, 101, "2025-2026", "pièce 045 de l'exercice 2025-2026, non pointée au 31/08 (chèque n° 4521045)", 16)]
    assert m.earlier_exercice == "2025-2026" and not m.earlier_locked and m.pointable == m.pairs + m.earlier_pairs
    assert not m.unmatched and not m.remaining and not m.earlier_remaining and m.line_count == 2
    # Only after: a line the current exercice can take is never given to last year's
    # line, even one naming its cheque number (rule 4: this year's entry has no number).
    alone = match(lines[:1], [card], exercice=EX_NEW, earlier=[old_cheque], previous=EX_OLD)
    assert [(p.entry.id, p.reason) for p in alone.pairs] == [(1, "même montant, date proche")]
    assert not alone.earlier_pairs and alone.earlier_remaining == (old_cheque,)
    # without last year's lines the cheque is "à saisir dans le cahier ?" — the double entry this pool prevents
    assert match(lines[:1], [], exercice=EX_NEW).unmatched[0].hint == HINT_DEBIT
    assert match(lines[:1], [], exercice=EX_NEW, earlier=[old_cheque], previous=EX_OLD).earlier_pairs
    # the name and the 31/08 come from the exercice worked in when the previous one is not given
    derived = match(lines[:1], [], exercice=EX_NEW, earlier=[old_cheque])
    assert derived.earlier_pairs[0].reason.startswith("pièce 045 de l'exercice 2025-2026, non pointée au 31/08")


@pytest.mark.parametrize("state", [SUBMITTED, CLOSED])
def test_a_locked_previous_exercices_line_is_ticked_only_on_a_line_dated_after_its_end(state):
    """Year-end continuity: the August cheque cashed in September is pointed even once
    2025-2026 is submitted or closed (its CRF is as of 31/08); a statement line dated on
    or before the 31/08 would change that CRF: shown, not offered."""
    old_cheque = E(101, "045", AUG25, -4500, "4521045")
    m = match([L(2, SEP, -4500, "CHQ 4521045"), L(3, SEP, 2000, "VIR PARENTS")], [E(1, "001", SEP, 2000)],
              exercice=EX_NEW, earlier=[old_cheque], previous=Exercice(COOP, "2025-2026", state=state))
    assert not m.earlier_locked and m.pointable == m.pairs + m.earlier_pairs and len(m.pairs) == 1
    assert [p.reason for p in m.earlier_pairs] == [
        f"pièce 045 de l'exercice 2025-2026 ({state}), non pointée au 31/08 : à pointer, son compte rendu au 31/08 "
        "ne change pas (chèque n° 4521045)"]
    on_the_31 = match([L(2, date(2026, 8, 31), -4500, "CHQ 4521045")], [], exercice=EX_NEW, earlier=[old_cheque],
                      previous=Exercice(COOP, "2025-2026", state=state))
    assert on_the_31.earlier_locked and on_the_31.pointable == () and on_the_31.earlier_pairs[0].locked
    assert [p.reason for p in on_the_31.earlier_pairs] == [
        f"déjà au cahier de 2025-2026 ({state}) : rien à saisir, rien à pointer ici (chèque n° 4521045)"]


def test_exercice_bounds_hints_and_last_years_pointed_lines():
    lines = [L(2, date(2026, 9, 5), -2999, "PRLV FREE"), L(3, date(2025, 8, 28), -300, "COMMISSION"),
             L(4, date(2026, 9, 3), -200000, "VIREMENT AUTOMATIQUE OCCE"),  # a sweep line stays a sweep line
             L(5, date(2026, 9, 7), -5000, "CHQ 4521046"),  # number in the cahier, another amount
             L(6, date(2026, 3, 2), 412, "INTERETS")]
    cheque = E(101, "046", AUG25, -5500, "4521046")
    m = match(lines, [cheque], exercice=EX_OLD)
    hints = {u.line.line_no: u.hint for u in m.unmatched}
    assert hints[2] == "opération de l'exercice suivant (2026-2027) : à saisir dans cet exercice-là"
    assert hints[3] == ("opération de l'exercice précédent (2024-2025) : à saisir dans cet exercice-là s'il y "
                        "manque, pas dans celui-ci")
    assert "Ajoutez-le aux lignes à ignorer" in hints[4]
    assert hints[5].startswith("chèque n° 4521046 : la pièce 046 porte ce numéro mais pour -55,00 €")
    assert hints[6] == HINT_CREDIT  # inside the exercice: the usual hint
    # from the next exercice, the same cheque is last year's: the hint says which pièce
    m2 = match(lines[3:4], [], exercice=EX_NEW, earlier=[cheque], previous=EX_OLD)
    assert m2.unmatched[0].hint.startswith("chèque n° 4521046 : la pièce 046 (exercice 2025-2026) porte ce numéro")
    # a statement straddling 31 August: last year's ticked lines are "déjà pointées", with their exercice
    fee = E(102, "050", date(2026, 8, 28), -1200)
    m3 = match([L(2, date(2026, 8, 28), -1200, "FRAIS")], [], exercice=EX_NEW, earlier_pointed=[fee],
               previous=EX_OLD)
    assert [(p.entry.id, p.exercice) for p in m3.already] == [(102, "2025-2026")] and not m3.unmatched


# -- properties --------------------------------------------------------------------------
AMOUNTS = [-6350, -1200, 1500, 2000, -2000, 412]


@st.composite
def books_and_statement(draw):
    n_e = draw(st.integers(0, 12))
    entries = [E(i + 1, f"{draw(st.integers(1, 40)):03d}", D + timedelta(days=draw(st.integers(-60, 60))),
                 draw(st.sampled_from(AMOUNTS)), draw(st.sampled_from(["", "", "4521010", "4521011"])))
               for i in range(n_e)]
    n_l = draw(st.integers(0, 12))
    lines = [L(i + 2, D + timedelta(days=draw(st.integers(-60, 120))), draw(st.sampled_from(AMOUNTS + [-6351])),
               draw(st.sampled_from(["OP", "CHQ 4521010", "CHEQUE N° 4521011", "VIREMENT AUTOMATIQUE OCCE"])))
             for i in range(n_l)]
    n_x = draw(st.integers(0, 6))  # the previous exercice's unpointed lines
    earlier = [E(100 + i, f"{draw(st.integers(1, 40)):03d}", D + timedelta(days=draw(st.integers(-90, 30))),
                 draw(st.sampled_from(AMOUNTS)), draw(st.sampled_from(["", "4521010", "4521012"])))
               for i in range(n_x)]
    return entries, lines, draw(st.randoms(use_true_random=False)), earlier


@settings(max_examples=300, deadline=None)
@given(books_and_statement())
def test_matching_is_exact_one_to_one_complete_and_order_independent(case):
    entries, lines, rnd, _earlier = case
    m = match(lines, entries, ignore=["automatique"])
    for p in m.pairs:
        assert p.line.amount_cents == p.entry.bank  # never approximate
        late = CHEQUE_LATE_DAYS if p.reason.startswith("chèque") else LATE_DAYS
        assert -EARLY_DAYS <= (p.line.date - p.entry.date).days == p.days <= late
    assert len({p.entry.id for p in m.pairs}) == len(m.pairs)  # one-to-one
    # every line in exactly one list; every entry paired or remaining
    seen = [p.line for p in m.pairs] + [u.line for u in m.unmatched] + list(m.ignored)
    assert sorted(seen, key=lambda ln: ln.line_no) == sorted(lines, key=lambda ln: ln.line_no)
    assert sorted([p.entry.id for p in m.pairs] + [e.id for e in m.remaining]) == sorted(e.id for e in entries)
    # no line left alone while an entry it could take is left too
    for u in m.unmatched:
        assert not any(e.bank == u.line.amount_cents and -EARLY_DAYS <= (u.line.date - e.date).days <= LATE_DAYS
                       and not (cheque_numbers(u.line.libelle) and e.cheque
                                and e.cheque not in cheque_numbers(u.line.libelle))
                       for e in m.remaining)
    # deterministic: the same proposal whatever the order of the inputs
    shuffled_l, shuffled_e = list(lines), list(entries)
    rnd.shuffle(shuffled_l)
    rnd.shuffle(shuffled_e)
    assert match(shuffled_l, shuffled_e, ignore=["automatique"]) == m


@settings(max_examples=200, deadline=None)
@given(books_and_statement())
def test_the_previous_exercice_pool_never_changes_the_current_pairs_and_is_deterministic(case):
    entries, lines, rnd, earlier = case
    alone = match(lines, entries, ignore=["automatique"])
    m = match(lines, entries, ignore=["automatique"], earlier=earlier, exercice=Exercice(COOP, "2025-2026"))
    assert m.pairs == alone.pairs and m.remaining == alone.remaining  # used only after the current one
    for p in m.earlier_pairs:
        assert p.line.amount_cents == p.entry.bank and p.exercice == "2024-2025"
        late = CHEQUE_LATE_DAYS if "chèque" in p.reason else LATE_DAYS
        assert -EARLY_DAYS <= p.days <= late
    assert len({p.entry.id for p in m.earlier_pairs}) == len(m.earlier_pairs)
    seen = [p.line for p in m.pairs + m.earlier_pairs] + [u.line for u in m.unmatched] + list(m.ignored)
    assert sorted(seen, key=lambda ln: ln.line_no) == sorted(lines, key=lambda ln: ln.line_no)
    assert sorted([p.entry.id for p in m.earlier_pairs] + [e.id for e in m.earlier_remaining]) == \
        sorted(e.id for e in earlier)
    shuffled_l, shuffled_e, shuffled_x = list(lines), list(entries), list(earlier)
    for xs in (shuffled_l, shuffled_e, shuffled_x):
        rnd.shuffle(xs)
    assert match(shuffled_l, shuffled_e, ignore=["automatique"], earlier=shuffled_x,
                 exercice=Exercice(COOP, "2025-2026")) == m


# -- service (SQLite and PostgreSQL) -------------------------------------------------------
def _seed(books):
    def bank(day, libelle, cents, account, **kw):
        if cents > 0:
            return EntryDraft(day, libelle, bank_in=cents, ventilation=(VentilationLine(account, cents),), **kw)
        return EntryDraft(day, libelle, bank_out=-cents, ventilation=(VentilationLine(account, -cents),), **kw)
    rec = books.record_entry
    out = {
        "gouter": rec(COOP, EX, bank(date(2026, 7, 3), "Goûter", -6350, "6064", mode="chèque", cheque="4521010")),
        "interets": rec(COOP, EX, bank(date(2026, 6, 30), "Intérêts", 412, "7680")),
        "frais": rec(COOP, EX, bank(date(2026, 8, 28), "Frais de tenue de compte", -1200, "6270")),
        "vieux": rec(COOP, EX, bank(date(2026, 5, 29), "Frais de tenue de compte", -1200, "6270",
                                    pointed=True, statement_date=date(2026, 5, 31))),
        "tard": rec(COOP, EX, bank(date(2026, 8, 30), "Photos", 5000, "7071")),
        "caisse": rec(COOP, EX, EntryDraft(date(2026, 7, 1), "Kermesse", cash_in=1000,
                                           ventilation=(VentilationLine("7080", 1000),))),
    }
    return out


STATEMENT = ("Compte n° 0421076X020\nDate;Libellé;Montant(EUROS)\n"
             "28/08/2026;FRAIS TENUE DE COMPTE;-12,00\n"
             "31/07/2026;VIREMENT AUTOMATIQUE OCCE 76;-2 000,00\n"
             "15/07/2026;FRAIS ENVOI CHEQUIER;-4,80\n"
             "08/07/2026;CHEQUE N° 4521010;-63,50\n"
             "01/07/2026;INTERETS CREDITEURS;4,12\n"
             "31/05/2026;FRAIS TENUE DE COMPTE;-12,00\n").encode("cp1252")


def test_propose_then_apply_points_all_at_once_with_audit(books):
    e = _seed(books)
    m = svc.propose(books, COOP, EX, STATEMENT, ignore=["Virement automatique OCCE"])
    assert [(p.entry.piece, p.reason) for p in m.pairs] == [
        (e["interets"].piece, "même montant, date proche"), (e["gouter"].piece, "chèque n° 4521010"),
        (e["frais"].piece, "même montant, date proche")]
    assert [p.entry.piece for p in m.already] == [e["vieux"].piece]
    assert [u.line.libelle for u in m.unmatched] == ["FRAIS ENVOI CHEQUIER"]
    assert [ln.libelle for ln in m.ignored] == ["VIREMENT AUTOMATIQUE OCCE 76"]
    assert [x.piece for x in m.remaining] == [e["tard"].piece]  # the cash line is no bank line
    assert m.last_date == date(2026, 8, 28)
    n = svc.apply(books, COOP, EX, [p.entry.id for p in m.pairs], m.last_date)
    assert n == 3
    after = {x.id: x for x in books.entries(COOP, EX)}
    assert all(after[p.entry.id].pointed and after[p.entry.id].statement_date == date(2026, 8, 28) for p in m.pairs)
    assert not after[e["tard"].id].pointed
    points = [a for a in books.audit_log(COOP) if a["action"] == "point"]
    assert len(points) == 3
    again = svc.propose(books, COOP, EX, STATEMENT, ignore=["Virement automatique OCCE"])
    assert not again.pairs and len(again.already) == 4  # a statement imported twice points nothing twice


def test_apply_is_all_or_nothing_and_every_refusal_is_listed(books):
    e = _seed(books)
    with pytest.raises(ValidationError) as exc:
        svc.apply(books, COOP, EX, [e["gouter"].id, e["vieux"].id, e["tard"].id, e["caisse"].id, 999999],
                  date(2026, 8, 28))
    msgs = [p.message for p in exc.value.problems]
    assert any(f"la pièce {e['vieux'].piece} est déjà pointée sur le relevé du 31/05/2026" in m for m in msgs)
    assert any(f"la pièce {e['tard'].piece} du 30/08/2026 ne peut pas figurer sur un relevé du 28/08/2026" in m
               for m in msgs)
    assert any(f"la pièce {e['caisse'].piece} ne passe pas par la banque" in m for m in msgs)
    assert any("l'écriture n° 999999 n'est pas dans l'exercice" in m for m in msgs)
    assert not books.entry(e["gouter"].id).pointed  # nothing pointed
    with pytest.raises(ValidationError, match="cochez au moins une ligne"):
        svc.apply(books, COOP, EX, [], date(2026, 8, 28))
    with pytest.raises(ValidationError, match="date du relevé"):
        svc.apply(books, COOP, EX, [e["gouter"].id], None)


def test_permissions_and_lock_come_from_the_books(books):
    e = _seed(books)
    other = books.as_user(Actor("autre", "mandataire", coop="AD76-9999"))
    with pytest.raises(Forbidden):
        svc.propose(other, COOP, EX, STATEMENT)
    analyst = books.as_user(Actor("ana", "analyste", ad="AD76"))
    assert svc.propose(analyst, COOP, EX, STATEMENT).pairs  # reading is allowed
    with pytest.raises(Forbidden):
        svc.apply(analyst, COOP, EX, [e["gouter"].id], date(2026, 8, 28))
    books.submit_exercice(COOP, EX, [])
    with pytest.raises(LockedExercice):
        svc.apply(books, COOP, EX, [e["gouter"].id], date(2026, 8, 28))
    assert not books.entry(e["gouter"].id).pointed


# -- a statement across 31 August (SQLite and PostgreSQL) ---------------------------------
NEW = "2026-2027"


def _bank(day, libelle, cents, account, **kw):
    if cents > 0:
        return EntryDraft(day, libelle, bank_in=cents, ventilation=(VentilationLine(account, cents),), **kw)
    return EntryDraft(day, libelle, bank_out=-cents, ventilation=(VentilationLine(account, -cents),), **kw)


def _two_years(books):
    """2025-2026 with a cheque of 25/08/2026 not yet cashed and a fee pointed on the 31/08
    statement; 2026-2027 opened, with a payment received in September."""
    out = {
        "cheque": books.record_entry(COOP, EX, _bank(AUG25, "Sortie de fin d'année", -4500, "6064", mode="chèque",
                                                     cheque="4521045")),
        "frais": books.record_entry(COOP, EX, _bank(date(2026, 8, 28), "Frais de tenue de compte", -1200, "6270",
                                                    pointed=True, statement_date=date(2026, 8, 31))),
    }
    books.open_exercice(COOP, NEW, 180537, 6350)
    out["vir"] = books.record_entry(COOP, NEW, _bank(date(2026, 9, 4), "Participation des familles", 2000, "7560"))
    return out


SEPTEMBER = ("Date;Libellé;Montant\n"
             "12/09/2026;PRLV ASSURANCE;-7,50\n"
             "10/09/2026;CHEQUE N° 4521045;-45,00\n"
             "05/09/2026;VIR PARENTS CM1;20,00\n"
             "31/08/2026;COMMISSION;-3,00\n"
             "28/08/2026;FRAIS TENUE DE COMPTE;-12,00\n").encode("utf-8")


def test_last_years_cheque_on_a_september_statement_is_pointed_in_its_own_exercice(books):
    e = _two_years(books)
    m = svc.propose(books, COOP, NEW, SEPTEMBER)
    assert [p.entry.id for p in m.pairs] == [e["vir"].id]
    [late] = m.earlier_pairs
    assert late.entry.id == e["cheque"].id and late.exercice == EX and not m.earlier_locked
    assert late.reason == f"pièce {e['cheque'].piece} de l'exercice 2025-2026, non pointée au 31/08 (chèque n° 4521045)"
    assert [(p.entry.id, p.exercice) for p in m.already] == [(e["frais"].id, EX)]  # last year's, already ticked
    hints = {u.line.libelle: u.hint for u in m.unmatched}
    assert hints == {"PRLV ASSURANCE": HINT_DEBIT,
                     "COMMISSION": "opération de l'exercice précédent (2025-2026) : à saisir dans cet exercice-là "
                                   "s'il y manque, pas dans celui-ci"}
    assert [p.entry.id for p in m.pointable] == [e["vir"].id, e["cheque"].id]
    # all or nothing across the two exercices: one bad id and neither is pointed
    with pytest.raises(ValidationError) as exc:
        svc.apply(books, COOP, NEW, [e["vir"].id, e["cheque"].id, e["frais"].id], m.last_date)
    assert [p.message for p in exc.value.problems] == [
        f"la pièce {e['frais'].piece} de 2025-2026 est déjà pointée sur le relevé du 31/08/2026 : analysez à "
        "nouveau le relevé"]
    assert not books.entry(e["vir"].id).pointed and not books.entry(e["cheque"].id).pointed
    assert svc.apply(books, COOP, NEW, [p.entry.id for p in m.pointable], m.last_date) == 2
    assert books.entry(e["cheque"].id).statement_date == books.entry(e["vir"].id).statement_date == date(2026, 9, 12)
    points = {a["object"]: a for a in books.audit_log(COOP) if a["action"] == "point"}
    assert points[f"entry {e['cheque'].id}"]["exercice"] == EX
    assert points[f"entry {e['vir'].id}"]["exercice"] == NEW
    assert points[f"entry {e['cheque'].id}"]["after"] == {"pointe": True, "date_releve": "2026-09-12"}
    again = svc.propose(books, COOP, NEW, SEPTEMBER)
    assert not again.pointable and {(p.entry.id, p.exercice) for p in again.already} == {
        (e["vir"].id, ""), (e["cheque"].id, EX), (e["frais"].id, EX)}


@pytest.mark.parametrize("how, state", [("submit", "soumis"), ("close", "clos")])
def test_a_submitted_previous_exercices_cheque_is_pointed_on_a_later_statement_only(books, how, state):
    """Year-end continuity: last year's cheque is pointed on the September statement even
    once 2025-2026 is submitted or closed, and its CRF (as of 31/08) does not change; a
    statement dated on or before 31/08 would change it: refused, nothing pointed."""
    from retkoop_widgets.domain.crf import crf_json
    e = _two_years(books)
    if how == "submit":
        books.submit_exercice(COOP, EX)
    else:
        books.close_exercice(COOP, EX)
    before = crf_json(books.crf(COOP, EX))
    m = svc.propose(books, COOP, NEW, SEPTEMBER)
    [late] = m.earlier_pairs
    assert not m.earlier_locked and late.entry.id == e["cheque"].id and not late.locked
    assert late.reason == (f"pièce {e['cheque'].piece} de l'exercice 2025-2026 ({state}), non pointée au 31/08 : "
                           "à pointer, son compte rendu au 31/08 ne change pas (chèque n° 4521045)")
    assert [p.entry.id for p in m.pointable] == [e["vir"].id, e["cheque"].id]
    with pytest.raises(ValidationError) as exc:
        svc.apply(books, COOP, NEW, [e["cheque"].id], date(2026, 8, 31))
    assert [p.message for p in exc.value.problems] == [
        f"la pièce {e['cheque'].piece} est au cahier de l'exercice 2025-2026, {state} : elle ne peut plus y être "
        "pointée sur un relevé du 31/08/2026 ou d'avant (son compte rendu au 31/08/2026 ne doit pas changer). "
        "Rien à saisir ici"]
    assert not books.entry(e["vir"].id).pointed and not books.entry(e["cheque"].id).pointed
    assert svc.apply(books, COOP, NEW, [p.entry.id for p in m.pointable], m.last_date) == 2
    assert books.entry(e["cheque"].id).statement_date == date(2026, 9, 12)
    assert crf_json(books.crf(COOP, EX)) == before
    [audit] = [a for a in books.audit_log(COOP) if a["action"] == "point" and a["object"] == f"entry {e['cheque'].id}"]
    assert audit["exercice"] == EX and audit["reason"].startswith("pointage après la fin de l'exercice 2025-2026")


def test_a_september_line_imported_in_the_old_exercice_belongs_to_the_next(books):
    e = _seed(books)
    cheque = books.record_entry(COOP, EX, _bank(AUG25, "Sortie", -4500, "6064", mode="chèque", cheque="4521045"))
    data = ("Date;Libellé;Montant\n28/08/2026;FRAIS TENUE DE COMPTE;-12,00\n"
            "10/09/2026;CHEQUE N° 4521045;-45,00\n05/09/2026;PRLV FREE;-29,99\n").encode("utf-8")
    m = svc.propose(books, COOP, EX, data)
    # the late cheque is this exercice's line: pointed here, on the September statement
    assert [(p.entry.id, p.exercice) for p in m.pairs] == [(e["frais"].id, ""), (cheque.id, "")]
    assert [u.hint for u in m.unmatched] == [
        "opération de l'exercice suivant (2026-2027) : à saisir dans cet exercice-là"]
    assert not m.earlier_pairs and m.earlier_exercice == ""  # the coop has no 2024-2025
    with pytest.raises(ValidationError, match="n'est pas dans l'exercice 2025-2026 de"):
        svc.apply(books, COOP, EX, [999999], m.last_date)


# -- widget --------------------------------------------------------------------------------
def _upload(w, name, content: bytes):
    w.value = ({"name": name, "type": "text/csv", "size": len(content), "content": memoryview(content),
                "last_modified": datetime.now(timezone.utc)},)


def mandataire(books):
    return books.as_user(Actor("prof", "mandataire", coop=COOP))


def test_releve_panel_proposes_unticks_and_points(books):
    e = _seed(books)
    d = Dashboard(mandataire(books), COOP, EX)
    d.tabs.selected_index = 1
    c = d.cahier
    assert c.statement_box.children == ()
    c.statement_btn.value = True
    r = c.statement
    assert c.statement_box.children == (r.box,) and r.apply_btn.disabled
    _upload(r.upload, "releve.csv", STATEMENT)
    assert r.upload.value == ()  # ready for the next file
    assert "releve.csv : 6 opérations du 31/05/2026 au 28/08/2026" in r.summary.value
    assert "3 lignes rapprochées" in r.summary.value and "1 déjà pointée" in r.summary.value
    assert r.date.value == date(2026, 8, 28)
    rows = [w for w in r.matches.children if hasattr(w, "children")]
    assert len(rows) == len(r.checks) == 3 and all(cb.value for cb, _ in r.checks)
    html = rows[1].children[1].value
    assert "08/07/2026" in html and "CHEQUE N° 4521010" in html and "-63,50 €" in html
    assert f"<b>{e['gouter'].piece}</b>" in html and "chèque n° 4521010" in html
    assert r.apply_btn.description == "Pointer les 3 lignes cochées"
    assert "VIREMENT AUTOMATIQUE OCCE 76" in r.others.value and "Lignes ignorées" not in r.others.value
    assert "Ajoutez-le aux lignes à ignorer" in r.others.value
    assert "À saisir dans le cahier ? (frais bancaires, prélèvement…)" in r.others.value
    r.ignore.value = "virement automatique occe"
    assert "1 ignorée" in r.summary.value and "Lignes ignorées (1)" in r.others.value
    assert "Lignes non pointées du cahier restantes (1)" in r.others.value and "postérieure au relevé" in r.others.value
    # untick the interest line, point the other two on the statement of 31/08
    cb_interets = next(cb for cb, p in r.checks if p.entry.id == e["interets"].id)
    cb_interets.value = False
    assert r.apply_btn.description == "Pointer les 2 lignes cochées"
    r.date.value = date(2026, 8, 31)
    pointed_before = c.table.value.count("✔ pointée")
    r.apply_btn.click()
    assert "2 lignes pointées sur le relevé du 31/08/2026" in r.status.value
    got = {x.id: x for x in books.entries(COOP, EX)}
    assert got[e["gouter"].id].statement_date == date(2026, 8, 31) and got[e["frais"].id].pointed
    assert not got[e["interets"].id].pointed
    # the proposal is made again: pointed lines now "déjà pointées", the unticked one stays unticked
    assert "3 déjà pointées" in r.summary.value and [cb.value for cb, _ in r.checks] == [False]
    assert c.table.value.count("✔ pointée") == pointed_before + 2  # the cahier was redrawn
    r.apply_btn.click()  # nothing ticked: the button is disabled, and a click changes nothing
    assert r.apply_btn.disabled and not books.entry(e["interets"].id).pointed


def test_releve_panel_shows_every_file_problem_with_its_line(books):
    _seed(books)
    d = Dashboard(mandataire(books), COOP, EX)
    d.tabs.selected_index = 1
    d.cahier.statement_btn.value = True
    r = d.cahier.statement
    _upload(r.upload, "mauvais.csv", "Date;Libellé;Montant\n31/02/2026;x;-1,00\n01/03/2026;y;12,345\n".encode("cp1252"))
    assert "mauvais.csv n’a pas pu être lu, rien n’a été pointé" in r.status.value
    assert "Ligne 2 : date « 31/02/2026 »" in r.status.value and "Ligne 3 : Montant : « 12,345 »" in r.status.value
    assert r.checks == [] and r.apply_btn.disabled


def test_releve_panel_refusal_from_apply_is_shown_and_nothing_pointed(books):
    e = _seed(books)
    d = Dashboard(mandataire(books), COOP, EX)
    d.tabs.selected_index = 1
    d.cahier.statement_btn.value = True
    r = d.cahier.statement
    _upload(r.upload, "releve.csv", STATEMENT)
    r.date.value = date(2026, 7, 2)  # before the cheque and the fee
    r.apply_btn.click()
    assert "ne peut pas figurer sur un relevé du 02/07/2026" in r.status.value
    assert not any(x.pointed for x in books.entries(COOP, EX) if x.id != e["vieux"].id)


def test_releve_controls_are_disabled_on_a_submitted_exercice(books):
    _seed(books)
    d = Dashboard(mandataire(books), COOP, EX)
    d.tabs.selected_index = 1
    c = d.cahier
    c.statement_btn.value = True
    _upload(c.statement.upload, "releve.csv", STATEMENT)
    books.submit_exercice(COOP, EX, [])
    d.ctx.changed("exercice")  # what the submission panel does after submitting
    r = c.statement
    assert "Lecture seule" in d.banner.value
    assert c.statement_btn.disabled and r.upload.disabled and r.ignore.disabled and r.apply_btn.disabled
    assert r.date.disabled and r.checks and all(cb.disabled for cb, _ in r.checks)
    # a fresh page on the locked exercice: the toggle is disabled, so the panel cannot open
    d2 = Dashboard(mandataire(books), COOP, EX)
    d2.tabs.selected_index = 1
    assert d2.cahier.statement_btn.disabled and d2.cahier.session_btn.disabled


def test_releve_panel_offers_last_years_cheque_with_its_badge_and_points_it(books):
    e = _two_years(books)
    d = Dashboard(mandataire(books), COOP, NEW)
    d.tabs.selected_index = 1
    d.cahier.statement_btn.value = True
    r = d.cahier.statement
    _upload(r.upload, "septembre.csv", SEPTEMBER)
    assert "1 ligne rapprochée" in r.summary.value and "1 de l’exercice 2025-2026" in r.summary.value
    assert [p.entry.id for _cb, p in r.checks] == [e["vir"].id, e["cheque"].id]
    rows = [w for w in r.matches.children if hasattr(w, "children")]
    html = rows[1].children[1].value
    assert "CHEQUE N° 4521045" in html and "-45,00 €" in html and "rk-rearlier" in html
    assert "exercice 2025-2026" in html and "non pointée au 31/08 (chèque n° 4521045)" in html
    assert "Opération de l'exercice précédent (2025-2026)" in r.others.value
    assert "À saisir dans le cahier ? (frais bancaires, prélèvement…)" in r.others.value
    assert f"<b>{e['frais'].piece}</b> de l’exercice 2025-2026" in r.others.value
    assert r.apply_btn.description == "Pointer les 2 lignes cochées"
    r.apply_btn.click()
    assert "2 lignes pointées sur le relevé du 12/09/2026 (dont 1 au cahier de l’exercice 2025-2026)" in r.status.value
    assert books.entry(e["cheque"].id).pointed and books.entry(e["vir"].id).pointed
    assert r.checks == [] and "3 déjà pointées" in r.summary.value


def test_releve_panel_points_a_submitted_years_cheque_on_a_later_statement(books):
    """Year-end continuity in the panel: last year's cheque, submitted since, is offered
    and pointed on the September statement (its CRF as of 31/08 is unchanged)."""
    e = _two_years(books)
    books.submit_exercice(COOP, EX)
    d = Dashboard(mandataire(books), COOP, NEW)
    d.tabs.selected_index = 1
    d.cahier.statement_btn.value = True
    r = d.cahier.statement
    _upload(r.upload, "septembre.csv", SEPTEMBER)
    assert "(déjà au cahier de cet exercice, à pointer)" in r.summary.value
    assert [p.entry.id for _cb, p in r.checks] == [e["vir"].id, e["cheque"].id]
    rows = [w for w in r.matches.children if hasattr(w, "children")]
    assert len(rows) == 2 and isinstance(rows[1].children[0], W.Checkbox)
    assert "2025-2026 (soumis), non pointée au 31/08 : à pointer, son compte rendu au 31/08 ne change pas" in \
        rows[1].children[1].value
    r.apply_btn.click()
    assert books.entry(e["cheque"].id).pointed and books.entry(e["cheque"].id).statement_date == date(2026, 9, 12)


def test_demo_statement_matches_the_demo_coop(tmp_path):
    from retkoop_widgets.demo import DEMO_COOP, DEMO_EXERCICE, seed_demo
    from retkoop_widgets.services import Books
    books = Books(f"sqlite:///{tmp_path / 'demo.sqlite3'}", "test")
    books.init_schema()
    seed_demo(books, extra_coops=False)
    raw = resources.files("retkoop_widgets.data").joinpath("releve-demo.csv").read_bytes()
    m = svc.propose(books, DEMO_COOP, DEMO_EXERCICE, raw, ignore=["VIREMENT AUTOMATIQUE OCCE"])
    assert len(m.pairs) == 3 and not m.remaining and len(m.ignored) == 2
    assert [u.line.libelle for u in m.unmatched] == ["FRAIS ENVOI CHEQUIER"]
    # statement balance = book balance − the fee not yet entered (the sweep lines cancel out)
    bank, _cash = books.balances(DEMO_COOP, DEMO_EXERCICE, date(2026, 8, 31))
    assert bank - 480 == 185269 and "1 852,69" in raw.decode("utf-8")


def test_a_thousand_lines_of_the_same_amount_pair_without_recursion():
    """The augmenting-path search runs with an explicit stack: a chain of 1,500 lines of the
    same amount (each line's closest entry taken by the line before) is solved, not a
    RecursionError shown as a generic failure."""
    start = date(2025, 9, 1)
    entries = [E(i + 1, f"{i + 1:04d}", start + timedelta(days=i // 8), -1500) for i in range(1500)]
    lines = [L(1, start - timedelta(days=3), -1500)] + [L(i + 2, e.date, -1500) for i, e in enumerate(entries)]
    m = match(lines, entries)
    assert len(m.pairs) == 1500 and len(m.unmatched) == 1
    assert len({id(p.entry) for p in m.pairs}) == 1500  # one to one
