"""Projections of an exercice's entries: the cahier with running balances, pointage,
alerts. Small pure functions over tuples of ``Entry``."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable, Sequence

from .entry import Entry
from .exercice import Exercice
from .money import format_eur
from .numbering import sort_key


@dataclass(frozen=True, slots=True)
class TreasuryLine:
    """What balances, pointage and alerts need of an entry: its treasury movements.

    The storage layer can load these for a whole year with one aggregate query, without
    materialising every posting; ``Entry`` has the same attributes, so every function
    below accepts either.
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


def treasury_line(e: Entry) -> TreasuryLine:
    return TreasuryLine(e.piece, e.date, e.libelle, e.bank, e.cash, e.cheque, e.pointed,
                        e.statement_date, e.changed_after_pointage, e.id)


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


def unpointed(entries: Iterable[Entry], until: date | None = None) -> list[Entry]:
    """Bank lines not yet seen on a statement (up to ``until``)."""
    return [e for e in cahier_order(entries)
            if e.bank and not e.pointed and (until is None or e.date <= until)]


def pointed_bank_balance(exercice: Exercice, entries: Iterable[Entry]) -> int:
    return exercice.opening_bank + sum(e.bank for e in entries if e.pointed)


def statement_balance(exercice: Exercice, entries: Sequence[Entry], until: date | None = None) -> int:
    """What the bank statement should show: book bank minus unpointed receipts plus
    unpointed payments (equivalently, opening plus pointed movements)."""
    book, _ = balances_at(exercice, entries, until)
    return book - sum(e.bank for e in unpointed(entries, until))


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


def entry_alerts(exercice: Exercice, entries: Iterable[Entry], today: date) -> list[Alert]:
    """Alerts about entries: saved, but a person should look at them."""
    alerts: list[Alert] = []
    bank_neg = cash_neg = False
    for line in running_balances(exercice, entries):
        e = line.entry
        if line.bank_balance < 0 and e.bank < 0 and not bank_neg:
            alerts.append(Alert("solde_banque_negatif",
                                f"le solde de la banque devient négatif ({format_eur(line.bank_balance)}) "
                                f"après la pièce {e.piece} du {e.date:%d/%m/%Y}", e.piece, e.id, e.date))
        bank_neg = line.bank_balance < 0
        if line.cash_balance < 0 and e.cash < 0 and not cash_neg:
            alerts.append(Alert("solde_caisse_negatif",
                                f"le solde de la caisse devient négatif ({format_eur(line.cash_balance)}) "
                                f"après la pièce {e.piece} du {e.date:%d/%m/%Y} : une dépense en "
                                "espèces a-t-elle été saisie avant la recette correspondante ?",
                                e.piece, e.id, e.date))
        cash_neg = line.cash_balance < 0
        if e.date > today:
            alerts.append(Alert("date_future", f"la pièce {e.piece} est datée du {e.date:%d/%m/%Y}, "
                                "une date future", e.piece, e.id, e.date))
        if e.changed_after_pointage:
            alerts.append(Alert("pointee_modifiee",
                                f"la pièce {e.piece} a été modifiée après avoir été pointée : "
                                "vérifiez-la contre le relevé bancaire", e.piece, e.id, e.date))
    alerts.extend(cheque_alerts(entries))
    return alerts


def cheque_alerts(entries: Iterable[Entry]) -> list[Alert]:
    seen: dict[str, Entry] = {}
    previous: Entry | None = None
    alerts = []
    for e in cahier_order(entries):
        if not e.cheque or e.bank >= 0:
            continue
        if e.cheque in seen:
            first = seen[e.cheque]
            alerts.append(Alert("cheque_reutilise",
                                f"le chèque n° {e.cheque} de la pièce {e.piece} a déjà été utilisé "
                                f"pour la pièce {first.piece}", e.piece, e.id, e.date))
        elif previous is not None and int(e.cheque) != int(previous.cheque) + 1:
            alerts.append(Alert("cheque_hors_sequence",
                                f"le chèque n° {e.cheque} de la pièce {e.piece} ne suit pas le précédent "
                                f"(n° {previous.cheque}, pièce {previous.piece}) : chèque annulé, "
                                "perdu ou erreur de saisie ?", e.piece, e.id, e.date))
        seen.setdefault(e.cheque, e)
        if previous is None or int(e.cheque) > int(previous.cheque):
            previous = e
    return alerts
