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
from ..domain.exercice import STATE_LABELS, WRITABLE, parse_name
from ..domain.money import format_eur
from ..storage import analysis_queries as q
from ..storage.analysis import analysis_connection

UNPOINTED_DAYS = 60
CASH_COUNT_MONTHS = 6
BANKING_DAYS = 30
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
             "octobre", "novembre", "décembre")

ANOMALY_LABELS = {
    "caisse_negative": "caisse négative",
    "pointage_en_retard": "lignes non pointées depuis plus de 60 jours",
    "arrete_caisse": "pas d'arrêté de caisse depuis 6 mois",
    "crf_manquant": "compte rendu non soumis",
    "crf_en_retard": "compte rendu soumis en retard",
    "exercice_absent": "exercice absent",
    "subventions_7410": "tableau des subventions ≠ compte 7410",
    "especes_remise_tardive": "espèces remises en banque tardivement",
}


def crf_due(exercice: str) -> date:
    """The CRF is due on 30 September after the exercice's end."""
    return date(parse_name(exercice)[1].year, 9, 30)


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


def _anomaly(code: str, name: str, kind: str, message: str, day=None) -> dict:
    return {"code": code, "nom": name, "type": kind, "anomalie": ANOMALY_LABELS[kind], "detail": message,
            "date": day}


def _d(day) -> str:
    return format_date(day) if day is not None and not pd.isna(day) else ""


def _anomalies(raw: dict, coops: pd.DataFrame, exercice: str, today: date) -> pd.DataFrame:
    start, end = parse_name(exercice)
    due = crf_due(exercice)
    names = dict(zip(coops["code"], coops["nom"]))
    out: list[dict] = []
    cash = raw["cash"]
    neg = cash[cash["negatif_jours"] > 0]
    neg = neg.assign(premier_jour=q.dates(neg["negatif_premier_jour"]).dt.date)
    for r in neg.sort_values("code").itertuples():
        out.append(_anomaly(r.code, names.get(r.code, ""), "caisse_negative",
                            f"la caisse est négative en fin de journée le {_d(r.premier_jour)} "
                            f"(au plus bas {format_eur(int(r.negatif_plus_bas))}, {r.negatif_jours} jour(s) au total)",
                            r.premier_jour))
    stale = raw["stats"][raw["stats"]["non_pointees"] > 0]
    stale = stale.assign(premiere=q.dates(stale["non_pointee_premiere"]).dt.date)
    for r in stale.sort_values("code").itertuples():
        out.append(_anomaly(r.code, names.get(r.code, ""), "pointage_en_retard",
                            f"{r.non_pointees} ligne(s) de banque non pointée(s) depuis plus de {UNPOINTED_DAYS} jours "
                            f"(la plus ancienne du {_d(r.premiere)}, solde net {format_eur(int(r.non_pointees_solde))})",
                            r.premiere))
    ref = min(today, end)
    limit = ref - timedelta(days=round(CASH_COUNT_MONTHS * 30.44))
    for r in coops.itertuples():
        if r.etat == "absent":
            if today > due:
                out.append(_anomaly(r.code, r.nom, "exercice_absent",
                                    f"l'exercice {exercice} n'existe pas pour cette coopérative : compte rendu "
                                    f"manquant (échéance du {_d(due)})", due))
            continue
        has_cash = r.ouverture_caisse != 0 or r.mouvement_caisse != 0 or r.caisse != 0
        last = r.dernier_arrete if r.dernier_arrete is not None and not pd.isna(r.dernier_arrete) else None
        if has_cash and limit > start and (last is None or last < limit):
            what = f"dernier arrêté le {_d(last)}" if last else "aucun arrêté de caisse enregistré"
            out.append(_anomaly(r.code, r.nom, "arrete_caisse",
                                f"{what} : plus de {CASH_COUNT_MONTHS} mois au {_d(ref)} "
                                f"(caisse au livre : {format_eur(int(r.caisse))})", last))
        submitted = r.soumis_le if r.soumis_le is not None and not pd.isna(r.soumis_le) else None
        if r.etat in WRITABLE and today > due:
            out.append(_anomaly(r.code, r.nom, "crf_manquant",
                                f"compte rendu {exercice} non soumis ({STATE_LABELS.get(r.etat, r.etat)}) : "
                                f"échéance du {_d(due)} dépassée de {(today - due).days} jours", due))
        elif submitted is not None and submitted.date() > due:
            out.append(_anomaly(r.code, r.nom, "crf_en_retard",
                                f"compte rendu soumis le {_d(submitted)}, {(submitted.date() - due).days} jours "
                                f"après l'échéance du {_d(due)}", submitted.date()))
        if r.subventions != r.compte_7410:
            out.append(_anomaly(r.code, r.nom, "subventions_7410",
                                f"le tableau des subventions totalise {format_eur(int(r.subventions))} mais le "
                                f"compte 7410 totalise {format_eur(int(r.compte_7410))} (écart "
                                f"{format_eur(abs(int(r.subventions - r.compte_7410)))})"))
    late = cash[cash["tardives"] > 0]
    late = late.assign(premiere=q.dates(late["tardives_premiere"]).dt.date)
    for r in late.sort_values("code").itertuples():
        extra = f", dont {r.tardives_jamais} jamais remise(s)" if r.tardives_jamais else ""
        out.append(_anomaly(r.code, names.get(r.code, ""), "especes_remise_tardive",
                            f"{r.tardives} recette(s) en espèces remise(s) en banque après plus de {BANKING_DAYS} "
                            f"jours{extra} (jusqu'à {r.tardives_pire_delai} jours, "
                            f"{format_eur(int(r.tardives_montant))} au total ; la première du {_d(r.premiere)})",
                            r.premiere))
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
