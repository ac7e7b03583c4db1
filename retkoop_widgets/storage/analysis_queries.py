"""Set-based SQL over one AD's coops for one exercice: a handful of queries, never one
per coop (an AD has 200–650 coops), and none returning one row per entry.

Each query lets the database reduce the big tables to a few rows per coop:

* ``account_sums`` — postings of charge and produit accounts grouped by (exercice,
  account): the CRF's account totals (the only pass over ``posting``; ~20 rows per coop);
* ``entry_stats`` — one row per exercice from ``entry``'s narrow ``bank``/``cash`` columns
  (migration 0003): number of entries, net bank and cash movements, last pointage, and the
  bank lines still unpointed after 60 days (conditional aggregates, one scan);
* ``daily_flows`` — one row per DAY over the whole AD (≤ 366 rows) for the monthly flows;
* ``cash_findings`` — one row per exercice with a finding, from its cash lines: a window
  function for the end-of-day cash balance (negative cash) and each receipt's next deposit
  (cash banked late);
* ``last_cash_counts`` / ``subsidy_sums`` — one row per exercice.

Why not one row per entry and pandas: on 500 coops × 400 entries that meant shipping
200 000 rows (joined through ``posting``) to Python; these statements return about
6 000 rows in all (see docs/analysis.md for the measured figures).

Every function takes an open SQLAlchemy ``Connection`` (read-only in practice) and returns
a pandas DataFrame. Amounts are integer cents as stored (debit positive); dates come back
as ISO text (``dates`` parses a column at once). Training coops are always excluded:
sandboxes must never weigh on an AD's figures. The statements run on SQLite (≥ 3.25 for
window functions) and PostgreSQL; the dialect-specific pieces are a day difference and
how ``cash_findings`` finds each receipt's next deposit (``_next_deposit``).

The scans read covering indexes only (migration 0004): ``ix_entry_exercice_scan`` for
``entry_stats``/``daily_flows``, the partial ``ix_entry_cash_lines`` for ``cash_findings`` and
``ix_posting_ventilation`` for ``account_sums``.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import (Connection, Date, Integer, String, and_, case, cast, false, func, literal, literal_column, or_,
                        select)
from sqlalchemy.orm import aliased

from . import orm
from .aggregates import ventilation_postings

C, X, E, P = orm.CoopRow, orm.ExerciceRow, orm.EntryRow, orm.PostingRow
CC, S = orm.CashCountRow, orm.SubsidyRow

# The predicates of the partial indexes ``ix_entry_cash_lines`` and ``ix_posting_ventilation``
# (storage/orm.py, migration 0004), written with INLINE constants: a database uses a partial
# index only when it can prove the query's WHERE implies the index's, which PostgreSQL
# cannot do from a bound parameter once it switches a prepared statement to a generic plan.


def _cash_line(e=E):
    return e.cash != literal_column("0")


def _ventilation(p=P):
    return orm.is_ventilation(p)


def _frame(conn: Connection, q, int_cols=()) -> pd.DataFrame:
    """Run ``q`` and build the DataFrame from plain tuples (cheaper than ``read_sql``'s
    per-value type inference). Rows are turned into tuples first: given SQLAlchemy ``Row``
    objects, pandas probes each one with ``hasattr`` and every miss raises inside SQLAlchemy
    (~25 ms on ``account_sums``' 6 000 rows)."""
    result = conn.execute(q)
    df = pd.DataFrame.from_records([tuple(row) for row in result.all()], columns=list(result.keys()))
    for col in int_cols:
        df[col] = pd.to_numeric(df[col]).fillna(0).astype("int64")
    return df


def _iso(col):
    """A date column as ISO text: no per-row date objects, ``pd.to_datetime`` parses it at once."""
    return cast(col, String)


def dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, format="%Y-%m-%d", errors="coerce")


def _days_between(conn: Connection, later, earlier):
    """``later - earlier`` in whole days: PostgreSQL subtracts dates natively, SQLite
    (dates stored as ISO text) goes through ``julianday``."""
    if conn.dialect.name == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return later - earlier


def _scope_ids(ad: str, exercice: str):
    return (select(X.id).join(C, C.code == X.coop_code)
            .where(C.ad_code == ad, C.training == false(), X.name == exercice)).scalar_subquery()


def _treasury_entries(ad: str, exercice: str):
    """The scope's entries that move bank or cash — every valid entry does (the ledger
    refuses a zero amount), so this equals "entries with a 512/530 posting"."""
    return and_(E.exercice_id.in_(_scope_ids(ad, exercice)), or_(E.bank != 0, E.cash != 0))


def coops(conn: Connection, ad: str, exercice: str) -> pd.DataFrame:
    """Every real coop of the AD with its exercice row if it has one (LEFT JOIN: a coop
    without the exercice is itself a finding)."""
    q = (select(C.code.label("code"), C.name.label("nom"), X.id.label("exercice_id"), X.state.label("etat"),
                X.opening_bank.label("ouverture_banque"), X.opening_cash.label("ouverture_caisse"),
                X.submitted_at.label("soumis_le"))
         .select_from(C).outerjoin(X, and_(X.coop_code == C.code, X.name == exercice))
         .where(C.ad_code == ad, C.training == false()).order_by(C.code))
    return _frame(conn, q, ["ouverture_banque", "ouverture_caisse"])


def account_sums(conn: Connection, ad: str, exercice: str) -> pd.DataFrame:
    """(exercice, account) → sum of postings and number of postings, charges and produits
    only: the 512/530 totals are ``entry_stats``' sums of ``entry.bank``/``entry.cash``
    (the same numbers — the CRF checks that invariant — without joining half the postings)."""
    v = ventilation_postings(conn.dialect.name)  # each entry probes the index: cost ∝ the AD, not the database
    q = (select(E.exercice_id.label("exercice_id"), v.account.label("compte"), func.sum(v.amount).label("montant"),
                func.count().label("lignes"))
         .select_from(v.source)
         .where(E.exercice_id.in_(_scope_ids(ad, exercice)), v.where)
         .group_by(E.exercice_id, v.account))
    return _frame(conn, q, ["montant", "lignes"])


def entry_stats(conn: Connection, ad: str, exercice: str, stale_before: date) -> pd.DataFrame:
    """One row per exercice: entries, net bank and cash movements, last statement date
    (last pointage), and the bank lines dated before ``stale_before`` that are not pointed
    (number, oldest date, net amount) — all conditional aggregates of one scan of ``entry``."""
    # most lines are pointed: testing ``pointed`` first ends the condition soonest
    stale = and_(E.pointed == false(), E.bank != 0, E.date < literal(stale_before, Date))
    q = (select(E.exercice_id.label("exercice_id"), func.count().label("ecritures"),
                func.sum(E.bank).label("mouvement_banque"), func.sum(E.cash).label("mouvement_caisse"),
                _iso(func.max(E.statement_date)).label("dernier_pointage"),
                func.sum(case((stale, 1), else_=0)).label("non_pointees"),
                _iso(func.min(case((stale, E.date)))).label("non_pointee_premiere"),
                func.sum(case((stale, E.bank), else_=0)).label("non_pointees_solde"))
         .where(_treasury_entries(ad, exercice)).group_by(E.exercice_id))
    return _frame(conn, q, ["ecritures", "mouvement_banque", "mouvement_caisse", "non_pointees",
                            "non_pointees_solde"])


def daily_flows(conn: Connection, ad: str, exercice: str) -> pd.DataFrame:
    """One row per day over the whole AD: receipts and expenses (an entry's produits or
    charges equal its treasury movement ``bank + cash``), bank and cash in and out."""
    mv = E.bank + E.cash

    def pos(x):
        return func.sum(case((x > 0, x), else_=0))

    def neg(x):
        return func.sum(case((x < 0, -x), else_=0))

    q = (select(_iso(E.date).label("date"), pos(mv).label("produits"), neg(mv).label("charges"),
                pos(E.bank).label("entrees_banque"), neg(E.bank).label("sorties_banque"),
                pos(E.cash).label("entrees_caisse"), neg(E.cash).label("sorties_caisse"))
         .where(_treasury_entries(ad, exercice)).group_by(E.date).order_by(E.date))
    return _frame(conn, q, ["produits", "charges", "entrees_banque", "sorties_banque", "entrees_caisse",
                            "sorties_caisse"])


def cash_findings(conn: Connection, ad: str, exercice: str, today: date, days: int) -> pd.DataFrame:
    """One row per exercice that has a finding, from a single pass over its cash lines
    (read in (exercice, date) order from the partial index ``ix_entry_cash_lines``: SQLite's
    window needs no sort, PostgreSQL's only an incremental one):

    * negative cash — ``opening + SUM(cash) OVER (ORDER BY date)``: the default RANGE frame
      takes the line's same-day peers, so every line carries its day's END-OF-DAY balance
      (end of day, not line by line: a receipt and an expense of the same day typed in the
      "wrong" order is a typing order, not missing cash). Gives the first negative day,
      the lowest balance and the number of negative days;
    * cash receipts banked late — each receipt (cash in that is not a withdrawal from the
      bank) gets "the earliest deposit (cash out, bank in) dated on or after it"
      (``_next_deposit``, same-day deposits included). It is late when that deposit came
      more than ``days`` days after it, or never once ``days`` days have passed by
      ``today``. Gives their number, how many were never deposited, the longest delay,
      their amount and the first one's date.

    Only the negative or late lines reach the GROUP BY (a few thousand of ~60 000), so an
    exercice without any finding has no row.
    """
    lines = (select(E.exercice_id.label("xid"), E.date.label("jour"), E.cash.label("cash"), E.bank.label("bank"),
                    (X.opening_cash + func.sum(E.cash).over(partition_by=E.exercice_id, order_by=E.date)
                     ).label("solde"),
                    _next_deposit(conn).label("remise"))
             .select_from(E).join(X, X.id == E.exercice_id)
             .where(E.exercice_id.in_(_scope_ids(ad, exercice)), _cash_line()).subquery("cash_lines"))
    delays = select(lines, _days_between(conn, func.coalesce(lines.c.remise, literal(today, Date)), lines.c.jour)
                    .label("delai")).subquery("cash_delays")  # computed once per line, used five times
    c = delays.c
    negative = c.solde < 0
    late = and_(c.cash > 0, c.bank >= 0, c.delai > days)
    q = (select(c.xid.label("exercice_id"),
                _iso(func.min(case((negative, c.jour)))).label("negatif_premier_jour"),
                func.min(case((negative, c.solde))).label("negatif_plus_bas"),
                func.count(func.distinct(case((negative, c.jour)))).label("negatif_jours"),
                func.sum(case((late, 1), else_=0)).label("tardives"),
                func.sum(case((and_(late, c.remise.is_(None)), 1), else_=0)).label("tardives_jamais"),
                func.max(case((late, c.delai))).label("tardives_pire_delai"),
                func.sum(case((late, c.cash), else_=0)).label("tardives_montant"),
                _iso(func.min(case((late, c.jour)))).label("tardives_premiere"))
         .where(or_(negative, late)).group_by(c.xid))
    return _frame(conn, q, ["negatif_plus_bas", "negatif_jours", "tardives", "tardives_jamais",
                            "tardives_pire_delai", "tardives_montant"])


def _next_deposit(conn: Connection):
    """For a cash line of ``cash_findings``: the date of the first deposit (cash out, bank
    in) of its exercice dated on or after it — the same value on both databases, computed
    the way each one does cheaply (measured in docs/analysis.md):

    * SQLite, receipts only (NULL for the other lines, which never count as late): a
      correlated subquery, one seek in ``ix_entry_cash_lines`` per receipt (~25 ms for
      27 000 receipts), where a second window pass in date DESC order costs ~90 ms (sort
      plus window machinery);
    * PostgreSQL: ``MIN(...) OVER (PARTITION BY exercice ORDER BY date DESC)`` — the
      default RANGE frame runs from the last day down to the line's own day, peers
      included, hence "on or after"; DESC rather than ``... AND UNBOUNDED FOLLOWING``,
      which it would recompute row by row. Its incremental sort is cheap, while 27 000
      subplan runs cost ~80 ms there (and push the statement past the JIT threshold).
    """
    deposit = and_(E.cash < 0, E.bank > 0)
    if conn.dialect.name == "sqlite":
        d = aliased(E, name="deposit")
        first = (select(d.date).where(d.exercice_id == E.exercice_id, d.date >= E.date, _cash_line(d),
                                      d.cash < 0, d.bank > 0)
                 .order_by(d.date).limit(1).scalar_subquery())
        return case((and_(E.cash > 0, E.bank >= 0), first))
    return func.min(case((deposit, E.date))).over(partition_by=E.exercice_id, order_by=E.date.desc())


def last_cash_counts(conn: Connection, ad: str, exercice: str) -> pd.DataFrame:
    """Per exercice: its latest cash count (by date, then recording order) with the
    difference between the counted total and the book balance."""
    ranked = (select(CC.exercice_id.label("xid"), CC.date.label("jour"), (CC.total - CC.book_balance).label("ecart"),
                     func.row_number().over(partition_by=CC.exercice_id,
                                            order_by=(CC.date.desc(), CC.id.desc())).label("rang"))
              .where(CC.exercice_id.in_(_scope_ids(ad, exercice))).cte("ranked"))
    q = (select(ranked.c.xid.label("exercice_id"), _iso(ranked.c.jour).label("date"), ranked.c.ecart.label("ecart"))
         .where(ranked.c.rang == 1))
    return _frame(conn, q, ["ecart"])


def subsidy_sums(conn: Connection, ad: str, exercice: str) -> pd.DataFrame:
    q = (select(S.exercice_id.label("exercice_id"), func.sum(S.amount).label("subventions"),
                func.count(S.id).label("nb_subventions"))
         .where(S.exercice_id.in_(_scope_ids(ad, exercice))).group_by(S.exercice_id))
    return _frame(conn, q, ["subventions", "nb_subventions"])


def ad_name(conn: Connection, ad: str) -> str:
    return conn.execute(select(orm.AdRow.name).where(orm.AdRow.code == ad)).scalar() or ""
