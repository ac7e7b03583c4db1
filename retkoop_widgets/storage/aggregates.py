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

from sqlalchemy import func, select

from . import orm
from .db import engine_of


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
