"""A small, fully known exercice for the report and submission tests (a helper module,
not a test file: ``test_reports``, ``test_reports_batch``, ``test_submission`` and
``test_widgets_submission`` import it).

Opening 1 842,37 bank / 63,50 cash (the ``books`` fixture). Every expected figure below
is derived by hand from the entries, so the tests compare the PDF with arithmetic done
independently of the code under test.
"""
from __future__ import annotations

from datetime import date

from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V

COOP, EX = "AD76-0421", "2025-2026"

EXPECTED = {
    "total_produits": "2 214,20",  # 1 250,00 + 600,00 + 364,20
    "total_charges": "2 580,60",   # 174,50 + 2 345,60 + 48,50 + 12,00
    "resultat": "-366,40",
    "opening_total": "1 905,87",
    "closing_bank": "1 460,27",    # 1 842,37 + 1 250 − 174,50 + 600 − 2 345,60 + 300 − 12
    "closing_cash": "79,20",       # 63,50 + 364,20 − 48,50 − 300
    "closing_total": "1 539,47",
    "statement": "3 517,87",       # 1 460,27 + 2 345,60 − 300 + 12 (unpointed lines)
    "subsidies": "600,00",
    "big_expense": "2 345,60",
}


def seed_known_year(books, *, cash_count: bool = True, subsidy: bool = True) -> dict[str, int]:
    """Record the known year; returns pièce → entry id."""
    d = date
    drafts = [
        EntryDraft(d(2025, 9, 12), "Participation des familles", tiers="Familles", mode="chèque", bank_in=125000,
                   ventilation=(V("7560", 125000),), pointed=True, statement_date=d(2025, 9, 30)),
        EntryDraft(d(2025, 10, 2), "Facture OCCE", tiers="OCCE 76", mode="chèque", cheque="1001", bank_out=17450,
                   ventilation=(V("6281", 15000), V("61681", 1500), V("6181", 950)), pointed=True,
                   statement_date=d(2025, 10, 31)),
        EntryDraft(d(2025, 11, 6), "Subvention municipale", tiers="Mairie", mode="virement", bank_in=60000,
                   ventilation=(V("7410", 60000),), pointed=True, statement_date=d(2025, 11, 30)),
        EntryDraft(d(2025, 12, 10), "Spectacle de Noël", tiers="Compagnie Lutins", mode="chèque", cheque="1002",
                   bank_out=234560, ventilation=(V("6257", 234560),)),
        EntryDraft(d(2025, 12, 15), "Marché de Noël", mode="espèces", cash_in=36420, ventilation=(V("7080", 36420),)),
        EntryDraft(d(2025, 12, 20), "Achat gâteaux", mode="espèces", cash_out=4850, ventilation=(V("6064", 4850),)),
        EntryDraft(d(2026, 1, 5), "Remise d'espèces en banque", bank_in=30000, cash_out=30000),
        EntryDraft(d(2026, 8, 28), "Frais de tenue de compte", mode="prélèvement", bank_out=1200,
                   ventilation=(V("6270", 1200),)),
    ]
    ids = {}
    for dr in drafts:
        e = books.record_entry(COOP, EX, dr)
        ids[e.piece] = e.id
    if cash_count:  # 50 + 20 + 5 + 2×2 + 0,20 = 79,20
        books.record_cash_count(COOP, EX, d(2026, 8, 31), {5000: 1, 2000: 1, 500: 1, 200: 2, 20: 1},
                                "arrêté de clôture")
    if subsidy:
        books.add_subsidy(COOP, EX, "Mairie de Bois-Guillaume", "commune", "Projet lecture", 60000,
                          d(2025, 11, 6), entry_piece="003")
    return ids


def plain(text: str) -> str:
    """PDF text with French typographic spaces made ordinary (for searching figures)."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")
