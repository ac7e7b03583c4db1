"""The écriture: one line of the cahier, stored as balanced postings.

A user sees an entry as a pièce, a date, a libellé, money in or out of the bank and/or
the cash box, and a ventilation over account codes. We store it as *postings*
(account, signed cents; debit positive) that always sum to zero:

* a receipt of 250 € on 7560 into the bank: ``512 +25000``, ``7560 -25000``;
* an expense of 174,50 € by cheque: ``512 -17450``, ``6281 +15000``, ``61681 +1500``, ``6181 +950``;
* cash deposited at the bank (a transfer): ``512 +30000``, ``530 -30000``.

The cahier, the CRF and every export are projections of these postings, so they cannot
disagree. ``build_entry`` turns what a user typed (an ``EntryDraft``) into an ``Entry``
or raises every problem at once, in French.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from .chart import BANK, CASH, TREASURY, Chart
from .errors import Problem, ValidationError
from .money import format_eur
from .text import printable, text_problems

MODES = ("chèque", "espèces", "virement", "carte", "prélèvement")
RECEIPT, EXPENSE, TRANSFER = "recette", "depense", "transfert"
_DIGITS = re.compile(r"[0-9]+")  # ASCII digits only: str.isdigit() also accepts « ² » or « ٣ »

#: The latest a line can appear on a bank statement, counted from its own date: a cheque
#: is valid one year and eight days (Code monétaire et financier, L131-32), and the
#: statement showing it may be issued up to a month after it was cashed. A later statement
#: date is a typing slip (31/12/2099), not a late cheque.
POINTAGE_MAX_DELAY = timedelta(days=365 + 8 + 31)


def pointage_problems(entry_date: date | None, statement_date: date | None, *,
                      today: date | None = None) -> list[Problem]:
    """What is impossible about pointing a line of ``entry_date`` on the statement of
    ``statement_date``: a statement before the line's own date, more than
    ``POINTAGE_MAX_DELAY`` after it, or (when ``today`` is known) in the future.

    ``build_entry`` applies it to every entry typed or imported; ``Books.point`` refuses
    the same things."""
    if entry_date is None or statement_date is None:
        return []
    out = []
    if statement_date < entry_date:
        out.append(Problem(f"le relevé du {statement_date:%d/%m/%Y} est antérieur à l'écriture du "
                           f"{entry_date:%d/%m/%Y} : une ligne ne peut pas figurer sur un relevé d'avant "
                           "sa date", "pointage"))
    elif statement_date > entry_date + POINTAGE_MAX_DELAY:
        out.append(Problem(f"le relevé du {statement_date:%d/%m/%Y} est plus de 13 mois après l'écriture "
                           f"du {entry_date:%d/%m/%Y} (un chèque n'est valable qu'un an et 8 jours) : "
                           "vérifiez la date du relevé", "pointage"))
    if today is not None and statement_date > today:
        out.append(Problem(f"le relevé du {statement_date:%d/%m/%Y} est daté dans le futur", "pointage"))
    return out


@dataclass(frozen=True)
class Posting:
    account: str  # short code
    amount: int  # cents, debit positive
    action: str = ""  # optional action / project tag (ventilation side only)


@dataclass(frozen=True)
class VentilationLine:
    account: str  # as typed: short or OCCE code
    amount: int  # cents, positive
    action: str = ""


@dataclass(frozen=True)
class EntryDraft:
    """An entry as a user types it: four movement fields and ventilation lines."""

    date: date | None
    libelle: str
    piece: str = ""  # empty: the next number is allocated at save time
    tiers: str = ""
    mode: str = ""
    cheque: str = ""
    bank_in: int = 0
    bank_out: int = 0
    cash_in: int = 0
    cash_out: int = 0
    ventilation: tuple[VentilationLine, ...] = ()
    pointed: bool = False
    statement_date: date | None = None


@dataclass(frozen=True)
class Entry:
    """An immutable, valid, balanced entry."""

    piece: str
    date: date
    libelle: str
    postings: tuple[Posting, ...]
    tiers: str = ""
    mode: str = ""
    cheque: str = ""
    pointed: bool = False
    statement_date: date | None = None
    changed_after_pointage: bool = False
    id: int | None = None
    version: int = 1
    attachments: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self):
        # Treasury movements are read many times (balances, alerts, CRF): compute them once.
        total = bank = cash = 0
        for p in self.postings:
            total += p.amount
            if p.account == BANK:
                bank += p.amount
            elif p.account == CASH:
                cash += p.amount
        if total != 0:  # pragma: no cover - build_entry guarantees it; a breach is a bug
            from .errors import InvariantBreach
            raise InvariantBreach(f"pièce {self.piece}: postings sum to {total}")
        object.__setattr__(self, "_bank", bank)
        object.__setattr__(self, "_cash", cash)

    @property
    def bank(self) -> int:
        """Signed movement of the bank account (receipts positive)."""
        return self._bank

    @property
    def cash(self) -> int:
        return self._cash

    @property
    def bank_in(self) -> int:
        return max(self.bank, 0)

    @property
    def bank_out(self) -> int:
        return max(-self.bank, 0)

    @property
    def cash_in(self) -> int:
        return max(self.cash, 0)

    @property
    def cash_out(self) -> int:
        return max(-self.cash, 0)

    @property
    def ventilation(self) -> tuple[Posting, ...]:
        return tuple(p for p in self.postings if p.account not in TREASURY)

    @property
    def kind(self) -> str:
        if not self.ventilation:
            return TRANSFER
        return RECEIPT if self.bank + self.cash > 0 else EXPENSE

    @property
    def amount(self) -> int:
        """The entry's amount: what came in or went out (for a transfer, what moved)."""
        if self.kind == TRANSFER:
            return abs(self.bank)
        return abs(self.bank + self.cash)

    def ventilation_for_display(self) -> list[tuple[str, int, str]]:
        """(account, positive cents, action) as the user typed them."""
        sign = -1 if self.kind == RECEIPT else 1
        return [(p.account, sign * p.amount, p.action) for p in self.ventilation]

    def to_draft(self) -> EntryDraft:
        return EntryDraft(
            date=self.date, libelle=self.libelle, piece=self.piece, tiers=self.tiers,
            mode=self.mode, cheque=self.cheque, bank_in=self.bank_in, bank_out=self.bank_out,
            cash_in=self.cash_in, cash_out=self.cash_out,
            ventilation=tuple(VentilationLine(a, c, t) for a, c, t in self.ventilation_for_display()),
            pointed=self.pointed, statement_date=self.statement_date)

    def money_signature(self) -> tuple:
        """What a bank statement sees: changing it on a pointed line raises an alert."""
        return (self.date, self.bank, tuple(sorted((p.account, p.amount) for p in self.postings)))


def build_entry(draft: EntryDraft, chart: Chart, *, start: date | None = None,
                end: date | None = None, exercice_name: str = "", today: date | None = None) -> Entry:
    """Validate a draft and return the balanced ``Entry``; raise every problem at once.

    The pièce must already be set (the service allocates it before calling). Every text
    is checked against ``text.LIMITS`` and its forbidden characters; a pointage against
    ``pointage_problems`` (``today``, when given, also refuses a statement in the future).
    """
    problems: list[Problem] = []

    def refuse(msg: str, fld: str) -> None:
        problems.append(Problem(msg, fld))

    libelle = (draft.libelle or "").strip()
    if not libelle:
        refuse("le libellé est obligatoire", "libelle")
    piece = (draft.piece or "").strip()
    if not piece:
        refuse("le numéro de pièce est obligatoire", "piece")
    tiers = (draft.tiers or "").strip()
    cheque = (draft.cheque or "").strip()
    for name, value in (("libelle", libelle), ("piece", piece), ("tiers", tiers), ("cheque", cheque)):
        problems.extend(text_problems(value, name))
    if draft.date is None:
        refuse("la date est obligatoire", "date")
    elif start and end and not start <= draft.date <= end:
        refuse(f"la date {draft.date:%d/%m/%Y} est hors de l'exercice {exercice_name} "
               f"(du {start:%d/%m/%Y} au {end:%d/%m/%Y})", "date")
    mode = (draft.mode or "").strip()
    if mode and mode not in MODES:
        refuse(f"mode « {printable(mode[:40])} » inconnu (chèque, espèces, virement, carte ou prélèvement)", "mode")
    if cheque and not _DIGITS.fullmatch(cheque):
        refuse(f"le numéro de chèque « {printable(cheque)} » ne doit contenir que des chiffres", "cheque")
    if cheque and mode and mode != "chèque":
        refuse(f"un numéro de chèque est saisi mais le mode est « {mode} »", "cheque")
    for name, value in (("bank_in", draft.bank_in), ("bank_out", draft.bank_out),
                        ("cash_in", draft.cash_in), ("cash_out", draft.cash_out)):
        if value < 0:
            refuse("un montant ne peut pas être négatif : indiquez le sens", name)
    if draft.bank_in and draft.bank_out:
        refuse("entrée et sortie en banque sur la même ligne : faites deux écritures", "bank_in")
    if draft.cash_in and draft.cash_out:
        refuse("entrée et sortie en caisse sur la même ligne : faites deux écritures", "cash_in")
    bank = draft.bank_in - draft.bank_out
    cash = draft.cash_in - draft.cash_out
    if bank == 0 and cash == 0 and not problems:
        refuse("le montant ne peut pas être nul : saisissez une entrée ou une sortie", "montant")
    if mode == "espèces" and bank and not cash:
        refuse("paiement en espèces mais le mouvement est en banque : choisissez la caisse", "mode")
    if mode == "chèque" and cash and not bank:
        refuse("mode chèque mais le mouvement est en caisse : un chèque passe par la banque "
               "(remise de chèques) ou choisissez le mode espèces", "mode")

    transfer = bank and cash and (bank > 0) != (cash > 0)
    postings: list[Posting] = []
    if bank:
        postings.append(Posting(BANK, bank))
    if cash:
        postings.append(Posting(CASH, cash))
    if transfer:
        if draft.ventilation:
            refuse("un virement interne entre banque et caisse n'a pas de ventilation : "
                   "ce n'est ni une recette ni une dépense", "ventilation")
        if bank + cash != 0:
            refuse(f"virement interne déséquilibré : {format_eur(abs(bank))} en banque pour "
                   f"{format_eur(abs(cash))} en caisse", "montant")
    elif bank or cash:
        amount = abs(bank + cash)
        receipt = bank + cash > 0
        wanted = "produit" if receipt else "charge"
        if not draft.ventilation:
            refuse(f"ventilez le montant de {format_eur(amount)} sur un ou plusieurs comptes "
                   f"de {wanted}s", "ventilation")
        total = 0
        for i, line in enumerate(draft.ventilation, start=1):
            acc = chart.get(line.account)
            where = f"ventilation ligne {i}"
            problems.extend(text_problems((line.action or "").strip(), "action", prefix=f"{where} : "))
            if acc is None:
                refuse(f"{where} : compte « {printable(str(line.account)[:20])} » inconnu du plan comptable",
                       "ventilation")
                continue
            if line.amount <= 0:
                refuse(f"{where} : le montant sur le compte {acc.code} doit être positif", "ventilation")
                continue
            if acc.classe == "tresorerie":
                refuse(f"{where} : le compte {acc.code} ({acc.libelle}) est un compte de trésorerie ; "
                       "pour un mouvement entre banque et caisse, saisissez un virement interne",
                       "ventilation")
                continue
            if acc.classe != wanted:
                what = "une recette" if receipt else "une dépense"
                refuse(f"{where} : le compte {acc.code} ({acc.libelle}) est un compte de "
                       f"{acc.classe} ; {what} se ventile sur des comptes de {wanted}s "
                       f"({'7' if receipt else '6'}…)", "ventilation")
                continue
            total += line.amount
            postings.append(Posting(acc.code, -line.amount if receipt else line.amount,
                                    (line.action or "").strip()))
        if draft.ventilation and total != amount and len(postings) == (
                (1 if bank else 0) + (1 if cash else 0) + len(draft.ventilation)):
            gap = amount - total
            word = "il manque" if gap > 0 else "il y a"
            tail = "" if gap > 0 else " de trop"
            refuse(f"la ventilation totalise {format_eur(total)} pour un montant de "
                   f"{format_eur(amount)} : {word} {format_eur(abs(gap))}{tail}", "ventilation")
    if draft.statement_date and not draft.pointed:
        refuse("une date de relevé est donnée mais la ligne n'est pas pointée", "pointage")
    if draft.pointed and not bank:
        refuse("seule une ligne en banque peut être pointée sur un relevé", "pointage")
    problems.extend(pointage_problems(draft.date, draft.statement_date if draft.pointed else None,
                                      today=today))
    if problems:
        raise ValidationError(problems)
    return Entry(piece=piece, date=draft.date, libelle=libelle, postings=tuple(postings),
                 tiers=tiers, mode=mode, cheque=cheque,
                 pointed=draft.pointed, statement_date=draft.statement_date if draft.pointed else None)


def with_identity(entry: Entry, *, id: int | None, version: int,
                  changed_after_pointage: bool = False) -> Entry:
    return replace(entry, id=id, version=version, changed_after_pointage=changed_after_pointage)
