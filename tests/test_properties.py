"""Property tests over random valid cahiers: receipts, expenses, transfers, splits, actions,
pointage, awkward text.

* the CRF invariant holds and the closing balances equal an independent sum of the movements;
* export CSV → parse → import into another coop gives the same CRF JSON (and the same file);
* a batch holding one invalid draft is refused and changes nothing in the database.

Each database example creates fresh coops in the test's database: SQLite runs 25 examples,
PostgreSQL a smaller 8 (each example is several transactions).
"""
import itertools
from dataclasses import replace
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings, strategies as st

from retkoop_widgets.domain.chart import default_chart
from retkoop_widgets.domain.crf import compute_crf, crf_json
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V, build_entry, with_identity
from retkoop_widgets.domain.errors import ValidationError
from retkoop_widgets.domain.exercice import Exercice
from retkoop_widgets.io import export_cahier, parse_cahier

from conftest import EX, TODAY

CHART = default_chart()
START = date(2025, 9, 1)
PRODUITS = [a.code for a in CHART.of_class("produit")]
CHARGES = [a.code for a in CHART.of_class("charge")]
OPENING = (184237, 6350)
_coops = itertools.count(1)

text = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCÉÈÀÇéèêàç;\"',.-—€&0123456789=+@",
               min_size=1, max_size=40).map(str.strip).filter(bool)
cents = st.integers(min_value=1, max_value=500_000)
day = st.integers(min_value=0, max_value=364).map(lambda n: START + timedelta(days=n))


@st.composite
def ventilated(draw, receipt: bool) -> EntryDraft:
    accounts = PRODUITS if receipt else CHARGES
    # codes as a user may type them: short or OCCE
    lines = draw(st.lists(st.tuples(st.sampled_from(accounts), cents, st.sampled_from(["", "", "Noël", "Classe verte"]),
                                    st.booleans()), min_size=1, max_size=4))
    ventilation = tuple(V(CHART.get(a).code_occe if occe else a, c, act) for a, c, act, occe in lines)
    amount = sum(c for _, c, _, _ in lines)
    where = draw(st.sampled_from(["bank", "cash", "both"] if amount > 1 else ["bank", "cash"]))
    bank = amount if where == "bank" else 0
    cash = amount if where == "cash" else 0
    if where == "both":
        bank = draw(st.integers(min_value=1, max_value=amount - 1))
        cash = amount - bank
    mode = {"bank": draw(st.sampled_from(["", "chèque", "virement", "carte", "prélèvement"])),
            "cash": draw(st.sampled_from(["", "espèces"])), "both": ""}[where]
    cheque = str(draw(st.integers(1000000, 9999999))) if mode == "chèque" and not receipt else ""
    d = draw(day)
    pointed, statement = _pointage(draw, d, bool(bank))
    return EntryDraft(d, draw(text), tiers=draw(st.one_of(st.just(""), text)), mode=mode, cheque=cheque,
                      bank_in=bank if receipt else 0, bank_out=0 if receipt else bank,
                      cash_in=cash if receipt else 0, cash_out=0 if receipt else cash,
                      ventilation=ventilation, pointed=pointed, statement_date=statement)


def _pointage(draw, d: date, bank: bool):
    if not bank or not draw(st.booleans()):
        return False, None
    if draw(st.booleans()):
        return True, None
    # never after "today": the books refuse a statement dated in the future
    return True, min(d + timedelta(days=draw(st.integers(0, 60))), TODAY)


@st.composite
def transfer(draw) -> EntryDraft:
    amount, d = draw(cents), draw(day)
    to_bank = draw(st.booleans())
    pointed, statement = _pointage(draw, d, True)
    return EntryDraft(d, draw(text), bank_in=amount if to_bank else 0, bank_out=0 if to_bank else amount,
                      cash_in=0 if to_bank else amount, cash_out=amount if to_bank else 0,
                      pointed=pointed, statement_date=statement)


entry_draft = st.one_of(ventilated(True), ventilated(False), transfer())


@st.composite
def cahier(draw, min_size=1, max_size=15) -> list[EntryDraft]:
    drafts = draw(st.lists(entry_draft, min_size=min_size, max_size=max_size))
    # some pièces given in the file, the others numbered by the books
    return [replace(d, piece=f"P{i:03d}") if draw(st.booleans()) else d for i, d in enumerate(drafts)]


def _located(drafts):
    return [(f"ligne {i + 2}", d) for i, d in enumerate(drafts)]


def _new_coop(books) -> str:
    code = f"AD76-P{next(_coops):04d}"
    books.add_coop(code, "Propriété", "AD76")
    books.open_exercice(code, EX, *OPENING)
    return code


def _db_settings(db_url: str):
    n = 25 if db_url.startswith("sqlite") else 8
    return settings(max_examples=n, deadline=None, derandomize=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# -- pure: no database ----------------------------------------------------------------
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cahier())
def test_csv_round_trip_is_exact_without_a_database(drafts):
    entries = [with_identity(build_entry(replace(d, piece=d.piece or f"N{i:03d}"), CHART), id=i + 1, version=1)
               for i, d in enumerate(drafts)]
    text = export_cahier(entries, CHART)
    again = [with_identity(build_entry(d, CHART), id=i + 1, version=1)
             for i, (_, d) in enumerate(parse_cahier(text, CHART))]
    assert export_cahier(again, CHART) == text
    ex = Exercice("X", EX, *OPENING)
    a = crf_json(compute_crf(ex, entries, CHART, today=TODAY))
    b = crf_json(compute_crf(ex, again, CHART, today=TODAY))
    assert a == b
    by_piece = {e.piece: e for e in again}
    for e in entries:
        f = by_piece[e.piece]
        assert (f.date, f.libelle, f.tiers, f.mode, f.cheque, f.bank, f.cash, f.pointed, f.statement_date) == \
               (e.date, e.libelle, e.tiers, e.mode, e.cheque, e.bank, e.cash, e.pointed, e.statement_date)
        assert _summed(f) == _summed(e)


def _summed(e) -> dict:
    out: dict = {}
    for p in e.ventilation:
        out[(p.account, p.action)] = out.get((p.account, p.action), 0) + p.amount
    return out


# -- with the books ---------------------------------------------------------------------
def test_invariant_and_round_trip_through_the_books(books, db_url):
    @_db_settings(db_url)
    @given(cahier())
    def prop(drafts):
        coop = _new_coop(books)
        books.import_drafts(coop, EX, _located(drafts))
        crf = books.crf(coop, EX)
        # the invariant, and the closing balances against an independent sum of what was typed
        assert sum(OPENING) + crf.total_produits - crf.total_charges == crf.closing_bank + crf.closing_cash
        assert crf.closing_bank == OPENING[0] + sum(d.bank_in - d.bank_out for d in drafts)
        assert crf.closing_cash == OPENING[1] + sum(d.cash_in - d.cash_out for d in drafts)
        typed_produits = sum(v.amount for d in drafts if d.bank_in + d.cash_in and d.ventilation
                             for v in d.ventilation)
        assert crf.total_produits == typed_produits
        # CSV round trip into another coop
        chart = books.chart(coop)
        text = export_cahier(books.entries(coop, EX), chart)
        copy = _new_coop(books)
        books.import_drafts(copy, EX, parse_cahier(text, chart))
        a, b = crf_json(books.crf(coop, EX)), crf_json(books.crf(copy, EX))
        a.pop("coop"), b.pop("coop")
        assert a == b
        assert export_cahier(books.entries(copy, EX), chart) == text

    prop()


def test_the_books_crf_equals_the_pure_crf_of_its_entries(books, db_url, clock):
    """``Books.crf`` reads set queries (account totals, a movement scan, only the flagged
    lines); ``compute_crf`` walks whole entries. Same books, same CRF — alerts, their
    order, the unpointed lines and the statement balance included — whatever "today" is
    (future-dated lines) and after a pointed line is changed."""
    @_db_settings(db_url)
    @given(cahier(max_size=25), st.integers(0, 400), st.booleans())
    def prop(drafts, today_offset, edit_pointed):
        clock.day = TODAY  # the previous example moved it
        coop = _new_coop(books)
        books.import_drafts(coop, EX, _located(drafts))
        entries = books.entries(coop, EX)
        pointed = [e for e in entries if e.pointed and e.date > START]
        if edit_pointed and pointed:  # one day earlier: the bank statement no longer matches
            e = pointed[0]
            books.update_entry(e.id, e.version, EntryDraft(
                e.date - timedelta(days=1), e.libelle, piece=e.piece, tiers=e.tiers, mode=e.mode, cheque=e.cheque,
                bank_in=max(e.bank, 0), bank_out=max(-e.bank, 0), cash_in=max(e.cash, 0),
                cash_out=max(-e.cash, 0), ventilation=tuple(V(p.account, abs(p.amount), p.action)
                                                             for p in e.ventilation),
                pointed=True, statement_date=e.statement_date))
            entries = books.entries(coop, EX)
        clock.day = START + timedelta(days=today_offset)
        pure = compute_crf(books.exercice(coop, EX), entries, books.chart(coop), today=clock.day)
        assert crf_json(books.crf(coop, EX)) == crf_json(pure)

    prop()


@st.composite
def invalid(draw, used_piece: str) -> EntryDraft:
    """A draft the books must refuse, with what makes it wrong."""
    base = draw(ventilated(draw(st.booleans())))
    how = draw(st.sampled_from(["gap", "class", "date", "piece", "zero", "account", "transfer_ventilation"]))
    if how == "gap":
        first = base.ventilation[0]
        delta = draw(st.sampled_from([-1, 1])) if first.amount > 1 else 1
        return replace(base, ventilation=(replace(first, amount=first.amount + delta),) + base.ventilation[1:])
    if how == "class":
        receipt = bool(base.bank_in or base.cash_in)
        wrong = draw(st.sampled_from(CHARGES if receipt else PRODUITS))
        return replace(base, ventilation=base.ventilation + (V(wrong, 100),),
                       bank_in=base.bank_in + 100 if base.bank_in else 0,
                       bank_out=base.bank_out + 100 if base.bank_out else 0,
                       cash_in=base.cash_in + 100 if not base.bank_in and base.cash_in else base.cash_in,
                       cash_out=base.cash_out + 100 if not base.bank_out and base.cash_out else base.cash_out)
    if how == "date":
        return replace(base, date=draw(st.sampled_from([date(2025, 8, 31), date(2026, 9, 1), date(2024, 12, 1)])))
    if how == "piece":
        return replace(base, piece=used_piece)
    if how == "zero":
        return replace(base, bank_in=0, bank_out=0, cash_in=0, cash_out=0)
    if how == "account":
        return replace(base, ventilation=(replace(base.ventilation[0], account="6999"),) + base.ventilation[1:])
    return replace(draw(transfer()), ventilation=(V(PRODUITS[0], 100),))


def test_a_batch_with_one_invalid_draft_changes_nothing(books, db_url):
    @_db_settings(db_url)
    @given(st.data())
    def prop(data):
        coop = _new_coop(books)
        first = data.draw(cahier(min_size=1, max_size=6))
        books.import_drafts(coop, EX, _located(first))
        existing = books.entries(coop, EX)
        batch = data.draw(cahier(min_size=0, max_size=8))
        batch = [replace(d, piece=f"Q{i:03d}") if d.piece else d for i, d in enumerate(batch)]
        bad = data.draw(invalid(existing[0].piece))
        at = data.draw(st.integers(0, len(batch)))
        batch.insert(at, bad)
        before = (existing, crf_json(books.crf(coop, EX)), len(books.audit_log(coop, limit=10_000)))
        try:
            books.import_drafts(coop, EX, _located(batch))
        except ValidationError as err:
            assert any(p.where == f"ligne {at + 2}" for p in err.problems), err
        else:
            raise AssertionError(f"the invalid draft was accepted: {bad}")
        after = (books.entries(coop, EX), crf_json(books.crf(coop, EX)), len(books.audit_log(coop, limit=10_000)))
        assert after == before

    prop()
