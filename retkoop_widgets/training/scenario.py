"""The training story: what the trainee is asked to record, as data.

Every date is derived from the sandbox's exercice (1 September Y → 31 August Y+1), so the
same scenario works whatever year a session runs in. Sessions use the last *completed*
exercice by default (``default_exercice``): every date of the story is then in the past,
which the ledger requires for a cash count, and the year-end report makes sense.

The bank statement of the pointage exercise is data too (``statement``): the notebook
renders it as a table and ``statement_csv`` gives it as a file a trainer can print.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..domain.exercice import name_for, parse_name
from ..domain.money import format_eur, format_plain

OPENING_BANK = 125000  # 1 250,00 €
OPENING_CASH = 4870  # 48,70 €

# The OCCE invoice: dues, insurance, Animation & Éducation (A&E) subscription.
INVOICE_SPLIT = (("6281", "la cotisation", 15000),
                 ("61681", "l'assurance", 1500),
                 ("6181", "l'abonnement Animation & Éducation", 950))
INVOICE_TOTAL = sum(a for _, _, a in INVOICE_SPLIT)  # 174,50 €

FAMILIES_AMOUNT = 32000  # first receipt, cheques, 7560
CASH_SALE_AMOUNT = 8540  # cake sale in cash, 7080, then banked
BANK_FEES_AMOUNT = 600  # on the statement only: the trainee must record it (6270)
SUBSIDY_AMOUNT = 40000  # commune, 7410
SUBSIDY_GRANTOR = "Mairie de Bois-Guillaume"
SUBSIDY_OBJECT = "Classe de mer"

# The cash count the trainee is given: 2 × 20 €, 5 €, 2 €, 1 €, 50 c, 20 c = 48,70 €.
CASH_COUNT = {2000: 2, 500: 1, 200: 1, 100: 1, 50: 1, 20: 1}


def default_exercice(today: date | None = None) -> str:
    """The last completed exercice (on 27/11/2026: ``2025-2026``)."""
    today = today or date.today()
    start, _ = parse_name(name_for(today))
    return f"{start.year - 1}-{start.year}"


@dataclass(frozen=True)
class Dates:
    """The story's dates for one exercice."""

    year: int  # the exercice's first year

    @classmethod
    def of(cls, exercice: str) -> "Dates":
        return cls(parse_name(exercice)[0].year)

    @property
    def families(self) -> date:
        return date(self.year, 9, 18)

    @property
    def invoice(self) -> date:
        return date(self.year, 9, 25)

    @property
    def cash_sale(self) -> date:
        return date(self.year, 10, 10)

    @property
    def deposit(self) -> date:
        return date(self.year, 10, 14)

    @property
    def statement(self) -> date:
        return date(self.year, 10, 31)

    @property
    def cash_count(self) -> date:
        return date(self.year, 10, 31)

    @property
    def closing_count(self) -> date:
        return date(self.year + 1, 8, 31)

    @property
    def subsidy(self) -> date:
        return date(self.year + 1, 1, 12)


@dataclass(frozen=True)
class StatementLine:
    date: date
    libelle: str
    amount: int  # signed cents, credit (money in) positive
    hint: str = ""  # what the trainee must do if the line is not in the cahier


def statement(exercice: str) -> list[StatementLine]:
    """The bank statement of 31 October: three lines the trainee entered, one they did not."""
    d = Dates.of(exercice)
    y = d.year
    return [
        StatementLine(date(y, 9, 22), "REMISE DE CHEQUES", FAMILIES_AMOUNT),
        StatementLine(date(y, 10, 2), "CHEQUE", -INVOICE_TOTAL),
        StatementLine(date(y, 10, 15), "VERSEMENT ESPECES", CASH_SALE_AMOUNT),
        StatementLine(date(y, 10, 31), "FRAIS TENUE DE COMPTE", -BANK_FEES_AMOUNT,
                      "frais bancaires : dépense de 6,00 € en banque, mode prélèvement, compte 6270"),
    ]


def statement_opening(exercice: str) -> int:
    return OPENING_BANK


def statement_closing(exercice: str) -> int:
    return OPENING_BANK + sum(line.amount for line in statement(exercice))


def statement_rows(exercice: str) -> list[dict]:
    """The statement as table rows, formatted for display (French)."""
    rows = [{"Date": "", "Libellé": "Ancien solde", "Débit": "", "Crédit": format_eur(OPENING_BANK)}]
    for line in statement(exercice):
        rows.append({"Date": f"{line.date:%d/%m/%Y}", "Libellé": line.libelle,
                     "Débit": format_eur(-line.amount) if line.amount < 0 else "",
                     "Crédit": format_eur(line.amount) if line.amount > 0 else ""})
    rows.append({"Date": f"{Dates.of(exercice).statement:%d/%m/%Y}", "Libellé": "Nouveau solde",
                 "Débit": "", "Crédit": format_eur(statement_closing(exercice))})
    return rows


def statement_csv(exercice: str) -> str:
    """The statement as a ``;``-separated CSV (amounts ``1234,56``), as banks export it."""
    out = ["date;libelle;debit;credit"]
    for line in statement(exercice):
        debit = format_plain(-line.amount) if line.amount < 0 else ""
        credit = format_plain(line.amount) if line.amount > 0 else ""
        out.append(f"{line.date:%d/%m/%Y};{line.libelle};{debit};{credit}")
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class Exercise:
    id: str
    number: int
    title: str
    short: str  # column header of the progress table

    def instructions(self, exercice: str) -> str:
        """The French instructions (HTML) for this exercice's dates."""
        return INSTRUCTIONS[self.id](Dates.of(exercice), exercice)


def _d(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def _premiere_recette(d: Dates, ex: str) -> str:
    return (f"<p>Le {_d(d.families)}, vous remettez à la banque les chèques de la participation "
            f"volontaire des familles : <b>{format_eur(FAMILIES_AMOUNT)}</b>.</p><ul>"
            f"<li>date : {_d(d.families)} ; libellé : « Participation des familles » ;</li>"
            "<li>entrée en <b>banque</b>, mode <b>chèque</b> ;</li>"
            "<li>ventilation : compte <b>7560</b> (participation volontaire des familles).</li></ul>")


def _facture_occe(d: Dates, ex: str) -> str:
    lines = "".join(f"<li>{label} : compte <b>{code}</b>, <b>{format_eur(a)}</b></li>"
                    for code, label, a in INVOICE_SPLIT)
    return (f"<p>Le {_d(d.invoice)}, vous payez par chèque la facture de l'OCCE : "
            f"<b>{format_eur(INVOICE_TOTAL)}</b>. Une seule écriture, sortie en <b>banque</b>, "
            f"ventilée sur trois comptes :</p><ul>{lines}</ul>")


def _especes(d: Dates, ex: str) -> str:
    return (f"<p>Le {_d(d.cash_sale)}, la vente de gâteaux rapporte <b>{format_eur(CASH_SALE_AMOUNT)}</b> "
            "en espèces, mises dans la caisse :</p><ul>"
            "<li>entrée en <b>caisse</b>, mode <b>espèces</b>, ventilation compte <b>7080</b> "
            "(produits des activités éducatives).</li></ul>"
            f"<p>Le {_d(d.deposit)}, vous déposez ces espèces à la banque : c'est un <b>virement "
            "interne</b> (sortie de caisse, entrée en banque du même montant), <b>sans ventilation</b> : "
            "ni une recette, ni une dépense.</p>")


def _pointage(d: Dates, ex: str) -> str:
    return (f"<p>Voici le relevé bancaire du {_d(d.statement)}. Pointez dans le cahier chaque ligne "
            "qui figure sur le relevé (date de relevé : "
            f"{_d(d.statement)}). Une ligne du relevé n'est pas encore dans votre cahier : saisissez-la "
            "(dépense en banque, mode prélèvement, compte <b>6270</b> frais bancaires), puis pointez-la. "
            f"À la fin, le solde pointé doit être égal au solde du relevé : "
            f"<b>{format_eur(statement_closing(ex))}</b>.</p>")


def _arrete(d: Dates, ex: str) -> str:
    from ..domain.cash import denomination_label
    detail = ", ".join(f"{n} × {denomination_label(c)}" for c, n in sorted(CASH_COUNT.items(), reverse=True))
    return (f"<p>Le {_d(d.cash_count)}, après la remise en banque, vous comptez la caisse : "
            f"{detail}. Enregistrez cet <b>arrêté de caisse</b> daté du {_d(d.cash_count)} : "
            "le compte doit être égal au solde de la caisse dans le cahier.</p>")


def _subvention(d: Dates, ex: str) -> str:
    return (f"<p>Le {_d(d.subsidy)}, la commune ({SUBSIDY_GRANTOR}) verse par <b>virement</b> "
            f"<b>{format_eur(SUBSIDY_AMOUNT)}</b> pour le projet « {SUBSIDY_OBJECT} ».</p><ul>"
            "<li>entrée en banque, mode virement, ventilation compte <b>7410</b> (subventions publiques) ;</li>"
            "<li>puis, dans le <b>tableau des subventions</b> : organisme, type « commune », objet, montant, "
            "date de réception et <b>numéro de la pièce</b> de la recette.</li></ul>")


def _compte_rendu(d: Dates, ex: str) -> str:
    return (f"<p>Fin d'exercice. Le {_d(d.closing_count)}, faites l'<b>arrêté de caisse de clôture</b> "
            f"(la caisse contient toujours {format_eur(OPENING_CASH)} : mêmes billets et pièces). "
            f"Ouvrez ensuite le compte rendu financier {ex}, vérifiez qu'il est cohérent "
            "(report à nouveau + produits − charges = banque + caisse au 31/08, aucune alerte), "
            "puis <b>soumettez-le</b> à l'AD avec deux vérificateurs aux comptes dont un parent "
            "(par exemple « Claire Martin », parent, et « Paul Durand », enseignant). Les six exercices "
            "précédents doivent être réussis.</p>")


INSTRUCTIONS = {
    "premiere_recette": _premiere_recette, "facture_occe": _facture_occe, "especes": _especes,
    "pointage": _pointage, "arrete_caisse": _arrete, "subvention": _subvention,
    "compte_rendu": _compte_rendu,
}

EXERCISES: tuple[Exercise, ...] = (
    Exercise("premiere_recette", 1, "Première recette : la participation des familles", "1. Recette"),
    Exercise("facture_occe", 2, "La facture OCCE : cotisation, assurance et A&E", "2. Facture OCCE"),
    Exercise("especes", 3, "Recette en espèces, puis remise en banque", "3. Espèces"),
    Exercise("pointage", 4, "Le pointage du relevé bancaire", "4. Pointage"),
    Exercise("arrete_caisse", 5, "L'arrêté de caisse", "5. Caisse"),
    Exercise("subvention", 6, "Une subvention publique", "6. Subvention"),
    Exercise("compte_rendu", 7, "Le compte rendu financier de fin d'année", "7. Compte rendu"),
)


def exercise(exercise_id: str) -> Exercise:
    for e in EXERCISES:
        if e.id == exercise_id:
            return e
    from ..domain.errors import NotFound
    raise NotFound(f"exercice de formation « {exercise_id} » inconnu "
                   f"({', '.join(e.id for e in EXERCISES)})")
