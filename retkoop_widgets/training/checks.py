"""The checkers: pure functions from a sandbox snapshot to a French verdict.

A checker never reads the database: ``Sandbox`` holds what ``Books`` returned
(exercice, entries, cash counts, subsidies). That keeps every rule testable on plain
records and lets the same verdicts feed the trainee's widget and the trainer's table.

Matching is forgiving about *which* line the trainee meant: among the entries that look
relevant (right account or right amount) the checker picks the one closest to the
instructions and then says, line by line, what is right and what is not
(« la cotisation (6281) devrait être 150,00 € : vous avez saisi 105,00 € »).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable, Sequence

from ..domain.cash import CashCount
from ..domain.chart import SUBSIDY_ACCOUNT
from ..domain.crf import Crf
from ..domain.entry import EXPENSE, RECEIPT, TRANSFER, Entry
from ..domain.exercice import CLOSED, SUBMITTED, Exercice
from ..domain.ledger import balances_at
from ..domain.money import format_eur
from ..domain.subsidy import Subsidy
from . import scenario as sc

TODO, TO_FIX, DONE = "à faire", "à corriger", "réussi"


@dataclass(frozen=True)
class Sandbox:
    """What a checker may look at: one exercice of one sandbox coop."""

    coop: str
    exercice: Exercice
    entries: tuple[Entry, ...] = ()
    cash_counts: tuple[CashCount, ...] = ()
    subsidies: tuple[Subsidy, ...] = ()
    crf: Crf | None = None  # the ledger's own projection, for the year-end readiness rules
    today: date | None = None


@dataclass(frozen=True)
class Check:
    ok: bool
    message: str


@dataclass(frozen=True)
class Verdict:
    exercise: str
    status: str
    checks: tuple[Check, ...] = ()
    summary: str = ""

    @property
    def done(self) -> bool:
        return self.status == DONE

    @property
    def problems(self) -> list[str]:
        return [c.message for c in self.checks if not c.ok]

    def text(self) -> str:
        """Plain text (CLI, logs): status, then one line per check."""
        lines = [f"{self.status.upper()} — {self.summary}".rstrip(" —")]
        lines += [f"  {'✔' if c.ok else '✘'} {c.message}" for c in self.checks]
        return "\n".join(lines)


# -- small helpers ------------------------------------------------------------------
def _vent(e: Entry) -> dict[str, int]:
    out: dict[str, int] = {}
    for account, cents, _ in e.ventilation_for_display():
        out[account] = out.get(account, 0) + cents
    return out


def _d(day: date | None) -> str:
    return f"{day:%d/%m/%Y}" if day else "(sans date)"


def _eq(ok: bool, good: str, bad: str) -> Check:
    return Check(ok, good if ok else bad)


def _best(candidates: Sequence[Entry], score: Callable[[Entry], int]) -> Entry | None:
    return max(candidates, key=lambda e: (score(e), -(e.id or 0)), default=None)


def _verdict(exercise: str, checks: list[Check], summary_ok: str) -> Verdict:
    if all(c.ok for c in checks):
        return Verdict(exercise, DONE, tuple(checks), summary_ok)
    missing = sum(not c.ok for c in checks)
    return Verdict(exercise, TO_FIX, tuple(checks),
                   f"{missing} point{'s' if missing > 1 else ''} à revoir")


def _todo(exercise: str, message: str) -> Verdict:
    return Verdict(exercise, TODO, (Check(False, message),), "rien n'est encore saisi pour cet exercice")


def _mode_check(e: Entry, wanted: str) -> Check:
    if e.mode == wanted:
        return Check(True, f"mode de paiement : {wanted}")
    got = f"« {e.mode} »" if e.mode else "aucun mode"
    return Check(False, f"le mode de paiement devrait être « {wanted} » : vous avez indiqué {got}")


def _date_check(e: Entry, wanted: date, what: str) -> Check:
    return _eq(e.date == wanted, f"date : {_d(wanted)}",
               f"la date {what} devrait être le {_d(wanted)} : vous avez saisi le {_d(e.date)}")


def _amount_check(e: Entry, wanted: int, what: str) -> Check:
    return _eq(e.amount == wanted, f"montant : {format_eur(wanted)}",
               f"le montant {what} devrait être {format_eur(wanted)} : vous avez saisi {format_eur(e.amount)}")


def _single_account_check(e: Entry, account: str, label: str) -> Check:
    v = _vent(e)
    if list(v) == [account]:
        return Check(True, f"ventilée sur {account} ({label})")
    others = ", ".join(f"{a} ({format_eur(c)})" for a, c in v.items() if a != account)
    if account in v:
        return Check(False, f"ventilez tout le montant sur {account} ({label}) : vous avez aussi utilisé {others}")
    return Check(False, f"la ventilation devrait être sur le compte {account} ({label}) : vous avez choisi {others}")


# -- which entry is an attempt at which exercise ------------------------------------
# A checker grades only its own exercise: every entry of the sandbox is first given to the
# one exercise it most plausibly attempts, so a wrong first receipt (230,00 € in cash on
# 7080, say) is graded, and corrected, as exercise 1, not as someone else's exercise 3.
# Evidence, strongest first: the exact amount AND date the exercise asks for (whatever the
# kind typed), then the amount, the date, an account
# only that exercise uses; an entry with none of these goes to the earliest exercise of
# its kind not yet attempted (the sequence is done in order).
_CLAIMS = (  # exercise, kinds it records, amount, date attribute of scenario.Dates, its accounts
    ("premiere_recette", (RECEIPT,), sc.FAMILIES_AMOUNT, ("families",), {"7560"}),
    ("facture_occe", (EXPENSE,), sc.INVOICE_TOTAL, ("invoice",), {c for c, _, _ in sc.INVOICE_SPLIT}),
    ("especes", (RECEIPT, TRANSFER), sc.CASH_SALE_AMOUNT, ("cash_sale", "deposit"), {"7080"}),
    ("pointage", (EXPENSE,), sc.BANK_FEES_AMOUNT, ("statement",), {"6270"}),
    ("subvention", (RECEIPT,), sc.SUBSIDY_AMOUNT, ("subsidy",), {SUBSIDY_ACCOUNT}),
)
_SEQUENCE_ORDER = ("premiere_recette", "facture_occe", "especes", "subvention", "pointage")


def attribute(s: Sandbox) -> dict[str, tuple[Entry, ...]]:
    """Each entry of the sandbox → the exercise it attempts (at most one); pure."""
    d = sc.Dates.of(s.exercice.name)
    tests = (lambda e, c: e.amount == c[2],
             lambda e, c: e.date in {getattr(d, a) for a in c[3]},
             lambda e, c: bool(c[4] & set(_vent(e))))
    out: dict[str, list[Entry]] = {c[0]: [] for c in _CLAIMS}
    left = []
    for e in sorted(s.entries, key=lambda e: e.id or 0):
        # the exercise's very amount on its very date: that exercise, whatever the kind
        # typed (a deposit of the cake money recorded as a cash expense is exercise 3 wrong)
        both = next((c for c in _CLAIMS if tests[0](e, c) and tests[1](e, c)), None)
        if both is not None:
            out[both[0]].append(e)
            continue
        for test in tests:
            hit = next((c for c in _CLAIMS if e.kind in c[1] and test(e, c)), None)
            if hit is not None:
                out[hit[0]].append(e)
                break
        else:
            left.append(e)
    for e in left:  # no evidence: the earliest exercise of its kind not yet attempted
        kinds = {c[0]: c[1] for c in _CLAIMS}
        target = next((x for x in _SEQUENCE_ORDER if e.kind in kinds[x] and not out[x]), None)
        if target is not None:
            out[target].append(e)
    return {k: tuple(v) for k, v in out.items()}


# -- exercise 1: first receipt --------------------------------------------------------
def check_premiere_recette(s: Sandbox) -> Verdict:
    d = sc.Dates.of(s.exercice.name)
    cands = attribute(s)["premiere_recette"]
    e = _best(cands, lambda e: 2 * (e.amount == sc.FAMILIES_AMOUNT) + ("7560" in _vent(e))
              + (e.bank > 0) + (e.mode == "chèque") + (e.date == d.families))
    if e is None:
        return _todo("premiere_recette", "aucune recette de participation des familles (compte 7560) "
                                         f"de {format_eur(sc.FAMILIES_AMOUNT)} n'est enregistrée")
    checks = [Check(True, f"recette trouvée : pièce {e.piece} du {_d(e.date)}"),
              _amount_check(e, sc.FAMILIES_AMOUNT, "de la recette"),
              _eq(e.bank > 0 and not e.cash, "entrée en banque",
                  "des chèques remis à la banque s'enregistrent en banque (entrée banque), pas en caisse"),
              _single_account_check(e, "7560", "participation volontaire des familles"),
              _mode_check(e, "chèque"),
              _date_check(e, d.families, "de la remise")]
    return _verdict("premiere_recette", checks, f"pièce {e.piece} : recette correcte")


# -- exercise 2: the OCCE invoice -----------------------------------------------------
def check_facture_occe(s: Sandbox) -> Verdict:
    d = sc.Dates.of(s.exercice.name)
    codes = {code for code, _, _ in sc.INVOICE_SPLIT}
    cands = attribute(s)["facture_occe"]
    e = _best(cands, lambda e: len(codes & set(_vent(e))) + 2 * (e.amount == sc.INVOICE_TOTAL)
              + sum(_vent(e).get(c) == a for c, _, a in sc.INVOICE_SPLIT))
    if e is None:
        return _todo("facture_occe", f"la facture OCCE de {format_eur(sc.INVOICE_TOTAL)} "
                                     "(comptes 6281, 61681, 6181) n'est pas encore enregistrée")
    v = _vent(e)
    checks = [Check(True, f"facture trouvée : pièce {e.piece} du {_d(e.date)}"),
              _amount_check(e, sc.INVOICE_TOTAL, "de la facture")]
    for code, label, wanted in sc.INVOICE_SPLIT:
        got = v.get(code)
        if got is None:
            checks.append(Check(False, f"{label} ({code}) manque dans la ventilation : "
                                       f"{format_eur(wanted)} attendus"))
        else:
            checks.append(_eq(got == wanted, f"{label} ({code}) : {format_eur(wanted)}",
                              f"{label} ({code}) devrait être {format_eur(wanted)} : "
                              f"vous avez saisi {format_eur(got)}"))
    for code, got in v.items():
        if code not in codes:
            checks.append(Check(False, f"le compte {code} ({format_eur(got)}) ne fait pas partie de la "
                                       "facture OCCE : cotisation 6281, assurance 61681, A&E 6181"))
    checks += [_eq(e.bank < 0 and not e.cash, "sortie en banque",
                   "un chèque sort de la banque : saisissez la dépense en sortie banque"),
               _mode_check(e, "chèque"),
               _date_check(e, d.invoice, "de la facture")]
    return _verdict("facture_occe", checks, f"pièce {e.piece} : facture correctement ventilée")


# -- exercise 3: cash receipt, then its deposit ----------------------------------------
def _deposits(mine: Sequence[Entry]) -> list[Entry]:
    return [e for e in mine if e.kind == TRANSFER and e.bank > 0 and e.cash < 0]


def check_especes(s: Sandbox) -> Verdict:
    d = sc.Dates.of(s.exercice.name)
    mine = attribute(s)["especes"]
    receipts = [e for e in mine if e.kind == RECEIPT]
    sale = _best([e for e in receipts if e.cash > 0] or receipts,
                 lambda e: 2 * (e.amount == sc.CASH_SALE_AMOUNT) + (e.cash > 0) + ("7080" in _vent(e))
                 + (e.mode == "espèces"))
    deposits = _deposits(mine)
    deposit = _best(deposits, lambda e: 2 * (e.amount == sc.CASH_SALE_AMOUNT) + (e.date == d.deposit))
    if sale is None and deposit is None:
        return _todo("especes", f"ni la vente de gâteaux en espèces ({format_eur(sc.CASH_SALE_AMOUNT)}, "
                                "compte 7080) ni sa remise en banque ne sont enregistrées")
    checks: list[Check] = []
    if sale is None:
        checks.append(Check(False, f"la recette en espèces de {format_eur(sc.CASH_SALE_AMOUNT)} "
                                   "(compte 7080, entrée caisse) manque"))
    else:
        checks += [Check(True, f"vente trouvée : pièce {sale.piece} du {_d(sale.date)}"),
                   _amount_check(sale, sc.CASH_SALE_AMOUNT, "de la vente"),
                   _eq(sale.cash > 0 and not sale.bank, "entrée en caisse",
                       "des espèces reçues entrent d'abord dans la caisse (entrée caisse), pas directement "
                       "en banque : la remise en banque est une écriture à part"),
                   _single_account_check(sale, "7080", "produits des activités éducatives"),
                   _mode_check(sale, "espèces"),
                   _date_check(sale, d.cash_sale, "de la vente")]
    if deposit is None:
        doubled = [e for e in receipts if e.bank > 0 and e is not sale and e.amount == sc.CASH_SALE_AMOUNT]
        if doubled:
            checks.append(Check(False, f"la remise en banque (pièce {doubled[0].piece}) est saisie comme une "
                                       "recette ventilée : c'est un virement interne (sortie caisse, entrée "
                                       "banque) sans ventilation — sinon la vente est comptée deux fois"))
        else:
            checks.append(Check(False, f"la remise en banque manque : saisissez le {_d(d.deposit)} un virement "
                                       f"interne de {format_eur(sc.CASH_SALE_AMOUNT)} de la caisse vers la banque"))
    else:
        checks += [Check(True, f"remise en banque trouvée : pièce {deposit.piece} du {_d(deposit.date)}"),
                   _eq(deposit.amount == sc.CASH_SALE_AMOUNT, f"montant remis : {format_eur(sc.CASH_SALE_AMOUNT)}",
                       f"le montant remis devrait être {format_eur(sc.CASH_SALE_AMOUNT)} : "
                       f"vous avez saisi {format_eur(deposit.amount)}"),
                   _date_check(deposit, d.deposit, "de la remise")]
        if sale is not None and deposit.date < sale.date:
            checks.append(Check(False, f"la remise du {_d(deposit.date)} précède la vente du {_d(sale.date)} : "
                                       "on ne dépose que des espèces déjà reçues"))
    return _verdict("especes", checks, "vente en caisse puis remise en banque correctes")


# -- exercise 4: pointage -----------------------------------------------------------
def check_pointage(s: Sandbox) -> Verdict:
    ex = s.exercice.name
    d = sc.Dates.of(ex)
    lines = sc.statement(ex)
    bank_entries = [e for e in s.entries if e.bank]
    pointed = [e for e in bank_entries if e.pointed]
    if not pointed:
        return _todo("pointage", f"aucune ligne n'est encore pointée sur le relevé du {_d(d.statement)}")
    checks: list[Check] = []
    used: set[int] = set()
    for line in lines:
        label = f"ligne du {_d(line.date)} « {line.libelle} » {format_eur(line.amount, plus=True)}"
        same = [e for e in bank_entries if e.bank == line.amount and e.date <= line.date
                and id(e) not in used]
        match = next((e for e in same if e.pointed), None) or (same[0] if same else None)
        if match is None:
            hint = f" ({line.hint})" if line.hint else ""
            checks.append(Check(False, f"{label} : aucune écriture de ce montant dans le cahier — "
                                       f"saisissez-la{hint}, puis pointez-la"))
            continue
        used.add(id(match))
        if not match.pointed:
            checks.append(Check(False, f"{label} : la pièce {match.piece} correspondante n'est pas pointée"))
        elif match.statement_date and match.statement_date != d.statement:
            checks.append(Check(False, f"{label} : pièce {match.piece} pointée avec la date de relevé "
                                       f"{_d(match.statement_date)} au lieu du {_d(d.statement)}"))
        else:
            checks.append(Check(True, f"{label} : pointée (pièce {match.piece})"))
        if line.amount == -sc.BANK_FEES_AMOUNT and match.kind == EXPENSE and list(_vent(match)) != ["6270"]:
            checks.append(Check(False, f"les frais bancaires (pièce {match.piece}) se ventilent sur 6270 : "
                                       f"vous avez choisi {', '.join(_vent(match))}"))
    on_statement = {id(e) for e in bank_entries if id(e) in used}
    for e in pointed:
        if id(e) not in on_statement:
            checks.append(Check(False, f"la pièce {e.piece} du {_d(e.date)} ({format_eur(e.bank, plus=True)}) est "
                                       "pointée mais ne figure pas sur ce relevé : dépointez-la"))
    balance = s.exercice.opening_bank + sum(e.bank for e in pointed)
    closing = sc.statement_closing(ex)
    checks.append(_eq(balance == closing, f"solde pointé {format_eur(balance)} = solde du relevé",
                      f"le solde pointé est {format_eur(balance)} mais le relevé indique {format_eur(closing)}"))
    return _verdict("pointage", checks, "relevé entièrement pointé")


# -- exercise 5: the cash count ------------------------------------------------------
def check_arrete_caisse(s: Sandbox) -> Verdict:
    d = sc.Dates.of(s.exercice.name)
    if not s.cash_counts:
        return _todo("arrete_caisse", f"aucun arrêté de caisse n'est enregistré (à faire le {_d(d.cash_count)})")
    c = max(s.cash_counts, key=lambda c: (c.date, c.id or 0))
    expected_total = sum(k * n for k, n in sc.CASH_COUNT.items())
    _, book_now = balances_at(s.exercice, s.entries, c.date)
    checks = [Check(True, f"arrêté de caisse du {_d(c.date)} trouvé")]
    if c.date < d.deposit:
        checks.append(Check(False, f"l'arrêté est daté du {_d(c.date)}, avant la remise en banque du "
                                   f"{_d(d.deposit)} : comptez la caisse après la remise ({_d(d.cash_count)})"))
    checks.append(_eq(c.total == expected_total, f"billets et pièces : {format_eur(expected_total)} comptés",
                      f"vous avez compté {format_eur(c.total)} : le détail donné fait {format_eur(expected_total)} "
                      "— vérifiez le nombre de chaque billet et pièce"))
    checks.append(_eq(c.total == book_now, f"caisse juste : le cahier indique aussi {format_eur(book_now)}",
                      f"le cahier indique {format_eur(book_now)} en caisse le {_d(c.date)} pour "
                      f"{format_eur(c.total)} comptés : écart de {format_eur(abs(c.total - book_now))} — "
                      "une écriture en caisse est-elle erronée ou manquante ?"))
    return _verdict("arrete_caisse", checks, "caisse juste")


# -- exercise 6: the public subsidy --------------------------------------------------
def check_subvention(s: Sandbox) -> Verdict:
    d = sc.Dates.of(s.exercice.name)
    cands = attribute(s)["subvention"]
    e = _best(cands, lambda e: 2 * (SUBSIDY_ACCOUNT in _vent(e)) + 2 * (e.amount == sc.SUBSIDY_AMOUNT)
              + (e.mode == "virement"))
    if e is None and not s.subsidies:
        return _todo("subvention", f"la subvention de {format_eur(sc.SUBSIDY_AMOUNT)} (compte 7410) n'est "
                                   "ni dans le cahier ni dans le tableau des subventions")
    checks: list[Check] = []
    if e is None:
        checks.append(Check(False, f"la recette de {format_eur(sc.SUBSIDY_AMOUNT)} sur le compte 7410 manque "
                                   "dans le cahier"))
    else:
        checks += [Check(True, f"recette trouvée : pièce {e.piece} du {_d(e.date)}"),
                   _amount_check(e, sc.SUBSIDY_AMOUNT, "de la subvention"),
                   _eq(e.bank > 0 and not e.cash, "entrée en banque", "un virement arrive en banque (entrée banque)"),
                   _single_account_check(e, SUBSIDY_ACCOUNT, "subventions publiques"),
                   _mode_check(e, "virement"),
                   _date_check(e, d.subsidy, "de réception")]
    sub = max(s.subsidies, key=lambda x: (x.amount == sc.SUBSIDY_AMOUNT, x.id or 0), default=None)
    if sub is None:
        checks.append(Check(False, "le tableau des subventions est vide : ajoutez la subvention de la commune "
                                   "(organisme, type, objet, montant, date, pièce)"))
    else:
        checks += [Check(True, f"tableau des subventions : {sub.grantor} — {sub.object}"),
                   _eq(sub.amount == sc.SUBSIDY_AMOUNT, f"montant au tableau : {format_eur(sc.SUBSIDY_AMOUNT)}",
                       f"le montant au tableau devrait être {format_eur(sc.SUBSIDY_AMOUNT)} : "
                       f"vous avez saisi {format_eur(sub.amount)}"),
                   _eq(sub.grantor_type == "commune", "type de financeur : commune",
                       f"le type de financeur devrait être « commune » : vous avez choisi « {sub.grantor_type} »")]
        if e is not None:
            checks.append(_eq(sub.entry_piece == e.piece, f"reliée à la pièce {e.piece}",
                              f"indiquez la pièce {e.piece} dans le tableau des subventions"
                              + (f" (vous avez indiqué {sub.entry_piece})" if sub.entry_piece else "")))
    table = sum(x.amount for x in s.subsidies)
    acc = sum(_vent(x).get(SUBSIDY_ACCOUNT, 0) for x in s.entries if x.kind == RECEIPT)
    checks.append(_eq(table == acc, f"tableau des subventions = compte 7410 ({format_eur(acc)})",
                      f"le tableau des subventions totalise {format_eur(table)} mais le compte 7410 "
                      f"totalise {format_eur(acc)}"))
    return _verdict("subvention", checks, "subvention enregistrée et tracée")


# -- exercise 7: the year-end report -------------------------------------------------
def check_compte_rendu(s: Sandbox) -> Verdict:
    ex = s.exercice
    others = {eid: CHECKERS[eid](s) for eid in CHECKERS if eid != "compte_rendu"}
    checks: list[Check] = []
    failed = [sc.exercise(eid).number for eid, v in others.items() if not v.done]
    checks.append(_eq(not failed, "les exercices 1 à 6 sont réussis",
                      f"à terminer d'abord : exercice{'s' if len(failed) > 1 else ''} "
                      f"{', '.join(str(n) for n in failed)}"))
    bank, cash = balances_at(ex, s.entries)
    charges = sum(p.amount for e in s.entries for p in e.ventilation if e.kind == EXPENSE)
    produits = -sum(p.amount for e in s.entries if e.kind == RECEIPT for p in e.ventilation)
    lhs = ex.opening_total + produits - charges
    checks.append(_eq(lhs == bank + cash,
                      f"report {format_eur(ex.opening_total)} + produits {format_eur(produits)} − charges "
                      f"{format_eur(charges)} = banque + caisse {format_eur(bank + cash)}",
                      f"incohérence : {format_eur(lhs)} ≠ banque + caisse {format_eur(bank + cash)}"))
    if cash < 0:
        checks.append(Check(False, f"la caisse finit négative ({format_eur(cash)})"))
    if ex.state in (SUBMITTED, CLOSED):
        checks.append(Check(True, f"compte rendu {ex.name} soumis à l'AD"))
    else:
        from ..services.submission import check_crf  # the dashboard's own readiness rules
        ready = True
        if s.crf is not None:
            for p in check_crf(s.crf, s.today or date.today()):
                if p.field != "etat":
                    ready = False
                    checks.append(Check(False, p.message))
        if ready and not failed:
            checks.append(Check(False, f"le compte rendu {ex.name} est prêt : soumettez-le à l'AD "
                                       "(deux vérificateurs aux comptes, dont un parent)"))
        else:
            checks.append(Check(False, f"le compte rendu {ex.name} n'est pas encore soumis"))
    started = ex.state in (SUBMITTED, CLOSED) or any(c.date >= sc.Dates.of(ex.name).closing_count.replace(day=1)
                                                     for c in s.cash_counts)
    if not started:  # nothing of the year-end work yet: say what is left, status « à faire »
        return Verdict("compte_rendu", TODO, tuple(checks), "arrêté de clôture puis soumission à faire")
    return _verdict("compte_rendu", checks,
                    f"compte rendu cohérent et soumis (résultat {format_eur(produits - charges)})")


CHECKERS: dict[str, Callable[[Sandbox], Verdict]] = {
    "premiere_recette": check_premiere_recette, "facture_occe": check_facture_occe,
    "especes": check_especes, "pointage": check_pointage, "arrete_caisse": check_arrete_caisse,
    "subvention": check_subvention, "compte_rendu": check_compte_rendu,
}


def check(exercise_id: str, sandbox: Sandbox) -> Verdict:
    sc.exercise(exercise_id)  # French NotFound for an unknown id
    return CHECKERS[exercise_id](sandbox)


def check_all(sandbox: Sandbox) -> dict[str, Verdict]:
    return {e.id: CHECKERS[e.id](sandbox) for e in sc.EXERCISES}
