"""The compte rendu financier (CRF): the annual report every coop hands its AD.

``compute_crf`` is a pure projection of the exercice's postings. It checks the
invariant *opening + produits − charges = closing bank + cash* every time: a breach
means the books are inconsistent, which is a bug, so it raises ``InvariantBreach``.
``crf_json`` is a public interface (AD tools read it): amounts are strings with a dot
and two decimals.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from typing import Mapping, Sequence

from .cash import CashCount
from .chart import SUBSIDY_ACCOUNT, TREASURY, Chart
from .entry import Entry
from .errors import InvariantBreach
from .exercice import Exercice
from .inventory import DurableExpense, DurableGood, RegisterCheck, compare_register, durable_goods_codes
from .ledger import Alert, TreasuryLine, TreasuryReview, cahier_order, movements, review_treasury
from .money import format_eur, to_decimal_str
from .subsidy import Subsidy


@dataclass(frozen=True)
class AccountTotal:
    code: str
    code_occe: str
    libelle: str
    rubrique: str
    amount: int


@dataclass(frozen=True)
class PreviousYear:
    """The previous exercice's charges and produits, printed beside this year's per rubric
    (the OCCE's CRF form has an « exercice précédent » column). Only the accounts: the
    previous year's own CRF is the one place its reconciliation and alerts live."""
    name: str
    charges: tuple[AccountTotal, ...]
    produits: tuple[AccountTotal, ...]

    @property
    def total_charges(self) -> int:
        return sum(a.amount for a in self.charges)

    @property
    def total_produits(self) -> int:
        return sum(a.amount for a in self.produits)

    @property
    def result(self) -> int:
        return self.total_produits - self.total_charges

    def rubrics(self, side: str) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for a in (self.charges if side == "charges" else self.produits):
            totals[a.rubrique] += a.amount
        return dict(totals)

    def accounts(self, side: str) -> dict[str, int]:
        return {a.code: a.amount for a in (self.charges if side == "charges" else self.produits)}


def previous_year(name: str, account_totals: Mapping[str, int], chart: Chart) -> PreviousYear:
    """The previous exercice's accounts, classified with THIS year's chart (the same rubrics
    on both sides of the comparison)."""
    charges, produits = split_accounts(account_totals, chart)
    return PreviousYear(name, charges, produits)


@dataclass(frozen=True)
class Crf:
    coop: str
    exercice: Exercice
    charges: tuple[AccountTotal, ...]
    produits: tuple[AccountTotal, ...]
    closing_bank: int
    closing_cash: int
    unpointed: tuple[TreasuryLine, ...]
    statement_balance: int
    cash_count: CashCount | None
    subsidies: tuple[Subsidy, ...]
    alerts: tuple[Alert, ...]
    coop_name: str = ""
    ad: str = ""
    submitted_at: str | None = None
    entries_count: int = 0
    #: The reconciliation's second block: bank lines of EARLIER exercices still not on
    #: the bank's statement at this exercice's end (a cheque of August 2026 not cashed by
    #: 31/08/2027), each ``TreasuryLine`` with ``.exercice`` (its year), ``.piece``,
    #: ``.date``, ``.libelle``, ``.bank`` (signed cents), ``.cheque``. The opening balance
    #: carried forward counts them, so ``statement_balance`` leaves them out, like
    #: ``unpointed``: closing_bank − Σ unpointed.bank − Σ outstanding_previous.bank.
    outstanding_previous: tuple[TreasuryLine, ...] = ()
    #: The coop's previous exercice's charges and produits (``None``: this is its first
    #: exercice in Retkoop), for the « exercice précédent » column.
    previous: PreviousYear | None = None
    #: The book's cash balance at the cash count's date, as the books stand NOW (opening
    #: cash + every cash movement dated on or before it). ``cash_count.book_balance`` is the
    #: book's balance when the count was recorded: an entry dated on or before the count but
    #: saved later makes it stale. ``None``: no count (or an old caller: the stored one).
    cash_count_book: int | None = None

    @property
    def cash_gap(self) -> int:
        """Counted minus the book at the count's date now (0 without a count)."""
        cc = self.cash_count
        if cc is None:
            return 0
        return cc.total - (cc.book_balance if self.cash_count_book is None else self.cash_count_book)

    def compared_rubrics(self, side: str) -> list[tuple[str, int, int | None]]:
        """(rubric, this year, previous year or ``None`` when there is none), every rubric of
        either year, sorted: a rubric used last year only shows with 0 this year."""
        mine = dict(self.rubrics(side))
        before = self.previous.rubrics(side) if self.previous is not None else {}
        return [(r, mine.get(r, 0), before.get(r, 0) if self.previous is not None else None)
                for r in sorted(set(mine) | set(before))]

    @property
    def total_charges(self) -> int:
        return sum(a.amount for a in self.charges)

    @property
    def total_produits(self) -> int:
        return sum(a.amount for a in self.produits)

    @property
    def result(self) -> int:
        return self.total_produits - self.total_charges

    @property
    def closing_total(self) -> int:
        return self.closing_bank + self.closing_cash

    def rubrics(self, side: str) -> list[tuple[str, int]]:
        totals: dict[str, int] = defaultdict(int)
        for a in (self.charges if side == "charges" else self.produits):
            totals[a.rubrique] += a.amount
        return sorted(totals.items())

    @property
    def subsidies_total(self) -> int:
        return sum(s.amount for s in self.subsidies)

    @property
    def account_7410(self) -> int:
        return sum(a.amount for a in self.produits if a.code == SUBSIDY_ACCOUNT)


def compute_crf(exercice: Exercice, entries: Sequence[Entry], chart: Chart, *,
                today: date, cash_count: CashCount | None = None,
                subsidies: Sequence[Subsidy] = (), goods: Sequence[DurableGood] = (),
                coop_name: str = "", ad: str = "", submitted_at: str | None = None,
                carried: Sequence[TreasuryLine] = (), previous: PreviousYear | None = None) -> Crf:
    """The CRF of a list of entries (pure; used by tests and small in-memory books).
    ``carried``: earlier exercices' bank lines not on their own end's statement
    (``ledger.review_treasury``)."""
    totals: dict[str, int] = defaultdict(int)
    for e in entries:
        for p in e.postings:
            totals[p.account] += p.amount
    ordered = cahier_order(entries)
    review = review_treasury(exercice, movements(ordered), ordered, today, carried)
    codes = durable_goods_codes(chart)
    expenses = []
    for e in ordered:
        on_68 = sum(p.amount for p in e.postings if p.account in codes)
        if on_68:
            expenses.append(DurableExpense(e.id, e.piece, e.date, e.libelle, on_68))
    return crf_from_totals(exercice, totals, review, chart, cash_count=cash_count, subsidies=subsidies,
                           register=compare_register(exercice, goods, expenses), coop_name=coop_name, ad=ad,
                           submitted_at=submitted_at, previous=previous,
                           cash_count_book=cash_at(exercice, ((e.date, e.cash) for e in entries), cash_count))


def cash_at(exercice: Exercice, moves, cash_count: CashCount | None) -> int | None:
    """The book's cash at ``cash_count``'s date from ``(date, cash cents)`` movements: the
    opening cash plus every movement dated on or before it (``None`` without a count)."""
    if cash_count is None:
        return None
    return exercice.opening_cash + sum(cash for day, cash in moves if day <= cash_count.date)


def split_accounts(account_totals: Mapping[str, int], chart: Chart
                   ) -> tuple[tuple[AccountTotal, ...], tuple[AccountTotal, ...]]:
    """Charges and produits (positive amounts) from per-account signed totals; treasury
    accounts and zero totals left out; an account removed from the chart is still reported."""
    per_account = {k: v for k, v in account_totals.items() if k not in TREASURY}
    charges, produits = [], []
    for code in sorted(per_account):
        amount = per_account[code]
        if amount == 0:
            continue
        acc = chart.get(code)
        if acc is None:  # an account removed from the chart after use: still reported
            occe, lib, rub, classe = "", f"compte {code} (absent du plan comptable)", "Autres", \
                "charge" if code.startswith("6") else "produit"
        else:
            occe, lib, rub, classe = acc.code_occe, acc.libelle, acc.rubrique, acc.classe
        if classe == "charge":
            charges.append(AccountTotal(code, occe, lib, rub, amount))
        else:
            produits.append(AccountTotal(code, occe, lib, rub, -amount))
    return tuple(charges), tuple(produits)


def crf_from_totals(exercice: Exercice, account_totals: Mapping[str, int], treasury: TreasuryReview,
                    chart: Chart, *, cash_count: CashCount | None = None,
                    subsidies: Sequence[Subsidy] = (), register: RegisterCheck | None = None,
                    coop_name: str = "", ad: str = "", submitted_at: str | None = None,
                    previous: PreviousYear | None = None, cash_count_book: int | None = None) -> Crf:
    """The CRF from per-account totals (all postings, signed) and the treasury review.

    ``register``: the inventory register against account 68 (``inventory.compare_register``);
    its alerts join the CRF's, like the subsidies table against 7410.

    The two inputs are independent projections of the postings (the storage layer gets
    them from two different queries: ``posting`` grouped by account, and ``entry``'s
    bank/cash columns); the invariant check compares them, so an unbalanced entry in the
    database cannot go unnoticed.
    """
    charges, produits = split_accounts(account_totals, chart)
    alerts = list(treasury.alerts)
    crf = Crf(coop=exercice.coop, exercice=exercice, charges=tuple(charges), produits=tuple(produits),
              closing_bank=treasury.closing_bank, closing_cash=treasury.closing_cash,
              unpointed=treasury.unpointed, statement_balance=treasury.statement_balance,
              cash_count=cash_count, subsidies=tuple(subsidies), alerts=(), coop_name=coop_name, ad=ad,
              submitted_at=submitted_at, entries_count=treasury.count,
              outstanding_previous=treasury.outstanding_previous, previous=previous,
              cash_count_book=cash_count_book if cash_count is not None else None)
    if crf.subsidies_total != crf.account_7410:
        alerts.append(Alert("subventions_7410",
                            f"le tableau des subventions totalise {format_eur(crf.subsidies_total)} mais "
                            f"le compte 7410 totalise {format_eur(crf.account_7410)} : écart de "
                            f"{format_eur(abs(crf.subsidies_total - crf.account_7410))}"))
    if register is not None:
        alerts.extend(register.alerts)
    if cash_count is not None and crf.cash_gap:  # against the book at the count's date NOW
        gap = crf.cash_gap
        alerts.append(Alert("ecart_caisse", f"arrêté de caisse du {cash_count.date:%d/%m/%Y} : écart de "
                                            f"{format_eur(abs(gap))} ({'excédent' if gap > 0 else 'manque'})",
                            date=cash_count.date))
    crf = _with_alerts(crf, alerts)
    check_invariant(crf)
    return crf


def _with_alerts(crf: Crf, alerts: list[Alert]) -> Crf:
    return replace(crf, alerts=tuple(alerts))


def check_invariant(crf: Crf) -> None:
    lhs = crf.exercice.opening_total + crf.total_produits - crf.total_charges
    if lhs != crf.closing_total:
        raise InvariantBreach(
            f"{crf.coop} {crf.exercice.name}: opening {crf.exercice.opening_total} + produits "
            f"{crf.total_produits} - charges {crf.total_charges} = {lhs} != closing {crf.closing_total}")


def crf_json(crf: Crf) -> dict:
    d = to_decimal_str
    ex = crf.exercice

    def account(a: AccountTotal) -> dict:
        return {"compte": a.code, "code_occe": a.code_occe, "libelle": a.libelle,
                "rubrique": a.rubrique, "montant": d(a.amount)}

    cc = crf.cash_count
    return {
        "coop": crf.coop,
        "exercice": ex.name,
        "debut": ex.start.isoformat(),
        "fin": ex.end.isoformat(),
        "etat": ex.state,
        "report_a_nouveau": {"banque": d(ex.opening_bank), "caisse": d(ex.opening_cash),
                             "total": d(ex.opening_total)},
        "charges": [account(a) for a in crf.charges],
        "produits": [account(a) for a in crf.produits],
        "rubriques": {"charges": [{"rubrique": r, "montant": d(m)} for r, m in crf.rubrics("charges")],
                      "produits": [{"rubrique": r, "montant": d(m)} for r, m in crf.rubrics("produits")]},
        "total_charges": d(crf.total_charges),
        "total_produits": d(crf.total_produits),
        "resultat": d(crf.result),
        "solde_final": {"banque": d(crf.closing_bank), "caisse": d(crf.closing_cash),
                        "total": d(crf.closing_total)},
        "rapprochement": {
            "non_pointees": [{"piece": e.piece, "date": e.date.isoformat(), "libelle": e.libelle,
                              "montant": d(e.bank)} for e in crf.unpointed],
            "non_pointees_exercices_anterieurs": [
                {"exercice": e.exercice, "piece": e.piece, "date": e.date.isoformat(), "libelle": e.libelle,
                 "cheque": e.cheque, "montant": d(e.bank)} for e in crf.outstanding_previous],
            "solde_releve": d(crf.statement_balance)},
        "arrete_de_caisse": None if cc is None else {
            "date": cc.date.isoformat(), "compte": d(cc.total), "ecart": d(crf.cash_gap),
            "solde_theorique": d(cc.total - crf.cash_gap),
            "solde_theorique_enregistre": d(cc.book_balance),
            "detail": {d(k): v for k, v in sorted(cc.counts.items(), reverse=True)}},
        "subventions": [{"organisme": s.grantor, "type": s.grantor_type, "objet": s.object,
                         "montant": d(s.amount), "date": s.date_received.isoformat(),
                         "piece": s.entry_piece, "justificatif": bool(s.proof)}
                        for s in crf.subsidies],
        "alertes": [a.as_dict() for a in crf.alerts],
        "exercice_precedent": None if crf.previous is None else {
            "exercice": crf.previous.name,
            "rubriques": {side: [{"rubrique": r, "montant": d(m)} for r, m in sorted(crf.previous.rubrics(side).items())]
                          for side in ("charges", "produits")},
            "total_charges": d(crf.previous.total_charges), "total_produits": d(crf.previous.total_produits),
            "resultat": d(crf.previous.result)},
    }
