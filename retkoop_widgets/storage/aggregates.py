"""Totals across many cooperatives in one SQL query: what an AD's overview and the analysis
notebooks need (500 coops × 400 entries in well under a second).

Why one aggregate query and not ``Books.crf`` per coop: the CRF loads every entry into
Python to check the invariant and list alerts — right for one coop, far too slow for an
AD's 500. The per-account sums are a projection of the same postings, so grouping the
``posting`` table by coop, exercice and account gives the very numbers of each CRF's
account table, computed by the database.

Amounts are integer cents, signed as stored (debit positive): a charge account's total is
positive, a produit account's total is negative, ``512``/``530`` hold the net movement of
the year (add the opening balances for the closing ones). ``as_crf_amount`` flips the
sign of produits so both read positive, as in the CRF.
"""
from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import func, join, literal_column, select, true

from . import orm
from .db import engine_of


class Ventilation(NamedTuple):
    source: object  # the FROM: entry joined to its charge/produit postings
    account: object
    amount: object
    where: object  # to AND into the statement's WHERE


def ventilation_postings(dialect: str) -> Ventilation:
    """``entry`` joined to its charge/produit postings, shaped so that the cost follows
    the entries asked for, not the size of the whole ``posting`` table.

    Why: summing one AD's postings (650 coops, ~200,000 entries) as a plain join let
    PostgreSQL hash-join a SEQUENTIAL scan of every posting of the database (2 M rows at
    4,500 coops, 31 M at 45,000: 1 s growing to ~15 s; bench/national.py, docs/performance.md).
    On PostgreSQL the postings are a LATERAL subquery with ``OFFSET 0`` (a fence the planner
    does not flatten), so each entry probes the covering partial index
    ``ix_posting_ventilation`` (entry_id, account, amount) once: an index-only nested loop
    whose cost is the entries asked for, at any database size. SQLite has no LATERAL and
    plans the plain join as that nested loop anyway."""
    e, p = orm.EntryRow, orm.PostingRow
    if dialect == "postgresql":
        v = (select(p.account.label("account"), p.amount.label("amount"))
             .where(p.entry_id == e.id, orm.is_ventilation(p)).offset(literal_column("0")).lateral("ventilation"))
        return Ventilation(join(e, v, true()), v.c.account, v.c.amount, true())
    return Ventilation(join(p, e, e.id == p.entry_id), p.account, p.amount, orm.is_ventilation(p))


class CoopAccountTotal(NamedTuple):
    ad: str
    coop: str
    exercice: str
    account: str
    amount: int  # cents, debit positive (produits negative)
    postings: int


def totals_query(ad: str | None = None, exercice: str | None = None, *, include_training: bool = False):
    """The SELECT itself (for notebooks that want it in ``pandas.read_sql``).

    Shape matters for speed: postings are summed per (exercice id, account) — integers and
    a short code — over the exercices chosen by a sub-select, and only the ~10,000 result
    rows are joined to the coop names. Grouping directly by the coop and exercice names was
    5× slower on SQLite (a temporary B-tree over 400,000 string keys)."""
    p, e, x, c = orm.PostingRow, orm.EntryRow, orm.ExerciceRow, orm.CoopRow
    chosen = select(x.id).join(c, c.code == x.coop_code)
    if ad:
        chosen = chosen.where(c.ad_code == ad)
    if exercice:
        chosen = chosen.where(x.name == exercice)
    if not include_training:
        chosen = chosen.where(c.training.is_(False))
    sums = (select(e.exercice_id.label("xid"), p.account.label("account"),
                   func.sum(p.amount).label("amount"), func.count().label("postings"))
            .select_from(p).join(e, e.id == p.entry_id)
            .where(e.exercice_id.in_(chosen))
            .group_by(e.exercice_id, p.account)).subquery("sums")
    return (select(c.ad_code.label("ad"), x.coop_code.label("coop"), x.name.label("exercice"),
                   sums.c.account, sums.c.amount, sums.c.postings)
            .select_from(sums).join(x, x.id == sums.c.xid).join(c, c.code == x.coop_code)
            .order_by(c.ad_code, x.coop_code, x.name, sums.c.account))


def totals_by_coop(engine_or_books, ad: str | None = None, exercice: str | None = None, *,
                   include_training: bool = False) -> list[CoopAccountTotal]:
    """Per (AD, coop, exercice, account): the sum of postings, in one query.

    ``engine_or_books``: an SQLAlchemy ``Engine``, a ``Books`` or a database URL.
    Training coops are left out unless asked for: they are not real money."""
    with engine_of(engine_or_books).connect() as conn:
        rows = conn.execute(totals_query(ad, exercice, include_training=include_training))
        return [CoopAccountTotal(r.ad, r.coop, r.exercice, r.account, int(r.amount), int(r.postings))
                for r in rows]


def as_crf_amount(row: CoopAccountTotal) -> int:
    """The total as the CRF shows it: charges and produits both positive."""
    return -row.amount if row.account.startswith("7") else row.amount


class AdRubricTotal(NamedTuple):
    ad: str
    classe: str  # charge | produit
    rubric: str  # the CRF rubric of the AD's chart (an account outside it: « compte … hors plan »)
    amount: int  # cents as the CRF shows them: charges and produits both positive
    postings: int
    coops: int  # coops with at least one posting in the rubric


def national_query(exercice: str | None = None, *, include_training: bool = False):
    """Per (AD, account): charge and produit postings of every coop, and how many coops.

    Two levels, like ``totals_query``: postings summed per (exercice id, account) over the
    covering partial index ``ix_posting_ventilation`` (its predicate repeated inline), then
    the ~40 rows per exercice joined to their coop and summed again per AD. The cost is one
    pass over the charge/produit postings of the exercice asked: it grows with the network,
    as a national figure must, but never joins names row by row."""
    p, e, x, c = orm.PostingRow, orm.EntryRow, orm.ExerciceRow, orm.CoopRow
    chosen = select(x.id).join(c, c.code == x.coop_code)
    if exercice:
        chosen = chosen.where(x.name == exercice)
    if not include_training:
        chosen = chosen.where(c.training.is_(False))
    sums = (select(e.exercice_id.label("xid"), p.account.label("account"),
                   func.sum(p.amount).label("amount"), func.count().label("postings"))
            .select_from(p).join(e, e.id == p.entry_id)
            .where(e.exercice_id.in_(chosen), orm.is_ventilation(p))
            .group_by(e.exercice_id, p.account)).subquery("sums")
    return (select(c.ad_code.label("ad"), sums.c.account, func.sum(sums.c.amount).label("amount"),
                   func.sum(sums.c.postings).label("postings"), func.count().label("coops"))
            .select_from(sums).join(x, x.id == sums.c.xid).join(c, c.code == x.coop_code)
            .group_by(c.ad_code, sums.c.account).order_by(c.ad_code, sums.c.account))


def national_summary(engine_or_books, exercice: str | None = None, *,
                     include_training: bool = False) -> list[AdRubricTotal]:
    """The whole network's charges and produits by AD and CRF rubric (each AD's own chart,
    or the OCCE's), computed on demand: one statement (``national_query``, ~40 rows per AD)
    then a per-AD rubric mapping in Python. Measured by ``bench/national.py``; why it is
    not a materialised summary: docs/performance.md."""
    from sqlalchemy.orm import Session

    from .repository import Repository
    with engine_of(engine_or_books).connect() as conn:
        rows = conn.execute(national_query(exercice, include_training=include_training)).all()
        repo = Repository(Session(bind=conn))
        charts = {ad: repo.chart(ad) for ad in {r.ad for r in rows}}
    out: dict[tuple[str, str, str], list[int]] = {}
    for r in rows:
        acc = charts[r.ad].get(r.account)
        classe = acc.classe if acc else ("produit" if r.account.startswith("7") else "charge")
        rubric = acc.rubrique if acc and acc.rubrique else f"compte {r.account} hors plan"
        amount = -int(r.amount) if classe == "produit" else int(r.amount)
        t = out.setdefault((r.ad, classe, rubric), [0, 0, 0])
        t[0] += amount
        t[1] += int(r.postings)
        t[2] = max(t[2], int(r.coops))  # a coop may use two accounts of a rubric: a lower bound
    return [AdRubricTotal(ad, classe, rubric, *v) for (ad, classe, rubric), v in sorted(out.items())]
