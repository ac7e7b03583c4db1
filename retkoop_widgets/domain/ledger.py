"""Projections of an exercice's entries: the cahier with running balances, pointage,
alerts. Small pure functions over tuples of ``Entry``."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

from .entry import Entry
from .exercice import Exercice
from .money import format_eur
from .numbering import sort_key


@dataclass(frozen=True, slots=True)
class TreasuryLine:
    """What pointage and alerts need of an entry: its treasury side, without postings.

    The storage layer loads these only for the lines a report lists (unpointed, cheques,
    flagged); ``Entry`` has the same attributes, so every function below accepts either.
    """
    piece: str
    date: date
    libelle: str
    bank: int
    cash: int
    cheque: str = ""
    pointed: bool = False
    statement_date: date | None = None
    changed_after_pointage: bool = False
    id: int | None = None
    #: The exercice the line belongs to, set on an earlier exercice's line carried into a
    #: later one's reconciliation (``TreasuryReview.outstanding_previous``); else empty.
    exercice: str = ""


class CahierOrder(list):
    """A list already in cahier order: the functions below do not sort it again."""


def cahier_order(entries: Iterable[Entry]) -> CahierOrder:
    """Date of the operation, then pièce in natural order, then creation."""
    if isinstance(entries, CahierOrder):
        return entries
    return CahierOrder(sorted(entries, key=lambda e: (e.date, sort_key(e.piece), e.id or 0)))


@dataclass(frozen=True)
class CahierLine:
    entry: Entry
    bank_balance: int
    cash_balance: int


def running_balances(exercice: Exercice, entries: Iterable[Entry]) -> list[CahierLine]:
    bank, cash = exercice.opening_bank, exercice.opening_cash
    out = []
    for e in cahier_order(entries):
        bank += e.bank
        cash += e.cash
        out.append(CahierLine(e, bank, cash))
    return out


def balances_at(exercice: Exercice, entries: Iterable[Entry], day: date | None = None) -> tuple[int, int]:
    """(bank, cash) at the end of ``day`` (all entries when None)."""
    bank, cash = exercice.opening_bank, exercice.opening_cash
    for e in entries:
        if day is None or e.date <= day:
            bank += e.bank
            cash += e.cash
    return bank, cash


@dataclass(frozen=True)
class Alert:
    code: str
    message: str
    piece: str = ""
    entry_id: int | None = None
    date: date | None = None

    def as_dict(self) -> dict:
        return {"code": self.code, "piece": self.piece,
                "date": self.date.isoformat() if self.date else None, "message": self.message}


#: What the balance walk needs of one entry: ``(date, pièce, id, bank, cash)``. A plain
#: tuple, because a year holds thousands and the CRF must take milliseconds.
Movement = tuple


def movements(entries: Iterable[Entry]) -> list[Movement]:
    return [(e.date, e.piece, e.id, e.bank, e.cash) for e in entries]


@dataclass(frozen=True)
class TreasuryReview:
    """Everything the CRF needs from the treasury side of an exercice, from one walk."""
    closing_bank: int
    closing_cash: int
    unpointed: tuple[TreasuryLine, ...]
    statement_balance: int
    alerts: tuple[Alert, ...]
    count: int
    #: Bank lines of earlier exercices still not on the bank's statement at this
    #: exercice's end (``TreasuryLine.exercice`` says which year), in cahier order.
    outstanding_previous: tuple[TreasuryLine, ...] = ()


def _key(day: date, piece: str, entry_id: int | None) -> tuple:
    return (day, sort_key(piece), entry_id or 0)


# per-line alerts of one pièce come out in this order
_NEG_BANK, _NEG_CASH, _FUTURE, _CHANGED = range(4)


def review_treasury(exercice: Exercice, moves: Iterable[Movement], details: Iterable[TreasuryLine | Entry],
                    today: date, carried: Iterable[TreasuryLine] = ()) -> TreasuryReview:
    """Closing balances, unpointed bank lines, the statement balance and the entry alerts.

    "Unpointed" is as of the exercice's end (the reconciliation table of the CRF explains
    the 31/08 statement): a line pointed on a later statement (a cheque of 25/08 cashed in
    September) is still listed, and the statement balance leaves it out.

    ``carried``: bank lines of EARLIER exercices (``.exercice`` naming theirs) that were
    not on the statement of their own exercice's end (any superset: lines pointed on a
    statement dated on or before this exercice's end are dropped here). Those still not in
    the bank at this exercice's end are ``outstanding_previous``: the opening balance
    carried forward counts them (a cheque of 25/08 is in last year's closing book balance
    whether or not the bank paid it), so the statement balance expected at this end
    leaves them out too. Because every test here is "as of the exercice's end", pointing
    a line later on a statement dated after that end never changes this review.

    ``moves`` are every entry's movements, in any order. ``details`` are full lines for AT
    LEAST every entry that is a bank line unpointed at the exercice's end, a cheque paid
    out, dated after ``today`` or changed after pointage (extra lines are ignored): the storage layer loads
    just those, so a year of 5,000 entries costs one narrow scan, not 5,000 objects.
    Alerts come in cahier order (per line: bank, cash, future date, changed after
    pointage), then the cheque alerts.
    """
    ordered = sorted(moves, key=lambda m: _key(m[0], m[1], m[2]))
    bank, cash = exercice.opening_bank, exercice.opening_cash
    bank_neg = cash_neg = False
    keyed: list[tuple[tuple, int, Alert]] = []
    for day, piece, entry_id, b, c in ordered:
        bank += b
        cash += c
        if bank < 0:
            if b < 0 and not bank_neg:
                keyed.append((_key(day, piece, entry_id), _NEG_BANK, Alert(
                    "solde_banque_negatif", f"le solde de la banque devient négatif ({format_eur(bank)}) "
                    f"après la pièce {piece} du {day:%d/%m/%Y}", piece, entry_id, day)))
            bank_neg = True
        else:
            bank_neg = False
        if cash < 0:
            if c < 0 and not cash_neg:
                keyed.append((_key(day, piece, entry_id), _NEG_CASH, Alert(
                    "solde_caisse_negatif", f"le solde de la caisse devient négatif ({format_eur(cash)}) "
                    f"après la pièce {piece} du {day:%d/%m/%Y} : une dépense en espèces a-t-elle été "
                    "saisie avant la recette correspondante ?", piece, entry_id, day)))
            cash_neg = True
        else:
            cash_neg = False
    open_lines, cheques = [], []
    end = exercice.end
    for e in cahier_order(details):
        if e.bank and not (e.pointed and (e.statement_date is None or e.statement_date <= end)):
            open_lines.append(e)  # not on the statement of the exercice's last day
        if e.cheque and e.bank < 0:
            cheques.append(e)
        if e.date > today:
            keyed.append((_key(e.date, e.piece, e.id), _FUTURE, Alert(
                "date_future", f"la pièce {e.piece} est datée du {e.date:%d/%m/%Y}, une date future",
                e.piece, e.id, e.date)))
        if e.changed_after_pointage:
            keyed.append((_key(e.date, e.piece, e.id), _CHANGED, Alert(
                "pointee_modifiee", f"la pièce {e.piece} a été modifiée après avoir été pointée : "
                "vérifiez-la contre le relevé bancaire", e.piece, e.id, e.date)))
    keyed.sort(key=lambda k: (k[0], k[1]))
    previous = [e for e in cahier_order(carried) if e.bank and not on_statement_by(e, end)]
    as_of = min(today, end)
    alerts = ([a for _, _, a in keyed] + cheque_alerts(CahierOrder(cheques))
              + stale_cheque_alerts(previous + open_lines, as_of))
    return TreasuryReview(bank, cash, tuple(open_lines),
                          bank - sum(e.bank for e in open_lines) - sum(e.bank for e in previous),
                          tuple(alerts), len(ordered), tuple(previous))


def on_statement_by(e: TreasuryLine | Entry, day: date) -> bool:
    """Whether the bank line ``e`` was on the bank's statement of ``day``: pointed on a
    statement dated on or before it (pointed without a statement date: counted as on it)."""
    return bool(e.pointed) and (e.statement_date is None or e.statement_date <= day)


def cheque_last_day(issued: date) -> date:
    """The last day a French cheque issued on ``issued`` can be cashed: 8 days to present
    it, then one year (Code monétaire et financier, L131-32 and L131-59)."""
    presented = issued + timedelta(days=8)
    try:
        return presented.replace(year=presented.year + 1)
    except ValueError:  # 29 February
        return date(presented.year + 1, 3, 1)


def stale_cheque_alerts(lines: Iterable[TreasuryLine | Entry], as_of: date) -> list[Alert]:
    """A cheque paid out, still not debited by the bank on ``as_of`` (the exercice's end,
    or today while it runs) although it can no longer be cashed: the payee will never
    cash it, and the cahier still counts the money as spent. One alert per cheque, in
    cahier order; ``TreasuryLine.exercice`` names an earlier year's line."""
    out = []
    for e in cahier_order(lines):
        if not e.cheque or e.bank >= 0:
            continue
        since = cheque_last_day(e.date) + timedelta(days=1)
        if as_of < since:
            continue
        year = getattr(e, "exercice", "")
        where = f"pièce {e.piece}" + (f" de l'exercice {year}" if year else "")
        out.append(Alert("cheque_perime",
                         f"le chèque n° {e.cheque} du {e.date:%d/%m/%Y} n'est plus encaissable depuis le "
                         f"{since:%d/%m/%Y} : {where}, {format_eur(-e.bank)}, jamais débité. Voyez le "
                         "bénéficiaire, puis annulez-le par une écriture de régularisation (le montant revient "
                         "en banque)", e.piece, e.id, e.date))
    return out


#: More cheques missing than a chequebook holds: not a gap to explain but another book.
CHEQUEBOOK_GAP = 50


def cheque_alerts(entries: Iterable[Entry]) -> list[Alert]:
    """A cheque number used twice, and the gaps in the chequebook, once each.

    Why gaps and not order: a cheque is often dated (and entered) by its invoice's date, so
    cheques appear out of number order in the cahier; that is normal and no alert. What a
    teacher must explain is a number missing between the first and last cheque written
    (« chèques 1000240 à 1000242 absents du cahier : annulés, perdus ou pas encore saisis ? »).
    """
    paid = [e for e in cahier_order(entries) if e.cheque and e.bank < 0 and e.cheque.isdigit()]
    alerts: list[Alert] = []
    seen: dict[int, Entry] = {}
    for e in paid:
        n = int(e.cheque)
        if n in seen:
            first = seen[n]
            alerts.append(Alert("cheque_reutilise",
                                f"le chèque n° {e.cheque} de la pièce {e.piece} a déjà été utilisé "
                                f"pour la pièce {first.piece}", e.piece, e.id, e.date))
        else:
            seen[n] = e
    numbers = sorted(seen)
    for low, high in zip(numbers, numbers[1:]):
        if high - low <= 1 or high - low - 1 > CHEQUEBOOK_GAP:
            continue  # consecutive, or another chequebook (its numbers start elsewhere)
        after = seen[high]
        width = len(after.cheque)
        first, last = str(low + 1).zfill(width), str(high - 1).zfill(width)
        if first == last:
            text = f"chèque {first} absent du cahier : annulé, perdu ou pas encore saisi ?"
        else:
            text = f"chèques {first} à {last} absents du cahier : annulés, perdus ou pas encore saisis ?"
        alerts.append(Alert("cheques_manquants", text, after.piece, after.id, after.date))
    return alerts


def save_warnings(exercice: Exercice, entries: Iterable[Entry], saved: Entry) -> list[str]:
    """What a teacher should look at right after saving ``saved`` (already in ``entries``):
    the cash going below zero from it on, a probable duplicate (same amount and date, or the
    same libellé within a week), a cheque number already used. Shown in the confirmation,
    where the mistake can still be fixed, not only in the alert counter."""
    from .chart import fold
    out: list[str] = []
    lines = running_balances(exercice, entries)
    after = False
    for line in lines:
        after = after or line.entry.id == saved.id
        if after and saved.cash < 0 and line.cash_balance < 0:
            out.append(f"la caisse passerait à {format_eur(line.cash_balance)} le {line.entry.date:%d/%m/%Y} : "
                       "vérifiez la date ou le montant")
            break
    label = fold(saved.libelle).strip()
    for e in entries:
        if e.id == saved.id:
            continue
        same_day_amount = e.date == saved.date and e.amount == saved.amount and e.kind == saved.kind
        same_label = label and fold(e.libelle).strip() == label and abs((e.date - saved.date).days) <= 7
        if same_day_amount or same_label:
            out.append(f"doublon possible avec la pièce {e.piece} du {e.date:%d/%m/%Y} "
                       f"({e.libelle}, {format_eur(e.amount)}) : supprimez l'une des deux si c'est la même")
            break
    if saved.cheque:
        for e in entries:
            if e.id != saved.id and e.cheque == saved.cheque and e.bank < 0 and saved.bank < 0:
                out.append(f"le chèque n° {saved.cheque} est déjà celui de la pièce {e.piece}")
                break
    return out

