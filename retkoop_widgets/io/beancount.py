"""The exercice as a Beancount journal, so an independent double-entry checker
(``bean-check``) can verify our books: every transaction balances, and the closing bank
and cash balances we report are asserted to the cent.

Mapping: 512 → ``Assets:Banque``, 530 → ``Assets:Caisse``, class 7 → ``Income:<code>``,
class 6 → ``Expenses:<code>``, the opening balances come from ``Equity:Report-A-Nouveau``.
Beancount account components must start with an uppercase letter or a digit; a code is
all digits, so ``Income:7560`` is valid. Our postings are debit-positive, as Beancount's.

Two Beancount behaviours matter (measured, see stack-notes): a 2-decimal ``balance`` is
tolerated ±0.01 unless written ``~ 0.001``; and a ``balance`` holds at the *start* of its
date, so 31 August's closing is asserted on 1 September.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Sequence

from ..domain.chart import BANK, CASH, Chart
from ..domain.crf import Crf
from ..domain.entry import Entry
from ..domain.ledger import cahier_order
from ..domain.money import to_decimal_str

BANK_ACCOUNT = "Assets:Banque"
CASH_ACCOUNT = "Assets:Caisse"
EQUITY_ACCOUNT = "Equity:Report-A-Nouveau"
CURRENCY = "EUR"


def account_name(code: str, chart: Chart) -> str:
    if code == BANK:
        return BANK_ACCOUNT
    if code == CASH:
        return CASH_ACCOUNT
    acc = chart.get(code)
    classe = acc.classe if acc else ("produit" if code.startswith("7") else "charge")
    return f"{'Income' if classe == 'produit' else 'Expenses'}:{code}"


def _q(text: str) -> str:
    """A Beancount string literal (backslash and double quote escaped, one line)."""
    text = " ".join((text or "").split())
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _amount(cents: int) -> str:
    return f"{to_decimal_str(cents)} {CURRENCY}"


def export_beancount(crf: Crf, entries: Sequence[Entry], chart: Chart) -> str:
    """A journal ``bean-check`` accepts, asserting ``crf``'s closing bank and cash exactly."""
    ex = crf.exercice
    start, after_end = ex.start, ex.end + timedelta(days=1)
    ordered = cahier_order(entries)
    codes = sorted({p.account for e in ordered for p in e.postings} - {BANK, CASH})
    out = [f"; Retkoop — {crf.coop} {crf.coop_name} — exercice {ex.name}".rstrip(),
           f'option "title" {_q(f"{crf.coop} {ex.name}")}',
           f'option "operating_currency" "{CURRENCY}"',
           ""]
    for name in [BANK_ACCOUNT, CASH_ACCOUNT, EQUITY_ACCOUNT] + [account_name(c, chart) for c in codes]:
        out.append(f"{start.isoformat()} open {name} {CURRENCY}")
    out.append("")
    if ex.opening_bank or ex.opening_cash:
        out.append(f'{start.isoformat()} * "Report à nouveau {ex.name}"')
        if ex.opening_bank:
            out.append(f"  {BANK_ACCOUNT}  {_amount(ex.opening_bank)}")
        if ex.opening_cash:
            out.append(f"  {CASH_ACCOUNT}  {_amount(ex.opening_cash)}")
        out.append(f"  {EQUITY_ACCOUNT}  {_amount(-ex.opening_total)}")
        out.append("")
    for e in ordered:
        head = f"{e.date.isoformat()} *"
        if e.tiers:
            head += f" {_q(e.tiers)}"
        out.append(f"{head} {_q(e.libelle)}")
        out.append(f"  piece: {_q(e.piece)}")
        if e.mode:
            out.append(f"  mode: {_q(e.mode)}")
        if e.cheque:
            out.append(f"  cheque: {_q(e.cheque)}")
        if e.pointed:
            out.append(f"  pointe: {_q(e.statement_date.isoformat() if e.statement_date else 'oui')}")
        for p in e.postings:
            out.append(f"  {account_name(p.account, chart)}  {_amount(p.amount)}")
            if p.action:
                out.append(f"    action: {_q(p.action)}")
        out.append("")
    out.append(f"; soldes de clôture au {ex.end:%d/%m/%Y}, vérifiés au début du {after_end:%d/%m/%Y}")
    out.append(f"{after_end.isoformat()} balance {BANK_ACCOUNT}  {to_decimal_str(crf.closing_bank)} ~ 0.001 {CURRENCY}")
    out.append(f"{after_end.isoformat()} balance {CASH_ACCOUNT}  {to_decimal_str(crf.closing_cash)} ~ 0.001 {CURRENCY}")
    return "\n".join(out) + "\n"
