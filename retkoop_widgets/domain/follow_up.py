"""What an AD follows up on a coop: the CRF deadline and the alerts, ONE definition.

Why here: the AD dashboard's morning view and the analysis notebook used to count alerts
each their own way (the dashboard 0/0/0/7 where the notebook found 3/3/2/5). Both now turn
their set-based figures into ``CoopFacts`` (``services.follow_up``) and ask
``coop_findings`` which alerts a coop has: same kinds, same thresholds, same sentences.
Pure: no database, no pandas.

The CRF of an exercice (1 Sept → 31 Aug) is due on 30 September after its end
(``crf_due``); ``deadline`` says where a coop stands against it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .exercice import CLOSED, STATE_LABELS, SUBMITTED, parse_name
from .money import format_eur

UNPOINTED_DAYS = 60       # a bank line still unpointed after this many days
CASH_COUNT_MONTHS = 6     # a cash box not counted for this long
BANKING_DAYS = 30         # cash received and not banked within this many days
DUE_SOON_DAYS = 30        # « à rendre bientôt »: the deadline is this close

ALERT_LABELS = {
    "caisse_negative": "caisse négative",
    "pointage_en_retard": f"lignes non pointées depuis plus de {UNPOINTED_DAYS} jours",
    "arrete_caisse": f"pas d'arrêté de caisse depuis {CASH_COUNT_MONTHS} mois",
    "crf_manquant": "compte rendu non soumis",
    "crf_en_retard": "compte rendu soumis en retard",
    "exercice_absent": "exercice absent",
    "subventions_7410": "tableau des subventions ≠ compte 7410",
    "especes_remise_tardive": "espèces remises en banque tardivement",
}
ABSENT = "absent"  # the coop has no such exercice

# Deadline statuses, most pressing first (the morning view ranks by them).
LATE, DUE_SOON, PENDING, SUBMITTED_ON_TIME, SUBMITTED_LATE, CLOSED_STATUS, NO_EXERCICE = (
    "en retard", "à rendre bientôt", "à venir", "soumis", "soumis en retard", "clos", "exercice absent")


def crf_due(exercice: str) -> date:
    """The CRF is due on 30 September after the exercice's end."""
    return date(parse_name(exercice)[1].year, 9, 30)


def _d(day) -> str:
    return f"{day:%d/%m/%Y}" if day is not None else ""


@dataclass(frozen=True)
class Deadline:
    status: str            # one of the statuses above
    due: date
    days: int              # > 0: days late (LATE, SUBMITTED_LATE) or days left (DUE_SOON, PENDING)

    @property
    def text(self) -> str:
        if self.status == LATE:
            return f"en retard de {self.days} j (échéance {_d(self.due)})"
        if self.status in (DUE_SOON, PENDING):
            return f"à rendre dans {self.days} j (échéance {_d(self.due)})"
        if self.status == SUBMITTED_LATE:
            return f"soumis avec {self.days} j de retard"
        return self.status


def deadline(exercice: str, state: str, submitted_at: datetime | None, today: date) -> Deadline:
    """Where the coop stands against its CRF's deadline."""
    due = crf_due(exercice)
    if state == ABSENT:
        return Deadline(NO_EXERCICE, due, max((today - due).days, 0))
    if state == CLOSED:
        return Deadline(CLOSED_STATUS, due, 0)
    if state == SUBMITTED:
        day = submitted_at.date() if isinstance(submitted_at, datetime) else submitted_at
        if day is not None and day > due:
            return Deadline(SUBMITTED_LATE, due, (day - due).days)
        return Deadline(SUBMITTED_ON_TIME, due, 0)
    if today > due:
        return Deadline(LATE, due, (today - due).days)
    left = (due - today).days
    return Deadline(DUE_SOON if left <= DUE_SOON_DAYS else PENDING, due, left)


@dataclass(frozen=True)
class CoopFacts:
    """A coop's figures for one exercice, as the set-based queries give them (cents)."""
    code: str
    name: str
    exercice: str
    state: str                                 # exercice state, or ABSENT
    submitted_at: datetime | None = None
    opening_cash: int = 0
    cash_movement: int = 0
    closing_cash: int = 0
    last_cash_count: date | None = None
    negative_days: int = 0                     # days ending with the cash below zero
    negative_first_day: date | None = None
    negative_lowest: int = 0
    unpointed: int = 0                         # bank lines unpointed for UNPOINTED_DAYS
    unpointed_oldest: date | None = None
    unpointed_net: int = 0
    late_deposits: int = 0                     # cash receipts banked after BANKING_DAYS (or never)
    late_never: int = 0
    late_worst: int = 0
    late_amount: int = 0
    late_first: date | None = None
    subsidies: int = 0
    account_7410: int = 0


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    kind: str      # a key of ALERT_LABELS
    message: str   # French, with the figures
    day: date | None = None

    @property
    def label(self) -> str:
        return ALERT_LABELS[self.kind]


def coop_findings(f: CoopFacts, today: date) -> list[Finding]:
    """Every alert of the coop for its exercice, sorted by kind."""
    start, end = parse_name(f.exercice)
    due = crf_due(f.exercice)
    out: list[Finding] = []

    def add(kind: str, message: str, day=None) -> None:
        out.append(Finding(f.code, f.name, kind, message, day))

    if f.negative_days > 0:
        add("caisse_negative", f"la caisse est négative en fin de journée le {_d(f.negative_first_day)} "
            f"(au plus bas {format_eur(f.negative_lowest)}, {f.negative_days} jour(s) au total)",
            f.negative_first_day)
    if f.unpointed > 0:
        add("pointage_en_retard", f"{f.unpointed} ligne(s) de banque non pointée(s) depuis plus de "
            f"{UNPOINTED_DAYS} jours (la plus ancienne du {_d(f.unpointed_oldest)}, solde net "
            f"{format_eur(f.unpointed_net)})", f.unpointed_oldest)
    if f.state == ABSENT:
        if today > due:
            add("exercice_absent", f"l'exercice {f.exercice} n'existe pas pour cette coopérative : compte "
                f"rendu manquant (échéance du {_d(due)})", due)
    else:
        ref = min(today, end)
        limit = ref - timedelta(days=round(CASH_COUNT_MONTHS * 30.44))
        has_cash = f.opening_cash != 0 or f.cash_movement != 0 or f.closing_cash != 0
        last = f.last_cash_count
        if has_cash and limit > start and (last is None or last < limit):
            what = f"dernier arrêté le {_d(last)}" if last else "aucun arrêté de caisse enregistré"
            add("arrete_caisse", f"{what} : plus de {CASH_COUNT_MONTHS} mois au {_d(ref)} "
                f"(caisse au livre : {format_eur(f.closing_cash)})", last)
        dl = deadline(f.exercice, f.state, f.submitted_at, today)
        if dl.status == LATE:
            add("crf_manquant", f"compte rendu {f.exercice} non soumis ({STATE_LABELS.get(f.state, f.state)}) : "
                f"échéance du {_d(due)} dépassée de {dl.days} jours", due)
        elif f.submitted_at is not None and _day(f.submitted_at) > due:
            add("crf_en_retard", f"compte rendu soumis le {_d(f.submitted_at)}, {(_day(f.submitted_at) - due).days} "
                f"jours après l'échéance du {_d(due)}", _day(f.submitted_at))
        if f.subsidies != f.account_7410:
            add("subventions_7410", f"le tableau des subventions totalise {format_eur(f.subsidies)} mais le "
                f"compte 7410 totalise {format_eur(f.account_7410)} (écart "
                f"{format_eur(abs(f.subsidies - f.account_7410))})")
    if f.late_deposits > 0:
        extra = f", dont {f.late_never} jamais remise(s)" if f.late_never else ""
        add("especes_remise_tardive", f"{f.late_deposits} recette(s) en espèces remise(s) en banque après plus "
            f"de {BANKING_DAYS} jours{extra} (jusqu'à {f.late_worst} jours, {format_eur(f.late_amount)} au "
            f"total ; la première du {_d(f.late_first)})", f.late_first)
    return sorted(out, key=lambda x: x.kind)


def _day(x) -> date:
    return x.date() if isinstance(x, datetime) else x
