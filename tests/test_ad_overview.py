"""The AD's overview of its coops (``ad_dashboard.queries.ad_overview``) is set-based
(``Books.crfs``, ``Books.current_exercices``, ``Books.exercice_dates``): it must say, coop
by coop, exactly what the one-coop reads say. SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date

import pytest

from retkoop_widgets.ad_dashboard.queries import ad_overview
from retkoop_widgets.domain.actor import Actor
from retkoop_widgets.domain.crf import crf_json
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
from retkoop_widgets.domain.errors import Forbidden, NotFound
from retkoop_widgets.demo import _generated_year
from retkoop_widgets.services import inventory as inv
from retkoop_widgets.domain.inventory import GoodDraft

from conftest import COOP, EX


@pytest.fixture
def ad(books):
    """AD76: the fixture's coop (empty year), three generated years (one with anomalies,
    one closed then reopened in the next exercice), a coop without exercice, a training
    sandbox; AD27: one coop."""
    for code, seed, anomalies in (("AD76-0102", 102, False), ("AD76-0333", 333, True), ("AD76-0450", 450, False)):
        books.add_coop(code, f"École {seed}", "AD76")
        _generated_year(books, code, seed=seed, opening=(95012, 2300), n=60, anomalies=anomalies)
    books.record_entry("AD76-0102", EX, EntryDraft(date(2026, 3, 2), "Vidéoprojecteur", mode="chèque",
                                                   cheque="1010999", bank_out=45000,
                                                   ventilation=(V("68", 45000),)))
    books.add_coop("AD76-0460", "Sans exercice", "AD76")
    books.close_exercice("AD76-0450", EX)  # its current exercice is now 2026-2027
    books.add_coop("FORM-01", "Bac à sable", "AD76", training=True)
    books.add_ad("AD27", "OCCE Eure")
    books.add_coop("AD27-0001", "École de l'Eure", "AD27")
    _generated_year(books, "AD27-0001", seed=27, opening=(1000, 0), n=10)
    inv.add_good(books, "AD76-0102", GoodDraft("Vidéoprojecteur", date(2026, 3, 2), 40000))
    return books


def one_by_one(books, code):
    """What the overview used to compute, coop by coop."""
    ex = books.current_exercice(code)
    if ex is None:
        return (code, None, None, None, None, None, None, 0)
    entries = books.entries(code, ex.name)
    counts = books.cash_counts(code, ex.name)
    bank, cash = books.balances(code, ex.name)
    return (code, ex.name, bank, cash, max((e.date for e in entries), default=None),
            max((e.statement_date for e in entries if e.pointed and e.statement_date), default=None),
            max((c.date for c in counts), default=None), len(books.alerts(code, ex.name)))


def test_the_overview_says_what_each_coop_says(ad):
    actor = ad.as_user(Actor("ad76", "admin-ad", ad="AD76"))
    rows = ad_overview(actor, "AD76")
    assert [r.code for r in rows] == ["AD76-0102", "AD76-0333", COOP, "AD76-0450", "AD76-0460"]
    got = [(r.code, r.exercice, r.bank, r.cash, r.last_entry, r.last_pointage, r.last_cash_count, r.alerts)
           for r in rows]
    assert got == [one_by_one(ad, r.code) for r in rows]
    by_code = {r.code: r for r in rows}
    assert by_code["AD76-0450"].exercice == "2026-2027" and by_code["AD76-0460"].exercice is None
    assert by_code["AD76-0333"].alerts > 0  # the generated anomalies
    assert ad_overview(actor, "AD27") == []  # another AD: nothing


def test_many_crfs_at_once_equal_one_at_a_time(ad):
    pairs = [("AD76-0102", EX), ("AD76-0333", EX), (COOP, EX), ("AD76-0450", EX), ("AD27-0001", EX)]
    many = ad.crfs(pairs)
    for pair in pairs:
        assert crf_json(many[pair]) == crf_json(ad.crf(*pair))
    # the 68 purchase with a 400 € good for a 450 € entry: the register check is in both
    assert "inventaire_68" in {a.code for a in many[("AD76-0102", EX)].alerts}


def test_many_crfs_refuse_what_one_crf_refuses(ad):
    actor = ad.as_user(Actor("ad76", "admin-ad", ad="AD76"))
    with pytest.raises(Forbidden):
        actor.crfs([("AD76-0102", EX), ("AD27-0001", EX)])
    with pytest.raises(NotFound, match="inconnue"):
        ad.crfs([("AD76-9999", EX)])
    with pytest.raises(NotFound, match="n'est pas ouvert"):
        ad.crfs([("AD76-0460", EX)])


def test_overviews_of_more_coops_than_one_in_list_holds(books):
    """IN lists are cut in chunks of 500 (SQLite allows 32,766 parameters, psycopg 65,535: a
    national overview has tens of thousands of coops): 1,201 coops come back whole."""
    from sqlalchemy import insert
    from retkoop_widgets.storage import orm
    codes = [f"AD76-{i:05d}" for i in range(1201)]
    with books.engine.begin() as conn:
        conn.execute(insert(orm.CoopRow), [{"code": c, "name": c, "ad_code": "AD76", "numbering": "unique",
                                            "training": False} for c in codes])
        conn.execute(insert(orm.ExerciceRow), [{"coop_code": c, "name": EX, "opening_bank": i, "opening_cash": 0,
                                                "state": "ouvert", "version": 1} for i, c in enumerate(codes)])
    current = books.current_exercices(codes)
    assert len(current) == 1201 and current[codes[-1]].opening_bank == 1200
    crfs = books.crfs([(c, EX) for c in codes])
    assert len(crfs) == 1201 and crfs[(codes[700], EX)].closing_bank == 700
    assert len(books.exercice_dates([(c, EX) for c in codes])) == 1201


def test_the_national_summary_adds_up_each_coops_crf_by_ad_and_rubric(ad):
    """``storage.aggregates.national_summary`` (bench/national.py's national figure): per AD
    and CRF rubric, the sum of the rubric totals of every real coop's CRF of the exercice;
    training sandboxes left out (they are not real money), other exercices left out."""
    from collections import Counter

    from retkoop_widgets.storage.aggregates import national_summary
    ad.open_exercice("FORM-01", EX, 0, 0)
    ad.record_entry("FORM-01", EX, EntryDraft(date(2025, 10, 2), "Jeu", bank_in=9900,
                                              ventilation=(V("7080", 9900),)))
    expected: Counter = Counter()
    for code, ad_code in (("AD76-0102", "AD76"), ("AD76-0333", "AD76"), ("AD76-0450", "AD76"), (COOP, "AD76"),
                          ("AD27-0001", "AD27")):
        crf = ad.crf(code, EX)
        for side, classe in (("charges", "charge"), ("produits", "produit")):
            for rubric, amount in crf.rubrics(side):
                expected[(ad_code, classe, rubric)] += amount
    got = {(r.ad, r.classe, r.rubric): r.amount for r in national_summary(ad, EX)}
    assert got == {k: v for k, v in expected.items() if v}
    assert {a for a, _, _ in got} == {"AD76", "AD27"} and all(r.amount > 0 for r in national_summary(ad, EX))
    with_training = {(r.ad, r.classe, r.rubric): r.amount for r in national_summary(ad, EX, include_training=True)}
    assert sum(with_training.values()) - sum(got.values()) == 9900  # the sandbox's receipt
    assert all(r.ad == "AD76" for r in national_summary(ad, "2026-2027"))  # AD76-0450's next year only
