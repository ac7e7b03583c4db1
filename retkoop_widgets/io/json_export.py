"""The exercice's entries as JSON: a machine-readable cahier for AD tools and archives.

Amounts are strings with a dot and two decimals (``"1234.56"``), like the CRF JSON, so no
reader ever goes through a binary float. Each entry carries both views: the movements
(what the cahier shows) and the ventilation (where the money is assigned)."""
from __future__ import annotations

from typing import Sequence

from ..domain.entry import Entry
from ..domain.exercice import Exercice
from ..domain.ledger import cahier_order
from ..domain.money import to_decimal_str

FORMAT_VERSION = 1


def entry_json(e: Entry) -> dict:
    d = to_decimal_str
    return {
        "piece": e.piece,
        "date": e.date.isoformat(),
        "libelle": e.libelle,
        "tiers": e.tiers,
        "mode": e.mode,
        "cheque": e.cheque,
        "type": e.kind,
        "montant": d(e.amount),
        "mouvements": {"banque_entree": d(e.bank_in), "banque_sortie": d(e.bank_out),
                       "caisse_entree": d(e.cash_in), "caisse_sortie": d(e.cash_out)},
        "ventilation": [{"compte": account, "montant": d(cents), "action": action}
                        for account, cents, action in e.ventilation_for_display()],
        "pointage": {"pointe": e.pointed,
                     "date_releve": e.statement_date.isoformat() if e.statement_date else None},
    }


def export_json(coop: str, exercice: Exercice, entries: Sequence[Entry]) -> dict:
    """``{"coop", "exercice", "ecritures": [...]}`` in cahier order (plus the period and the
    opening balances, so the file stands on its own)."""
    d = to_decimal_str
    return {
        "format": "retkoop-ecritures",
        "version": FORMAT_VERSION,
        "coop": coop,
        "exercice": exercice.name,
        "debut": exercice.start.isoformat(),
        "fin": exercice.end.isoformat(),
        "report_a_nouveau": {"banque": d(exercice.opening_bank), "caisse": d(exercice.opening_cash),
                             "total": d(exercice.opening_total)},
        "ecritures": [entry_json(e) for e in cahier_order(entries)],
    }
