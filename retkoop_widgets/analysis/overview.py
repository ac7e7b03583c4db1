"""One AD, one exercice: the analyst's overview as pandas DataFrames.

``analyse_ad(url, "AD76", "2025-2026")`` opens a READ-ONLY connection and runs the few
set-based queries of ``storage.analysis_queries`` — each returns about one row per coop (or per day, or
per account), the database does the per-entry work — then assembles, in pandas:

* ``coops`` — each real coop with its state: closing bank and cash, produits, charges,
  result, CRF submission, last pointage, last cash count, number of anomalies;
* ``rubriques`` — totals by CRF rubric (charges and produits) over the AD;
* ``flux`` — month-by-month receipts, expenses and treasury movements;
* ``distributions`` — quantiles of the coops' figures;
* ``anomalies`` — one row per finding, with a French sentence.

Raw frames hold integer cents; ``display_*`` functions give French-formatted copies
(``1 234,56 €``, dates jj/mm/aaaa) for notebooks and the XLSX export.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

from ..domain.chart import SUBSIDY_ACCOUNT, TREASURY, Chart
from ..domain.dates import format_date
from ..domain.exercice import STATE_LABELS, parse_name
from ..domain.follow_up import (ALERT_LABELS, BANKING_DAYS, CASH_COUNT_MONTHS, UNPOINTED_DAYS,  # noqa: F401
                                coop_findings, crf_due)
from ..domain.money import format_eur
from ..services.follow_up import facts_from_frames
from ..storage import analysis_queries as q
from ..storage.analysis import analysis_connection

# The thresholds, the alert kinds and the CRF's due date are ``domain.follow_up``'s (the AD
# dashboard uses the same); re-exported here under their old names.
ANOMALY_LABELS = ALERT_LABELS
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
             "octobre", "novembre", "décembre")


@dataclass
class AdAnalysis:
    ad: str
    ad_name: str
    exercice: str
    today: date
    coops: pd.DataFrame
    rubriques: pd.DataFrame
    flux: pd.DataFrame
    distributions: pd.DataFrame
    anomalies: pd.DataFrame
    timings: dict = field(default_factory=dict)  # seconds per step, for bench/analysis.py

    @property
    def title(self) -> str:
        return f"{self.ad} {self.ad_name} — exercice {self.exercice}".replace("  ", " ")


def analyse_ad(source=None, ad: str = "AD76", exercice: str = "2025-2026", today: date | None = None) -> AdAnalysis:
    """Read the AD's books for one exercice (``source``: URL, engine, Books or None for
    ``RETKOOP_DB_URL``; a URL is opened read-only)."""
    ad = ad.strip().upper()
    parse_name(exercice)
    today = today or date.today()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    with analysis_connection(source) as (conn, repo):
        name = q.ad_name(conn, ad)
        chart = repo.chart(ad)
        raw = {}
        for key, run in (
                ("coops", lambda: q.coops(conn, ad, exercice)),
                ("sums", lambda: q.account_sums(conn, ad, exercice)),
                ("stats", lambda: q.entry_stats(conn, ad, exercice, today - timedelta(days=UNPOINTED_DAYS))),
                ("daily", lambda: q.daily_flows(conn, ad, exercice)),
                ("cash", lambda: q.cash_findings(conn, ad, exercice, today, BANKING_DAYS)),
                ("counts", lambda: q.last_cash_counts(conn, ad, exercice)),
                ("subsidies", lambda: q.subsidy_sums(conn, ad, exercice))):
            t = time.perf_counter()
            raw[key] = run()
            timings[f"sql_{key}"] = time.perf_counter() - t
    timings["requetes"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    codes = raw["coops"].dropna(subset=["exercice_id"])
    code_of = dict(zip(codes["exercice_id"].astype("int64"), codes["code"]))
    for key in ("sums", "stats", "cash", "counts", "subsidies"):
        raw[key]["code"] = raw[key]["exercice_id"].map(code_of)
    classes = {a.code: a.classe for a in chart}
    coops = _coop_states(raw, classes)
    anomalies = _anomalies(raw, coops, exercice, today)
    counts = anomalies.groupby("code").size() if len(anomalies) else pd.Series(dtype="int64")
    coops["anomalies"] = coops["code"].map(counts).fillna(0).astype("int64")
    result = AdAnalysis(ad=ad, ad_name=name, exercice=exercice, today=today, coops=coops,
                        rubriques=_rubrics(raw["sums"], chart, coops), flux=_monthly(raw["daily"]),
                        distributions=_distributions(coops), anomalies=anomalies, timings=timings)
    timings["calculs"] = time.perf_counter() - t1
    return result


def _class_of(account: str, classes: dict[str, str]) -> str:
    if account in TREASURY:
        return "tresorerie"
    return classes.get(account) or ("charge" if account.startswith("6") else "produit")


def _coop_states(raw: dict, classes: dict[str, str]) -> pd.DataFrame:
    df = raw["coops"].copy()
    sums = raw["sums"].copy()
    sums["classe"] = sums["compte"].map(lambda a: _class_of(a, classes))
    by = lambda mask: sums[mask].groupby("code")["montant"].sum()  # noqa: E731
    stats = raw["stats"].set_index("code")
    df["mouvement_banque"] = df["code"].map(stats["mouvement_banque"]).fillna(0).astype("int64")
    df["mouvement_caisse"] = df["code"].map(stats["mouvement_caisse"]).fillna(0).astype("int64")
    df["charges"] = df["code"].map(by(sums["classe"] == "charge")).fillna(0).astype("int64")
    df["produits"] = (-df["code"].map(by(sums["classe"] == "produit")).fillna(0)).astype("int64")
    df["compte_7410"] = (-df["code"].map(by(sums["compte"] == SUBSIDY_ACCOUNT)).fillna(0)).astype("int64")
    df["banque"] = df["ouverture_banque"] + df["mouvement_banque"]
    df["caisse"] = df["ouverture_caisse"] + df["mouvement_caisse"]
    df["resultat"] = df["produits"] - df["charges"]
    df["ecritures"] = df["code"].map(stats["ecritures"]).fillna(0).astype("int64")
    df["dernier_pointage"] = df["code"].map(_day_map(stats["dernier_pointage"]))
    last = raw["counts"].set_index("code")
    df["dernier_arrete"] = df["code"].map(_day_map(last["date"])) if len(last) else None
    df["ecart_dernier_arrete"] = df["code"].map(last["ecart"]).fillna(0).astype("int64") if len(last) else 0
    subs = raw["subsidies"].groupby("code")["subventions"].sum()
    df["subventions"] = df["code"].map(subs).fillna(0).astype("int64")
    df["etat"] = df["etat"].fillna("absent")
    return df


def _day_map(iso: pd.Series) -> pd.Series:
    """ISO text (or NULL) → ``datetime.date`` (or NaT), for ``Series.map``."""
    return q.dates(iso).dt.date


def _d(day) -> str:
    return format_date(day) if day is not None and not pd.isna(day) else ""


def _anomalies(raw: dict, coops: pd.DataFrame, exercice: str, today: date) -> pd.DataFrame:
    """One row per finding: the AD dashboard's very rules (``domain.follow_up``), applied
    to the facts ``services.follow_up.facts_from_frames`` reads from these frames."""
    facts = facts_from_frames(raw, coops, exercice)
    out = [{"code": f.code, "nom": f.name, "type": f.kind, "anomalie": f.label, "detail": f.message, "date": f.day}
           for code in sorted(facts) for f in coop_findings(facts[code], today)]
    df = pd.DataFrame(out, columns=["code", "nom", "type", "anomalie", "detail", "date"])
    return df.sort_values(["code", "type"], kind="stable").reset_index(drop=True)


def _rubrics(sums: pd.DataFrame, chart: Chart, coops: pd.DataFrame) -> pd.DataFrame:
    s = sums[~sums["compte"].isin(TREASURY)].copy()
    info = {a.code: (a.classe, a.rubrique) for a in chart}
    s["classe"] = s["compte"].map(lambda a: info.get(a, ("charge" if a.startswith("6") else "produit", ""))[0])
    s["rubrique"] = s["compte"].map(lambda a: info.get(a, ("", "Autres"))[1] or "Autres")
    s["montant"] = s["montant"].where(s["classe"] == "charge", -s["montant"])
    g = (s.groupby(["classe", "rubrique"])
         .agg(total=("montant", "sum"), cooperatives=("code", "nunique")).reset_index())
    n = max(int((coops["etat"] != "absent").sum()), 1)
    g["moyenne_par_coop"] = (g["total"] // n).astype("int64")
    g["classe"] = g["classe"].map({"charge": "charges", "produit": "produits"})
    return g.sort_values(["classe", "total"], ascending=[True, False]).reset_index(drop=True)


def _monthly(daily: pd.DataFrame) -> pd.DataFrame:
    """Month by month over the AD, from the per-day sums of ``queries.daily_flows``. An
    entry's produits (or charges) equal its treasury movement: the ledger only accepts
    receipts ventilated on produits and expenses on charges, and a bank ↔ cash transfer
    moves nothing in or out."""
    cols = ["mois", "libelle", "produits", "charges", "entrees_banque", "sorties_banque", "entrees_caisse",
            "sorties_caisse"]
    if daily.empty:
        return pd.DataFrame(columns=cols)
    d = daily.assign(mois=daily["date"].str.slice(0, 7))
    g = d.groupby("mois")[cols[2:]].sum().astype("int64").reset_index()
    g.insert(1, "libelle", g["mois"].map(lambda s: f"{MONTHS_FR[int(s[5:]) - 1]} {s[:4]}"))
    return g


def _distributions(coops: pd.DataFrame) -> pd.DataFrame:
    live = coops[coops["etat"] != "absent"]
    rows = {}
    for col, label in (("banque", "Banque au 31/08"), ("caisse", "Caisse"), ("produits", "Produits"),
                       ("charges", "Charges"), ("resultat", "Résultat")):
        s = live[col].astype("int64")
        if s.empty:
            rows[label] = {k: 0 for k in ("min", "q1", "mediane", "q3", "max", "moyenne")}
            continue
        rows[label] = {"min": int(s.min()), "q1": int(s.quantile(0.25)), "mediane": int(s.median()),
                       "q3": int(s.quantile(0.75)), "max": int(s.max()), "moyenne": int(s.mean())}
    return pd.DataFrame.from_dict(rows, orient="index")


# -- French display --------------------------------------------------------------------
def _money(df: pd.DataFrame, cols) -> pd.DataFrame:
    for c in cols:
        df[c] = df[c].map(lambda v: format_eur(int(v)))
    return df


def display_coops(a: AdAnalysis) -> pd.DataFrame:
    c = a.coops
    out = pd.DataFrame({
        "Code": c["code"], "Coopérative": c["nom"],
        "État": c["etat"].map(lambda s: STATE_LABELS.get(s, s)),
        "Banque": c["banque"], "Caisse": c["caisse"], "Produits": c["produits"], "Charges": c["charges"],
        "Résultat": c["resultat"],
        "CRF soumis le": c["soumis_le"].map(_d),
        "Dernier pointage": c["dernier_pointage"].map(_d),
        "Dernier arrêté de caisse": c["dernier_arrete"].map(_d),
        "Écritures": c["ecritures"], "Anomalies": c["anomalies"]})
    return _money(out, ["Banque", "Caisse", "Produits", "Charges", "Résultat"]).reset_index(drop=True)


def display_anomalies(a: AdAnalysis) -> pd.DataFrame:
    x = a.anomalies
    return pd.DataFrame({"Code": x["code"], "Coopérative": x["nom"], "Anomalie": x["anomalie"],
                         "Détail": x["detail"], "Date": x["date"].map(_d)}).reset_index(drop=True)


def display_rubrics(a: AdAnalysis) -> pd.DataFrame:
    r = a.rubriques
    out = pd.DataFrame({"Classe": r["classe"], "Rubrique": r["rubrique"], "Total AD": r["total"],
                        "Moyenne par coopérative": r["moyenne_par_coop"], "Coopératives": r["cooperatives"]})
    return _money(out, ["Total AD", "Moyenne par coopérative"])


def display_flows(a: AdAnalysis) -> pd.DataFrame:
    f = a.flux
    out = pd.DataFrame({"Mois": f["libelle"], "Produits": f["produits"], "Charges": f["charges"],
                        "Entrées banque": f["entrees_banque"], "Sorties banque": f["sorties_banque"],
                        "Entrées caisse": f["entrees_caisse"], "Sorties caisse": f["sorties_caisse"]})
    return _money(out, list(out.columns[1:]))


def display_distributions(a: AdAnalysis) -> pd.DataFrame:
    d = a.distributions.copy()
    for c in d.columns:
        d[c] = d[c].map(lambda v: format_eur(int(v)))
    return d.rename(columns={"min": "Minimum", "q1": "1er quartile", "mediane": "Médiane", "q3": "3e quartile",
                             "max": "Maximum", "moyenne": "Moyenne"})
