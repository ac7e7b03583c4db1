"""The compte rendu financier (CRF), for one exercice or hundreds at once, and the
overview reads an AD's dashboard needs."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Sequence

from ..domain.crf import Crf, PreviousYear, cash_at, crf_from_totals, previous_year
from ..domain.errors import NotFound, RetkoopError
from ..domain.exercice import parse_name
from ..domain.inventory import DurableExpense, compare_register, durable_goods_codes
from ..domain.ledger import Alert, TreasuryLine, review_treasury
from .guard import exercice_name, reading

if TYPE_CHECKING:  # pragma: no cover
    from .books import Books


def _durable_expenses(found: Sequence[tuple[str, DurableExpense]], codes: frozenset[str]) -> list[DurableExpense]:
    """Each entry's part on THIS chart's biens durables account(s), in cahier date order:
    the query took the union of every AD's codes, and an entry may use two of them."""
    by_entry: dict[int, DurableExpense] = {}
    for account, x in found:
        if account in codes:
            prev = by_entry.get(x.entry_id)
            by_entry[x.entry_id] = x if prev is None else replace(prev, amount=prev.amount + x.amount)
    return sorted((x for x in by_entry.values() if x.amount), key=lambda x: (x.date, x.entry_id))


def _carried(found, name: str) -> list[TreasuryLine]:
    """An earlier exercice's late lines as ``TreasuryLine`` naming their year."""
    return [TreasuryLine(e.piece, e.date, e.libelle, e.bank, e.cash, e.cheque, e.pointed, e.statement_date,
                         e.changed_after_pointage, e.id, name) for e in found]


def crf(books: "Books", coop: str, name: str) -> Crf:
    """The compte rendu financier of one exercice (see ``crfs``); ``name`` as typed."""
    name = exercice_name(name)
    return crfs(books, [(coop, name)])[(coop, name)]


def crfs(books: "Books", wanted: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Crf]:
    """The CRFs of many (coop, exercice) pairs, from set queries: per-account totals,
    each entry's treasury movements as plain tuples, full lines only for those a CRF
    reports on (``ledger.review_treasury``), cash counts, subsidies and the inventory
    check — each ONE statement for all the pairs, so an AD's overview of 650 coops
    costs a dozen queries instead of 650 × 10. Every coop is permission-checked; an
    unknown coop or exercice raises as ``crf`` always did.

    Year-end continuity: each CRF also carries the bank lines of the coop's EARLIER
    exercices still not on the statement at its end (``Crf.outstanding_previous``; one
    more query, ``late_bank_lines_many``), so a cheque of August 2026 not cashed by
    31/08/2027 is in 2026-2027's reconciliation with its year, and its statement balance
    accounts for it. Everything is as of the exercice's end: pointing such a line later,
    on a statement dated after that end, changes no CRF already reported.

    Each name goes through ``exercice_name`` (``2025/2026`` is ``2025-2026``); the result
    is keyed by the pairs as asked."""
    asked = list(dict.fromkeys(wanted))
    named = {pair: (pair[0], exercice_name(pair[1])) for pair in asked}
    found = _crfs(books, list(dict.fromkeys(named.values())))
    return {pair: found[named[pair]] for pair in asked}


def _crfs(books: "Books", wanted: list[tuple[str, str]]) -> dict[tuple[str, str], Crf]:
    today = books.today()
    with reading(books) as r:
        repo = r.repo
        codes = list(dict.fromkeys(c for c, _ in wanted))
        coops = repo.coops_by_code(codes)
        exercices = {(x.coop, x.name): x for x in repo.exercices_of(codes)}
        for code, name in wanted:  # the refusals of ``reading(books, coop, name)``, in the order asked
            c = coops.get(code)
            if c is None:
                raise NotFound(f"coopérative « {code} » inconnue")
            books.actor.require(False, c.code, c.ad_code, c.training)
            if (code, name) not in exercices:
                parse_name(name)
                raise NotFound(f"l'exercice {name} de la coopérative {code} n'est pas ouvert "
                               f"(retkoop exercice open {code} {name})")
        chosen = {pair: exercices[pair] for pair in wanted}
        ids = [x.id for x in chosen.values()]
        ads = {a.code: a.name for a in repo.ads()}
        charts = {ad: repo.chart(ad) for ad in {coops[c].ad_code for c, _ in wanted}}
        durable_codes = {ad: durable_goods_codes(chart) for ad, chart in charts.items()}
        ends = {x.id: x.end for x in chosen.values()}
        movements, details = repo.treasury_movements_many(ids), repo.treasury_details_many(ids, today, ends)
        latest: dict[str, date] = {}  # per coop, the latest start asked: earlier exercices end before it
        for x in chosen.values():
            latest[x.coop] = max(latest.get(x.coop, x.start), x.start)
        earlier = {x.id: x for x in exercices.values() if x.coop in latest and x.end < latest[x.coop]}
        late = repo.late_bank_lines_many({x.id: x.end for x in earlier.values()}) if earlier else {}
        totals, expenses = repo.ventilation_totals_many(ids, set().union(*durable_codes.values()))
        before = {x.id: p for x in chosen.values() if (p := _previous_of(x, exercices.values())) is not None}
        before_totals, _ = repo.ventilation_totals_many(sorted({p.id for p in before.values()})) if before else ({}, {})
        counts, subsidies = repo.cash_counts_many(ids), repo.subsidies_many(ids)
        submissions = repo.submissions_many(ids)
        goods = repo.goods_of_coops(codes)
        out = {}
        for (code, name), ex in chosen.items():
            c, xid = coops[code], ex.id
            carried = [line for x in earlier.values() if x.coop == code and x.end < ex.start
                       for line in _carried(late[x.id], x.name)]
            review = review_treasury(ex, movements[xid], details[xid], today, carried)
            mine = _durable_expenses(expenses[xid], durable_codes[c.ad_code])
            submitted_at = submissions[xid].submitted_at
            count = counts[xid][-1] if counts[xid] else None
            out[(code, name)] = crf_from_totals(
                ex, totals[xid], review, charts[c.ad_code],
                register=compare_register(ex, goods[code], mine),
                cash_count=count, subsidies=subsidies[xid],
                cash_count_book=cash_at(ex, ((m[0], m[4]) for m in movements[xid]), count),
                coop_name=c.name, ad=ads.get(c.ad_code) or c.ad_code,
                submitted_at=submitted_at.strftime("%d/%m/%Y") if submitted_at else None,
                previous=(previous_year(before[xid].name, before_totals[before[xid].id], charts[c.ad_code])
                          if xid in before else None))
        return out


def _previous_of(ex, exercices):
    """The coop's exercice just before ``ex`` (the latest that ends before it starts), or None."""
    earlier = [x for x in exercices if x.coop == ex.coop and x.end < ex.start]
    return max(earlier, key=lambda x: x.end) if earlier else None


def previous(books: "Books", coop: str, name: str) -> PreviousYear | None:
    """The previous exercice's charges and produits, for the dashboard's live CRF (which the
    domain computes from the cached entries): one read of its per-account totals."""
    name = exercice_name(name)
    with reading(books, coop, name) as r:
        ex = r.exercice
        before = _previous_of(ex, r.repo.exercices_of([coop]))
        if before is None:
            return None
        totals, _ = r.repo.ventilation_totals_many([before.id])
        return previous_year(before.name, totals[before.id], r.repo.chart(r.coop.ad_code))


def exercice_dates(books: "Books", wanted: Sequence[tuple[str, str]]
                   ) -> dict[tuple[str, str], tuple[date | None, date | None]]:
    """Per (coop, exercice): the last entry's date and the last pointage (statement
    date), for overviews; one GROUP BY for all the pairs. Unreadable or unknown pairs
    are left out, as are names that are no school year; the others are normalised
    (``exercice_name``) and the result keyed by the pairs as asked."""
    named = {}
    for pair in wanted:
        try:
            named[pair] = (pair[0], exercice_name(pair[1]))
        except RetkoopError:
            continue
    asked, wanted = wanted, list(dict.fromkeys(named.values()))
    with reading(books) as r:
        codes = list(dict.fromkeys(c for c, _ in wanted))
        coops = {code: c for code, c in r.repo.coops_by_code(codes).items()
                 if books.actor.may_read(c.code, c.ad_code, c.training)}
        known = {(x.coop, x.name): x.id for x in r.repo.exercices_of(list(coops))}
        pairs = {pair: known[pair] for pair in wanted if pair in known}
        dates = r.repo.entry_dates_many(list(pairs.values()))
        return {pair: dates[pairs[named[pair]]] for pair in asked if named.get(pair) in pairs}


def alerts(books: "Books", coop: str, name: str) -> list[Alert]:
    return list(crf(books, coop, name).alerts)
