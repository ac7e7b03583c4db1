"""Strict parsing of amounts as French users type them (pure, no database)."""
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from retkoop_widgets.domain.errors import ValidationError
from retkoop_widgets.domain.money import (MAX_CENTS, format_eur, format_plain, from_decimal_str,
                                          parse_amount, to_decimal_str)


@pytest.mark.parametrize("text, cents", [
    ("1 234,56", 123456), ("1234.56", 123456), ("1234,56", 123456), ("12,5", 1250), ("12", 1200),
    ("1\u00a0234,56", 123456), ("1\u202f234,56", 123456), ("1 234,56 €", 123456), ("1234,56€", 123456),
    ("€ 3", 300), ("0,01", 1), (",50", 50), ("  9,50  ", 950), ("1.234,56", 123456), ("1 000 000", 100000000),
    ("10 000 000", MAX_CENTS), ("3 EUR", 300), (Decimal("174.50"), 17450), (42, 4200),
])
def test_accepted_forms(text, cents):
    assert parse_amount(text) == cents


@pytest.mark.parametrize("text, message", [
    ("", "le montant est vide"),
    ("   ", "le montant est vide"),
    ("12,345", "plus de deux décimales"),
    ("1,234.56", "ambigu"),
    ("-5", "pas de signe ici"),
    ("+5", "pas de signe ici"),
    ("abc", "n'est pas un montant"),
    ("12,3,4", "n'est pas un montant"),
    ("1 23,45", "groupes de trois chiffres"),
    ("10 000 000,01", "dépasse 10 000 000 €"),
    ("99999999999999", "dépasse 10 000 000 €"),
    ("0", "ne peut pas être nul"),
    ("0,00", "ne peut pas être nul"),
    ("1e3", "n'est pas un montant"),
    ("١٢", "n'est pas un montant"),
    (Decimal("1.001"), "plus de deux décimales"),
    (True, "montant invalide"),
])
def test_refusals_are_french_and_name_the_field(text, message):
    with pytest.raises(ValidationError) as err:
        parse_amount(text, "banque entrée")
    assert message in str(err.value)
    assert err.value.problems[0].field == "banque entrée"


def test_options_for_balances():
    assert parse_amount("", allow_empty=True) == 0
    assert parse_amount("0", allow_zero=True) == 0
    assert parse_amount("-12,30", allow_negative=True) == -1230


def test_formats():
    assert format_eur(123456) == "1 234,56 €"
    assert format_eur(-5) == "-0,05 €"
    assert format_eur(100000000) == "1 000 000,00 €"
    assert format_eur(123456, nbsp=True) == "1\u202f234,56\u00a0€"
    assert format_eur(950, symbol=False) == "9,50"
    assert format_plain(-123456) == "-1234,56"
    assert to_decimal_str(-5) == "-0.05" and to_decimal_str(190587) == "1905.87"


@given(st.integers(min_value=1, max_value=MAX_CENTS))
def test_format_then_parse_round_trips(cents):
    assert parse_amount(format_eur(cents)) == cents
    assert parse_amount(format_eur(cents, nbsp=True)) == cents
    assert parse_amount(format_plain(cents)) == cents
    assert from_decimal_str(to_decimal_str(cents)) == cents
