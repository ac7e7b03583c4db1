"""The AD's morning view: which coops need the AD, most pressing first.

Why a use case of its own: an AD follows 200–650 coops; what it needs each morning is who
is late with the CRF (due 30/09 after the exercice's end) or soon due, who cannot submit
yet and why (the very reasons ``services.submission.check_crf`` gives the mandataire),
which alerts each coop has (``domain.follow_up``: the one definition the analysis notebook
uses too) and how long since the last entry, pointage and cash count.

Everything is set-based: the coops and their exercices (one query), the CRFs of the
campaign (``Books.crfs``), the alert figures (``storage.analysis_queries``: the analysis
notebook's queries, a handful for the whole AD) — never a query per coop.

The *campaign* is the exercice whose CRF the AD is collecting: the one that ended on the
last 31 August before today (on 07/12/2026: 2025-2026, due 30/09/2026).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

from ..domain import follow_up as rules
from ..domain.actor import ADMIN_AD, ANALYSTE, SYSTEM
from ..domain.errors import Forbidden, InvariantBreach
from ..domain.exercice import CLOSED, STATE_LABELS, SUBMITTED, WRITABLE
from ..domain.follow_up import ABSENT, CoopFacts, Finding
from ..storage import analysis_queries as q
from ..storage.db import engine_of
from .books import Books
from .exercices import current
from .guard import reading
from .submission import check_crf


# -- figures → facts (shared with analysis.overview) -----------------------------------
def _day(value) -> date | None:
    if value is None or (not isinstance(value, date) and pd.isna(value)):
        return None
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def _int(value) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


def facts_from_frames(raw: dict, coops: pd.DataFrame, exercice: str) -> dict[str, CoopFacts]:
    """``CoopFacts`` per coop code from the analysis queries' frames (``raw``: the frames
    keyed as in ``analysis.overview`` — ``stats``, ``cash``, ``counts``, with a ``code``
    column; ``coops``: one row per coop with ``nom``, ``etat``, ``soumis_le``,
    ``ouverture_caisse``, ``mouvement_caisse``, ``caisse``, ``subventions``,
    ``compte_7410``)."""
    stats = raw["stats"].set_index("code") if len(raw["stats"]) else None
    cash = raw["cash"].set_index("code") if len(raw["cash"]) else None
    counts = raw["counts"].set_index("code") if len(raw["counts"]) else None
    out = {}
    for r in coops.itertuples():
        kw = {}
        if stats is not None and r.code in stats.index and _int(stats.at[r.code, "non_pointees"]) > 0:
            s = stats.loc[r.code]
            kw.update(unpointed=_int(s["non_pointees"]), unpointed_oldest=_day(s["non_pointee_premiere"]),
                      unpointed_net=_int(s["non_pointees_solde"]))
        if cash is not None and r.code in cash.index:
            c = cash.loc[r.code]
            kw.update(negative_days=_int(c["negatif_jours"]), negative_first_day=_day(c["negatif_premier_jour"]),
                      negative_lowest=_int(c["negatif_plus_bas"]), late_deposits=_int(c["tardives"]),
                      late_never=_int(c["tardives_jamais"]), late_worst=_int(c["tardives_pire_delai"]),
                      late_amount=_int(c["tardives_montant"]), late_first=_day(c["tardives_premiere"]))
        last = None
        if counts is not None and r.code in counts.index:
            last = _day(counts.at[r.code, "date"])
        state = r.etat if isinstance(r.etat, str) and r.etat else ABSENT
        submitted = None if r.soumis_le is None or pd.isna(r.soumis_le) else pd.Timestamp(r.soumis_le).to_pydatetime()
        out[r.code] = CoopFacts(
            code=r.code, name=r.nom, exercice=exercice, state=state, submitted_at=submitted,
            opening_cash=_int(r.ouverture_caisse), cash_movement=_int(r.mouvement_caisse),
            closing_cash=_int(r.caisse), last_cash_count=last, subsidies=_int(r.subventions),
            account_7410=_int(r.compte_7410), **kw)
    return out


def findings_of(facts: dict[str, CoopFacts], today: date) -> dict[str, list[Finding]]:
    return {code: rules.coop_findings(f, today) for code, f in facts.items()}


def ad_facts(engine, ad: str, exercice: str, today: date) -> dict[str, CoopFacts]:
    """The facts of every real coop of ``ad`` for ``exercice`` (the analysis notebook's
    queries, on a read-only connection)."""
    with engine_of(engine, read_only=True).connect() as conn:
        coops = q.coops(conn, ad, exercice)
        sums = q.account_sums(conn, ad, exercice)
        raw = {"stats": q.entry_stats(conn, ad, exercice, today - timedelta(days=rules.UNPOINTED_DAYS)),
               "cash": q.cash_findings(conn, ad, exercice, today, rules.BANKING_DAYS),
               "counts": q.last_cash_counts(conn, ad, exercice),
               "subsidies": q.subsidy_sums(conn, ad, exercice)}
    ids = coops.dropna(subset=["exercice_id"])
    code_of = dict(zip(ids["exercice_id"].astype("int64"), ids["code"]))
    for frame in (*raw.values(), sums):
        frame["code"] = frame["exercice_id"].map(code_of)
    stats = raw["stats"].set_index("code")
    coops = coops.copy()
    coops["mouvement_caisse"] = coops["code"].map(stats["mouvement_caisse"]).fillna(0).astype("int64")
    coops["caisse"] = coops["ouverture_caisse"] + coops["mouvement_caisse"]
    coops["subventions"] = coops["code"].map(raw["subsidies"].groupby("code")["subventions"].sum()).fillna(0)
    coops["compte_7410"] = -coops["code"].map(sums[sums["compte"] == "7410"].groupby("code")["montant"].sum()).fillna(0)
    coops["etat"] = coops["etat"].where(coops["etat"].notna(), None)
    return facts_from_frames(raw, coops, exercice)


# -- the morning view ----------------------------------------------------------------
def campaign_exercice(today: date) -> str:
    """The exercice whose CRF is being collected: the one ended on the last 31/08 before today."""
    end_year = today.year if today > date(today.year, 8, 31) else today.year - 1
    return f"{end_year - 1}-{end_year}"


@dataclass(frozen=True)
class CoopNeed:
    """One line of the morning view."""
    code: str
    name: str
    exercice: str                 # the campaign exercice
    state: str                    # its state, or ``absent``
    deadline: rules.Deadline
    ready: bool                   # may be submitted now (writable, no blocking reason)
    reasons: tuple[str, ...]      # why not ready (French, from ``check_crf``)
    findings: tuple[Finding, ...]
    current: str | None           # the exercice the coop works in now
    last_entry: date | None
    last_pointage: date | None
    last_cash_count: date | None
    today: date
    mandataires: tuple[str, ...] = field(default=())

    @property
    def alerts(self) -> int:
        return len(self.findings)

    def alerts_of(self, kind: str) -> int:
        return sum(1 for f in self.findings if f.kind == kind)

    def days_since(self, day: date | None) -> int | None:
        return (self.today - day).days if day else None

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, "exercice absent")

    @property
    def status(self) -> str:
        """What the AD must do, in a few words."""
        d = self.deadline
        if d.status in (rules.SUBMITTED_ON_TIME, rules.SUBMITTED_LATE, rules.CLOSED_STATUS):
            return d.status
        if d.status == rules.NO_EXERCICE:
            return "exercice absent"
        return "prêt à soumettre" if self.ready else "pas prêt"

    @property
    def rank(self) -> tuple:
        """Most pressing first: late, then soon due, not ready before ready, more alerts,
        longest without an entry."""
        order = {rules.LATE: 0, rules.NO_EXERCICE: 1, rules.DUE_SOON: 2, rules.PENDING: 3,
                 rules.SUBMITTED_LATE: 4, rules.SUBMITTED_ON_TIME: 5, rules.CLOSED_STATUS: 6}[self.deadline.status]
        idle = self.days_since(self.last_entry)
        return (order, self.ready, -self.alerts, -(idle if idle is not None else 10 ** 6), self.code)


@dataclass(frozen=True)
class MorningView:
    ad: str
    exercice: str
    due: date
    today: date
    rows: tuple[CoopNeed, ...]

    @property
    def submitted(self) -> int:
        return sum(1 for r in self.rows if r.state in (SUBMITTED, CLOSED))

    @property
    def ready(self) -> int:
        return sum(1 for r in self.rows if r.ready)

    @property
    def late(self) -> int:
        return sum(1 for r in self.rows if r.deadline.status in (rules.LATE, rules.NO_EXERCICE)
                   and r.state not in (SUBMITTED, CLOSED))

    @property
    def summary(self) -> str:
        return (f"Compte rendu {self.exercice} (échéance {self.due:%d/%m/%Y}) : {len(self.rows)} coopératives — "
                f"{self.submitted} soumis, {self.ready} prêts à soumettre, {self.late} en retard")

    def alert_totals(self) -> dict[str, int]:
        out = {k: 0 for k in rules.ALERT_LABELS}
        for r in self.rows:
            for f in r.findings:
                out[f.kind] += 1
        return out


def morning_view(books: Books, ad: str, exercice: str | None = None, *,
                 mandataires: dict[str, tuple[str, ...]] | None = None) -> MorningView:
    """Every real coop of ``ad``, ranked by what it needs, for the CRF of ``exercice``
    (default: the campaign). ``mandataires``: {coop: names} for the reminder lists.

    Only for who may read the whole AD: its own AD staff, an analyst of it, the platform."""
    today = books.today()
    exercice = exercice or campaign_exercice(today)
    a = books.actor
    if not (a.role == SYSTEM or (a.role in (ADMIN_AD, ANALYSTE) and (a.ad == ad or (a.role == ANALYSTE
                                                                                    and a.ad is None)))):
        raise Forbidden(f"{a.login} ne peut pas suivre les coopératives de {ad}")
    coops = books.coops(ad, include_training=False)
    codes = [c["code"] for c in coops]
    with reading(books) as r:
        exercices = r.repo.exercices_of(codes)
    by_coop: dict[str, list] = {}
    for x in exercices:
        by_coop.setdefault(x.coop, []).append(x)
    campaign = {code: next((x for x in xs if x.name == exercice), None) for code, xs in by_coop.items()}
    current_of = {code: current(xs) for code, xs in by_coop.items()}
    wanted = sorted({(code, exercice) for code, x in campaign.items() if x is not None and x.state in WRITABLE}
                    | {(code, x.name) for code, x in current_of.items() if x is not None})
    crfs, broken = _crfs(books, wanted)
    dates = books.exercice_dates([(code, x.name) for code, x in current_of.items() if x is not None])
    facts = ad_facts(books.engine, ad, exercice, today) if books.engine is not None else {}
    found = findings_of(facts, today)
    rows = []
    for c in coops:
        code = c["code"]
        x = campaign.get(code)
        state = x.state if x is not None else ABSENT
        f = facts.get(code)
        dl = rules.deadline(exercice, state, f.submitted_at if f else None, today)
        reasons: tuple[str, ...] = ()
        if x is not None and x.state in WRITABLE:
            if code in broken:
                reasons = (broken[code],)
            else:
                reasons = tuple(p.message for p in check_crf(crfs[(code, exercice)], today))
        elif x is None:
            reasons = (f"l'exercice {exercice} n'est pas ouvert",)
        cur = current_of.get(code)
        last_entry = last_pointage = last_count = None
        if cur is not None:
            last_entry, last_pointage = dates.get((code, cur.name), (None, None))
            crf = crfs.get((code, cur.name))
            last_count = crf.cash_count.date if crf is not None and crf.cash_count else None
        rows.append(CoopNeed(
            code=code, name=c["name"], exercice=exercice, state=state, deadline=dl,
            ready=x is not None and x.state in WRITABLE and not reasons, reasons=reasons,
            findings=tuple(found.get(code, ())), current=cur.name if cur else None, last_entry=last_entry,
            last_pointage=last_pointage, last_cash_count=last_count, today=today,
            mandataires=tuple((mandataires or {}).get(code, ()))))
    rows.sort(key=lambda r: r.rank)
    return MorningView(ad=ad, exercice=exercice, due=rules.crf_due(exercice), today=today, rows=tuple(rows))


def _crfs(books: Books, pairs) -> tuple[dict, dict[str, str]]:
    """The CRFs of ``pairs`` at once; a coop whose books break the CRF's invariant is
    named (not ready: « contactez … ») instead of failing the whole view."""
    try:
        return books.crfs(pairs), {}
    except InvariantBreach:
        crfs, broken = {}, {}
        for pair in pairs:
            try:
                crfs[pair] = books.crf(*pair)
            except InvariantBreach:
                broken[pair[0]] = ("incohérence interne dans les comptes (report + produits − charges ≠ soldes "
                                   "finaux) : à examiner avant toute soumission")
        return crfs, broken


# -- reminder lists -------------------------------------------------------------------
REMINDER_COLUMNS = ("Code", "Coopérative", "Mandataires", "Exercice", "Échéance", "Situation", "Statut",
                    "Motifs", "Alertes", "Dernière écriture", "Dernier pointage", "Dernier arrêté de caisse")


def reminder_rows(rows) -> list[tuple]:
    """One line per coop for a mailing (French text, dates jj/mm/aaaa)."""
    def d(day):
        return f"{day:%d/%m/%Y}" if day else ""
    return [(r.code, r.name, ", ".join(r.mandataires), r.exercice, d(r.deadline.due), r.deadline.text, r.status,
             " ; ".join(r.reasons), " ; ".join(f"{f.label} : {f.message}" for f in r.findings),
             d(r.last_entry), d(r.last_pointage), d(r.last_cash_count)) for r in rows]


def reminders_csv(rows) -> bytes:
    """CSV for a spreadsheet or a mail merge: UTF-8 with BOM, « ; » separated (French Excel)."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(REMINDER_COLUMNS)
    w.writerows(reminder_rows(rows))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def reminders_xlsx(rows, title: str = "Relances") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(REMINDER_COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for line in reminder_rows(rows):
        ws.append(list(line))
    for col, width in zip("ABCDEFGHIJKL", (12, 32, 24, 11, 12, 34, 18, 60, 60, 14, 14, 14)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
