"""Set-based SQL over one AD's coops for one exercice: a handful of queries, never one
per coop (an AD has 200–650 coops), and only two passes over the big tables:

* ``account_sums`` — postings grouped by (exercice, account): the CRF's account totals;
* ``entry_treasury`` — one row per entry with its bank and cash movement, pointage and
  dates: everything else (stale unpointed lines, end-of-day cash balance, cash receipts
  and their deposit, month-by-month flows, last pointage) is derived from it in pandas.

Every function takes an open SQLAlchemy ``Connection`` (read-only in practice) and returns
a pandas DataFrame. Amounts are integer cents as stored (postings: debit positive).
Training coops are always excluded: sandboxes must never weigh on an AD's figures. The
same statements run on SQLite and PostgreSQL.
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, String, and_, case, cast, false, func, select

from ..storage import orm

C, X, E, P = orm.CoopRow, orm.ExerciceRow, orm.EntryRow, orm.PostingRow
CC, S = orm.CashCountRow, orm.SubsidyRow


def _frame(conn: Connection, q, int_cols=()) -> pd.DataFrame:
    """Run ``q`` and build the DataFrame from plain tuples (cheaper than ``read_sql``'s
    per-value type inference on 200 000 rows)."""
    result = conn.execute(q)
    df = pd.DataFrame.from_records(result.all(), columns=list(result.keys()))
    for col in int_cols:
        df[col] = pd.to_numeric(df[col]).fillna(0).astype("int64")
    return df


def _iso(col):
    """A date column as ISO text: no per-row date objects, ``pd.to_datetime`` parses it at once."""
    return cast(col, String)


def dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, format="%Y-%m-%d", errors="coerce")


def coops(conn: Connection, ad: str, exercice: str) -> pd.DataFrame:
    """Every real coop of the AD with its exercice row if it has one (LEFT JOIN: a coop
    without the exercice is itself a finding)."""
    q = (select(C.code.label("code"), C.name.label("nom"), X.id.label("exercice_id"), X.state.label("etat"),
                X.opening_bank.label("ouverture_banque"), X.opening_cash.label("ouverture_caisse"),
                X.submitted_at.label("soumis_le"))
         .select_from(C).outerjoin(X, and_(X.coop_code == C.code, X.name == exercice))
         .where(C.ad_code == ad, C.training == false()).order_by(C.code))
    return _frame(conn, q, ["ouverture_banque", "ouverture_caisse"])


def _scope_ids(ad: str, exercice: str):
    return (select(X.id).join(C, C.code == X.coop_code)
            .where(C.ad_code == ad, C.training == false(), X.name == exercice)).scalar_subquery()


def account_sums(conn: Connection, ad: str, exercice: str) -> pd.DataFrame:
    """(exercice, account) → sum of postings and number of postings."""
    q = (select(E.exercice_id.label("exercice_id"), P.account.label("compte"), func.sum(P.amount).label("montant"),
                func.count().label("lignes"))
         .select_from(P).join(E, E.id == P.entry_id)
         .where(E.exercice_id.in_(_scope_ids(ad, exercice))).group_by(E.exercice_id, P.account))
    return _frame(conn, q, ["montant", "lignes"])


def entry_treasury(conn: Connection, ad: str, exercice: str) -> pd.DataFrame:
    """One row per entry: exercice, date, pointage, and its bank (512) and cash (530)
    movements (receipts positive). Dates are returned as ISO text."""
    bank = func.sum(case((P.account == "512", P.amount), else_=0)).label("banque")
    cash = func.sum(case((P.account == "530", P.amount), else_=0)).label("caisse")
    q = (select(E.exercice_id.label("exercice_id"), _iso(E.date).label("date"), E.pointed.label("pointe"),
                _iso(E.statement_date).label("date_releve"), bank, cash)
         .select_from(E).join(P, P.entry_id == E.id)
         .where(E.exercice_id.in_(_scope_ids(ad, exercice)), P.account.in_(("512", "530")))
         .group_by(E.id, E.exercice_id, E.date, E.pointed, E.statement_date))
    df = _frame(conn, q, ["banque", "caisse"])
    df["pointe"] = df["pointe"].astype(bool)
    return df


def cash_counts(conn: Connection, ad: str, exercice: str) -> pd.DataFrame:
    """Every cash count of the scope (a few per coop): date, total, book balance."""
    q = (select(CC.exercice_id.label("exercice_id"), _iso(CC.date).label("date"), CC.total.label("compte"),
                CC.book_balance.label("solde_livre"))
         .where(CC.exercice_id.in_(_scope_ids(ad, exercice))).order_by(CC.exercice_id, CC.date, CC.id))
    return _frame(conn, q, ["compte", "solde_livre"])


def subsidy_sums(conn: Connection, ad: str, exercice: str) -> pd.DataFrame:
    q = (select(S.exercice_id.label("exercice_id"), func.sum(S.amount).label("subventions"),
                func.count(S.id).label("nb_subventions"))
         .where(S.exercice_id.in_(_scope_ids(ad, exercice))).group_by(S.exercice_id))
    return _frame(conn, q, ["subventions", "nb_subventions"])


def ad_name(conn: Connection, ad: str) -> str:
    return conn.execute(select(orm.AdRow.name).where(orm.AdRow.code == ad)).scalar() or ""
