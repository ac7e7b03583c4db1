"""Demo and fixture data: a realistic school year for a few cooperatives.

Deterministic (a seeded RNG, no clock): the same call gives the same books, so the
notebooks' outputs are stable under nbval and screenshots are reproducible.

* AD76 "OCCE Seine-Maritime": AD76-0421 "École des Tilleuls" (the demo coop, one pièce
  sequence, a full 2025-2026 year written by hand below), AD76-0102 and AD76-0333
  (generated years; 0333 uses separate R/D sequences), AD76-0550 (a generated year
  with deliberate anomalies: cash going negative, old unpointed lines, no cash count).
* AD27 "OCCE Eure": AD27-0101 (generated year).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from .domain.entry import EntryDraft, VentilationLine as V
from .identity import DEMO_COOP, DEMO_USER  # noqa: F401 (re-exported: the demo's coop and login)
from .services.books import Books

DEMO_EXERCICE, DEMO_AD = "2025-2026", "AD76"


@dataclass(frozen=True)
class _E:
    day: str  # jj/mm
    libelle: str
    tiers: str = ""
    mode: str = ""
    cheque: str = ""
    bank: int = 0  # signed cents
    cash: int = 0
    split: tuple = ()  # ((account, cents), ...)
    pointed: str = ""  # statement date jj/mm/aaaa, or ""


def _d(s: str, start_year: int = 2025) -> date:
    dd, mm = (int(x) for x in s.split("/"))
    return date(start_year if mm >= 9 else start_year + 1, mm, dd)


# The demo coop's year, in the order a teacher would write it.
TILLEULS = [
    _E("12/09", "Participation volontaire des familles — CP", "Familles CP", "chèque", "", 25000, 0, (("7560", 25000),), "30/09/2025"),
    _E("15/09", "Participation volontaire des familles — CE1", "Familles CE1", "espèces", "", 0, 18500, (("7560", 18500),)),
    _E("19/09", "Remise d'espèces en banque", "Banque", "", "", 18500, -18500, (), "30/09/2025"),
    _E("22/09", "Participation volontaire des familles — CE2/CM", "Familles CE2-CM", "chèque", "", 41000, 0, (("7560", 41000),), "30/09/2025"),
    _E("03/10", "Facture OCCE : cotisation, assurance, A&E", "OCCE 76", "chèque", "4521001", -17450, 0,
       (("6281", 15000), ("61681", 1500), ("6181", 950)), "31/10/2025"),
    _E("10/10", "Fournitures arts plastiques", "Cultura", "chèque", "4521002", -8640, 0, (("6064", 8640),), "31/10/2025"),
    _E("14/10", "Photos de classe : achat au photographe", "Studio Lumière", "chèque", "4521003", -52000, 0, (("6011", 52000),), "31/10/2025"),
    _E("21/10", "Photos de classe : ventes aux familles", "Familles", "chèque", "", 78000, 0, (("7071", 78000),), "31/10/2025"),
    _E("06/11", "Subvention municipale projet lecture", "Mairie de Bois-Guillaume", "virement", "", 60000, 0, (("7410", 60000),), "30/11/2025"),
    _E("18/11", "Abonnement revues de classe", "Milan Presse", "chèque", "4521004", -11900, 0, (("6181", 11900),), "30/11/2025"),
    _E("30/11", "Frais de tenue de compte", "Banque", "prélèvement", "", -1200, 0, (("6270", 1200),), "30/11/2025"),
    _E("12/12", "Spectacle de Noël : compagnie Les Lutins", "Cie Les Lutins", "chèque", "4521005", -45000, 0, (("6257", 45000),), "31/12/2025"),
    _E("15/12", "Marché de Noël : ventes d'objets", "Familles", "espèces", "", 0, 36420, (("7080", 36420),)),
    _E("18/12", "Achat gâteaux marché de Noël", "Boulangerie Martin", "espèces", "", 0, -4850, (("6064", 4850),)),
    _E("19/12", "Remise d'espèces en banque", "Banque", "", "", 30000, -30000, (), "31/12/2025"),
    _E("16/01", "Livres pour la bibliothèque de classe", "Librairie du Soleil", "carte", "", -23470, 0, (("6181", 23470),), "31/01/2026"),
    _E("06/02", "Sortie cinéma : participation des familles", "Familles", "chèque", "", 16800, 0, (("7080", 16800),), "28/02/2026"),
    _E("10/02", "Sortie cinéma : entrées", "Cinéma Ariel", "chèque", "4521006", -22400, 0, (("6257", 22400),), "28/02/2026"),
    _E("10/02", "Sortie cinéma : transport en car", "Cars Perier", "chèque", "4521007", -38000, 0, (("6251", 38000),), "28/02/2026"),
    _E("27/02", "Frais de tenue de compte", "Banque", "prélèvement", "", -1200, 0, (("6270", 1200),), "28/02/2026"),
    _E("13/03", "Don de l'association des parents", "APE des Tilleuls", "chèque", "", 30000, 0, (("7580", 30000),), "31/03/2026"),
    _E("20/03", "Tablette pour la classe (inventaire)", "Boulanger", "chèque", "4521008", -32900, 0, (("68", 32900),), "31/03/2026"),
    _E("03/04", "Graines et terreau jardin pédagogique", "Jardinerie Delbard", "espèces", "", 0, -2790, (("6064", 2790),)),
    _E("15/05", "Classe découverte : acomptes des familles", "Familles", "chèque", "", 96000, 0, (("7080", 96000),), "31/05/2026"),
    _E("22/05", "Classe découverte : hébergement", "Centre PEP Étretat", "virement", "", -148000, 0, (("6251", 148000),), "31/05/2026"),
    _E("29/05", "Frais de tenue de compte", "Banque", "prélèvement", "", -1200, 0, (("6270", 1200),), "31/05/2026"),
    _E("12/06", "Kermesse : buvette et stands", "Familles", "espèces", "", 0, 52380, (("7080", 52380),)),
    _E("12/06", "Kermesse : achats buvette", "Leclerc", "carte", "", -14530, 0, (("6064", 14530),), "30/06/2026"),
    _E("16/06", "Remise d'espèces en banque", "Banque", "", "", 50000, -50000, (), "30/06/2026"),
    _E("26/06", "Livres de prix fin d'année", "Librairie du Soleil", "chèque", "4521009", -18760, 0, (("6181", 18760),), "30/06/2026"),
    _E("30/06", "Intérêts du livret", "Banque", "virement", "", 412, 0, (("7680", 412),)),
    _E("03/07", "Goûter de fin d'année", "Boulangerie Martin", "chèque", "4521010", -6350, 0, (("6064", 6350),)),
    _E("28/08", "Frais de tenue de compte", "Banque", "prélèvement", "", -1200, 0, (("6270", 1200),)),
]


def _draft(e: _E, start_year: int = 2025) -> EntryDraft:
    return EntryDraft(
        date=_d(e.day, start_year), libelle=e.libelle, tiers=e.tiers, mode=e.mode, cheque=e.cheque,
        bank_in=max(e.bank, 0), bank_out=max(-e.bank, 0), cash_in=max(e.cash, 0), cash_out=max(-e.cash, 0),
        ventilation=tuple(V(a, c) for a, c in e.split) if e.split else (),
        pointed=bool(e.pointed), statement_date=_dmy(e.pointed) if e.pointed else None)


def _dmy(s: str) -> date:
    d, m, y = (int(x) for x in s.split("/"))
    return date(y, m, d)


def seed_demo(books: Books, *, extra_coops: bool = True) -> None:
    """Seed the demo ADs and coops (idempotent: does nothing if AD76-0421 exists)."""
    if any(c["code"] == DEMO_COOP for c in books.coops()):
        return
    if not any(code == "AD76" for code, _ in books.ads()):
        books.add_ad("AD76", "OCCE Seine-Maritime")
    books.add_coop(DEMO_COOP, "École des Tilleuls", "AD76")
    books.open_exercice(DEMO_COOP, DEMO_EXERCICE, 184237, 6350)
    books.import_drafts(DEMO_COOP, DEMO_EXERCICE, [(f"démo {i}", _draft(e)) for i, e in enumerate(TILLEULS, 1)],
                        source="démo")
    books.record_cash_count(DEMO_COOP, DEMO_EXERCICE, date(2026, 8, 31),
                            {2000: 2, 1000: 2, 500: 2, 200: 2, 100: 1, 10: 1}, "arrêté de fin d'exercice")
    books.add_subsidy(DEMO_COOP, DEMO_EXERCICE, "Mairie de Bois-Guillaume", "commune", "Projet lecture",
                      60000, date(2025, 11, 6), entry_piece="009")
    from .services.inventory import seed_inventory_demo  # the tablet of pièce 022, in the register
    seed_inventory_demo(books, DEMO_COOP, DEMO_EXERCICE)
    if not extra_coops:
        return
    books.add_coop("AD76-0102", "École Jules Ferry", "AD76")
    _generated_year(books, "AD76-0102", seed=102, opening=(95012, 2300), n=120)
    books.add_coop("AD76-0333", "École maternelle Les Coquelicots", "AD76", numbering_mode="RD")
    _generated_year(books, "AD76-0333", seed=333, opening=(41000, 0), n=60)
    books.add_coop("AD76-0550", "École du Bois Joli", "AD76")
    _generated_year(books, "AD76-0550", seed=550, opening=(23000, 500), n=80, anomalies=True)
    if not any(code == "AD27" for code, _ in books.ads()):
        books.add_ad("AD27", "OCCE Eure")
    books.add_coop("AD27-0101", "École du Vexin", "AD27")
    _generated_year(books, "AD27-0101", seed=27, opening=(150000, 4000), n=90)


_RECEIPTS = [("7560", "Participation volontaire des familles", 1500, 30000),
             ("7080", "Participation des familles à la sortie", 3000, 40000),
             ("7071", "Ventes de photos", 10000, 50000),
             ("7580", "Don", 2000, 20000)]
_EXPENSES = [("6064", "Fournitures pédagogiques", 1000, 20000),
             ("6181", "Livres et abonnements", 1500, 30000),
             ("6251", "Transport sortie scolaire", 15000, 60000),
             ("6257", "Spectacle", 8000, 50000),
             ("6270", "Frais bancaires", 600, 1500)]


def _generated_year(books: Books, coop: str, *, seed: int, opening: tuple[int, int], n: int,
                    anomalies: bool = False, exercice: str = DEMO_EXERCICE) -> None:
    """A plausible year: receipts, expenses by cheque, cash receipts banked later."""
    rng = random.Random(seed)
    books.open_exercice(coop, exercice, *opening)
    start = date(int(exercice[:4]), 9, 1)
    drafts = []
    cheque = 1000000 + seed * 100
    cash = opening[1]
    bank = opening[0]
    for i in range(n):
        day = start + timedelta(days=int(i * 360 / n) + rng.randint(0, 2))
        pointed = day < date(start.year + 1, 7, 1) and not (anomalies and i % 7 == 0)
        # the month's statement (28th); a line of the 29th-31st is on it only from its own date
        stmt = max(day, date(day.year, day.month, 28)) if pointed else None
        r = rng.random()
        if i == 0:
            amount = 17450
            drafts.append(EntryDraft(day, "Facture OCCE : cotisation, assurance, A&E", tiers="OCCE", mode="chèque",
                                     cheque=str(cheque), bank_out=amount, pointed=pointed, statement_date=stmt,
                                     ventilation=(V("6281", 15000), V("61681", 1500), V("6181", 950))))
            cheque += 1
            bank -= amount
        elif r < 0.25 or (anomalies and i % 11 == 5):
            code, label, lo, hi = rng.choice(_RECEIPTS[:2])
            amount = rng.randint(lo, hi) // 10 * 10
            if anomalies and i % 11 == 5:  # cash spent before it is received
                drafts.append(EntryDraft(day, "Achat en espèces", mode="espèces", cash_out=cash + 1500,
                                         ventilation=(V("6064", cash + 1500),)))
                cash = -1500
                continue
            drafts.append(EntryDraft(day, f"{label} (espèces)", mode="espèces", cash_in=amount,
                                     ventilation=(V(code, amount),)))
            cash += amount
        elif r < 0.33 and cash > 0:
            amount = cash
            drafts.append(EntryDraft(day, "Remise d'espèces en banque", bank_in=amount, cash_out=amount,
                                     pointed=pointed, statement_date=stmt))
            cash, bank = 0, bank + amount
        elif r < 0.6:
            code, label, lo, hi = rng.choice(_RECEIPTS)
            amount = rng.randint(lo, hi) // 10 * 10
            drafts.append(EntryDraft(day, label, mode="chèque", bank_in=amount, pointed=pointed,
                                     statement_date=stmt, ventilation=(V(code, amount),)))
            bank += amount
        else:
            code, label, lo, hi = rng.choice(_EXPENSES)
            amount = min(rng.randint(lo, hi), max(bank - 5000, 500))
            mode = "prélèvement" if code == "6270" else "chèque"
            drafts.append(EntryDraft(day, label, mode=mode, cheque=str(cheque) if mode == "chèque" else "",
                                     bank_out=amount, pointed=pointed, statement_date=stmt,
                                     ventilation=(V(code, amount),)))
            if mode == "chèque":
                cheque += 1
            bank -= amount
    books.import_drafts(coop, exercice, [(f"démo {i}", d) for i, d in enumerate(drafts, 1)], source="démo")
    if not anomalies:
        _, book_cash = books.balances(coop, exercice)
        counts = _counts_for(book_cash)
        if counts is not None:
            books.record_cash_count(coop, exercice, date(start.year + 1, 8, 31), counts)


def _counts_for(cents: int) -> dict[int, int] | None:
    """Greedy change-making: the notes and coins that make ``cents`` (a 'caisse juste')."""
    from .domain.cash import DENOMINATIONS
    if cents < 0:
        return None
    out = {}
    for d in DENOMINATIONS:
        n, cents = divmod(cents, d)
        if n:
            out[d] = n
    return out
