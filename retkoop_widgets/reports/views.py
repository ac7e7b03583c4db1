"""What the report notebooks display: HTML blocks built from ``Books`` data.

Why HTML strings and not DataFrames: the PDF must look like an official form (boxes,
rubric subtotals, a signature block, per-page carried-forward totals), which a
DataFrame's HTML cannot express; WeasyPrint lays out plain HTML + CSS well. The
builders are pure functions of domain records (easy to test, no kernel needed);
``show_crf`` / ``show_cahier`` are the few lines the notebooks call.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from ..domain.cash import COINS, NOTES, denomination_label
from ..domain.chart import Chart
from ..domain.crf import Crf
from ..domain.exercice import CLOSED, REOPENED, STATE_LABELS, SUBMITTED
from ..domain.ledger import Alert, CahierLine
from .fmt import day, esc, eur, num

# Fixed rows per printed cahier page: WeasyPrint cannot sum per page, so we paginate
# ourselves and carry the totals forward explicitly. A libellé shows at most two lines
# (CSS max-height), so 24 rows always fit an A4 landscape page (checked visually).
CAHIER_ROWS_PER_PAGE = 24


# --------------------------------------------------------------------------- loading
def open_books(db_url: str | None = None):
    """Read-only ``Books`` on ``db_url`` (``None``: ``RETKOOP_DB_URL``, else the default file)."""
    from ..services.books import Books
    return Books(db_url or None, None, read_only=True)


@dataclass(frozen=True)
class CrfData:
    crf: Crf
    coop: dict
    info: object  # services.submission.SubmissionInfo
    cahier: tuple[CahierLine, ...]


def load_crf(books, coop: str, exercice: str) -> CrfData:
    from ..services.submission import submission_info
    return CrfData(books.crf(coop, exercice), books.coop_info(coop), submission_info(books, coop, exercice),
                   tuple(books.cahier(coop, exercice)))


# --------------------------------------------------------------------------- CRF blocks
def _running_marks(kind: str, d: CrfData, generated: datetime) -> str:
    """Invisible strings that CSS ``string-set`` copies into the page margins."""
    c = d.coop
    return (f'<div class="runhead">{esc(c["name"])} — n° {esc(c["code"])} — {esc(kind)} {esc(d.crf.exercice.name)}</div>'
            f'<div class="rungen">Édité le {day(generated)} à {generated:%H:%M}</div>'
            f'<div class="runstate">État : {esc(d.info.label)}</div>')


def status_html(info) -> str:
    if info.state == SUBMITTED:
        cls, text = "ok", f"Compte rendu <b>soumis</b> le {day(info.submitted_at)}"
        if info.submitted_by:
            text += f" par {esc(info.submitted_by)}"
    elif info.state == REOPENED:
        cls = "warn"
        text = f"Exercice <b>rouvert par l'AD</b> le {day(info.reopened_at)}"
        if info.reopen_reason:
            text += f" — motif : « {esc(info.reopen_reason)} »"
        if info.submitted_at:
            text += f" (soumis auparavant le {day(info.submitted_at)})"
    elif info.state == CLOSED:
        cls, text = "ok", "Exercice <b>clos</b>"
    else:
        cls, text = "draft", "<b>Projet</b> — compte rendu non soumis"
    return f'<div class="status {cls}">{text}</div>'


def crf_header_html(d: CrfData, generated: datetime) -> str:
    ex, c = d.crf.exercice, d.coop
    ad = f'{esc(c.get("ad_name") or d.crf.ad)} ({esc(c["ad"])})'
    return f"""{_running_marks("CRF", d, generated)}
<header class="form-head">
  <div class="org">Office Central de la Coopération à l'École<br><span>{ad}</span></div>
  <h1>Compte rendu financier</h1>
  <div class="subtitle">Exercice {esc(ex.name)} — du {day(ex.start)} au {day(ex.end)}</div>
  <table class="ident">
    <tr><th>Coopérative</th><td>{esc(c["name"])}</td><th>N° d'affiliation</th><td>{esc(c["code"])}</td></tr>
    <tr><th>Association départementale</th><td>{ad}</td><th>Exercice</th><td>{esc(ex.name)}</td></tr>
    <tr><th>État de l'exercice</th><td>{esc(STATE_LABELS.get(ex.state, ex.state))}</td>
        <th>Écritures</th><td>{d.crf.entries_count}</td></tr>
  </table>
  {status_html(d.info)}
</header>"""


def _continued(rows: list[str], label: str) -> list[str]:
    """Mark a table's first body row: it sets the named string ``suite`` (retkoop.css) to
    « <label> (suite) », its total row sets it back to empty, so a page that begins in the
    middle of the table says in its top margin which table continues there (the repeated
    header alone would not say it)."""
    if rows:
        rows[0] = rows[0].replace("<tr", f'<tr data-suite="{esc(label)} (suite)"', 1)
    return rows


def _side_table(title: str, accounts, total_label: str, total: int, side: str = "", previous=None,
                name: str = "") -> str:
    """One side of block 1, by rubric then account. With ``previous`` (``domain.crf.
    PreviousYear``) a second amount column gives the previous exercice's figure for each
    rubric, account and the total; a rubric used last year only is listed with « — »."""
    rows = []
    by_rubric = defaultdict(list)
    for a in accounts:
        by_rubric[a.rubrique].append(a)
    before_rub = previous.rubrics(side) if previous is not None else {}
    before_acc = previous.accounts(side) if previous is not None else {}

    def prev(amount) -> str:
        return "" if previous is None else f'<td class="n prev">{num(amount or 0, blank_zero=True) or "—"}</td>'
    for rub in sorted(set(by_rubric) | set(before_rub)):
        accs = by_rubric.get(rub, [])
        here = sum(a.amount for a in accs)
        rows.append(f'<tr class="rubric"><td colspan="2">{esc(rub)}</td>'
                    f'<td class="n">{num(here) if accs else "—"}</td>{prev(before_rub.get(rub))}</tr>')
        for a in accs:
            rows.append(f'<tr class="acc"><td class="code">{esc(a.code_occe or a.code)}</td>'
                        f'<td>{esc(a.libelle)}</td><td class="n">{num(a.amount)}</td>{prev(before_acc.get(a.code))}</tr>')
    if not rows:
        rows.append(f'<tr><td colspan="{3 if previous is None else 4}" class="empty">aucun</td></tr>')
    _continued(rows, f"1 Comptes de fonctionnement — {title}")
    prev_total = "" if previous is None else f'<td class="n prev">{num(previous.total_charges if side == "charges" else previous.total_produits)}</td>'
    rows.append(f'<tr class="total"><td colspan="2">{esc(total_label)}</td><td class="n">{num(total)}</td>{prev_total}</tr>')
    head = ('<th class="n">Montant (€)</th>' if previous is None else
            f'<th class="n">{esc(name)} (€)</th><th class="n prev">{esc(previous.name)} (€)</th>')
    return (f'<table class="accounts{"" if previous is None else " compared"}"><thead><tr><th class="code">Compte</th>'
            f'<th>{esc(title)}</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def accounts_html(crf: Crf) -> str:
    res = crf.result
    word = "Excédent" if res > 0 else ("Déficit" if res < 0 else "Résultat nul")
    p = crf.previous
    before = "" if p is None else (
        f'<tr class="prev"><th>Exercice précédent {esc(p.name)} : {num(p.total_produits)} − {num(p.total_charges)}</th>'
        f'<td class="n">{num(p.result)} €</td><td class="word">{"Excédent" if p.result > 0 else ("Déficit" if p.result < 0 else "Résultat nul")}</td></tr>')
    note = ('<p class="note">Première année dans Retkoop : pas de colonne « exercice précédent ».</p>'
            if p is None else "")
    return f"""<section class="block accounts-block">
<h2><span class="no">1</span> Comptes de fonctionnement</h2>
<table class="twocol"><tr>
<td>{_side_table("Charges (classe 6)", crf.charges, "Total des charges", crf.total_charges, "charges", p, crf.exercice.name)}</td>
<td>{_side_table("Produits (classe 7)", crf.produits, "Total des produits", crf.total_produits, "produits", p, crf.exercice.name)}</td>
</tr></table>
<table class="result"><tr><th>Résultat de l'exercice (total des produits − total des charges)</th>
<td class="n">{num(crf.total_produits)} − {num(crf.total_charges)} = <b>{num(res)} €</b></td><td class="word">{word}</td></tr>{before}</table>{note}
</section>"""


def balance_html(crf: Crf) -> str:
    ex = crf.exercice
    lhs = ex.opening_total + crf.result
    ok = lhs == crf.closing_total
    return f"""<section class="block">
<h2><span class="no">2</span> Bilan simplifié</h2>
<table class="twocol"><tr><td>
<table class="grid"><thead><tr><th>Ressources</th><th class="n">€</th></tr></thead><tbody>
<tr><td>Report à nouveau au {day(ex.start)} — banque</td><td class="n">{num(ex.opening_bank)}</td></tr>
<tr><td>Report à nouveau au {day(ex.start)} — caisse</td><td class="n">{num(ex.opening_cash)}</td></tr>
<tr class="sub"><td>Total du report à nouveau</td><td class="n">{num(ex.opening_total)}</td></tr>
<tr><td>Résultat de l'exercice</td><td class="n">{num(crf.result)}</td></tr>
<tr class="total"><td>Report + résultat</td><td class="n">{num(lhs)}</td></tr></tbody></table>
</td><td>
<table class="grid"><thead><tr><th>Disponibilités au {day(ex.end)}</th><th class="n">€</th></tr></thead><tbody>
<tr><td>Banque (compte 512, solde au livre)</td><td class="n">{num(crf.closing_bank)}</td></tr>
<tr><td>Caisse (compte 530, solde au livre)</td><td class="n">{num(crf.closing_cash)}</td></tr>
<tr class="sub"><td>&nbsp;</td><td></td></tr><tr><td>&nbsp;</td><td></td></tr>
<tr class="total"><td>Total des disponibilités</td><td class="n">{num(crf.closing_total)}</td></tr></tbody></table>
</td></tr></table>
<p class="equality {'ok' if ok else 'bad'}">Report à nouveau {num(ex.opening_total)} + résultat {num(crf.result)}
 = {num(lhs)} € {'=' if ok else '≠'} banque {num(crf.closing_bank)} + caisse {num(crf.closing_cash)} = {num(crf.closing_total)} €
 {'✓ égalité vérifiée' if ok else '✗ ÉCART'}</p>
</section>"""


def reconciliation_html(crf: Crf) -> str:
    """Block 3: the bank lines not on the statement of the exercice's end — this year's, and
    earlier years' still unpaid (each naming its year: a cheque of August 2025 cashed in
    October 2026 is listed in 2025-2026's CRF *and* carried in 2026-2027's)."""
    ex = crf.exercice
    previous = tuple(getattr(crf, "outstanding_previous", ()) or ())
    rows = []
    for e in [*previous, *crf.unpointed]:  # TreasuryLine or Entry: piece, date, libelle, bank, cheque
        year = getattr(e, "exercice", "")
        earlier = f" <em>(exercice {esc(year)})</em>" if year and year != ex.name else ""
        rows.append(f'<tr><td>{esc(e.piece)}</td><td>{day(e.date)}</td><td>{esc(e.libelle)}{earlier}</td>'
                    f'<td>{"chèque n° " + esc(e.cheque) if e.cheque else ""}</td>'
                    f'<td class="n">{num(max(e.bank, 0), blank_zero=True)}</td>'
                    f'<td class="n">{num(max(-e.bank, 0), blank_zero=True)}</td></tr>')
    if not rows:
        rows.append('<tr><td colspan="6" class="empty">Toutes les opérations en banque sont pointées.</td></tr>')
    _continued(rows, f"3 Rapprochement bancaire au {day(ex.end)}")
    lines = [*previous, *crf.unpointed]
    rin = sum(max(e.bank, 0) for e in lines)
    rout = sum(max(-e.bank, 0) for e in lines)
    return f"""<section class="block">
<h2><span class="no">3</span> Rapprochement bancaire au {day(ex.end)}</h2>
<table class="grid recon"><thead><tr><th>Pièce</th><th>Date</th><th>Opérations non pointées sur le relevé</th><th>Chèque</th>
<th class="n">Recette (€)</th><th class="n">Dépense (€)</th></tr></thead>
<tbody>{"".join(rows)}
<tr class="total"><td colspan="4">Total des opérations non pointées</td><td class="n">{num(rin)}</td><td class="n">{num(rout)}</td></tr></tbody></table>
<table class="grid summary">
<tr><td>Solde de la banque au livre au {day(ex.end)}</td><td class="n">{num(crf.closing_bank)}</td></tr>
<tr><td>− recettes non pointées</td><td class="n">{num(rin)}</td></tr>
<tr><td>+ dépenses non pointées</td><td class="n">{num(rout)}</td></tr>
<tr class="total"><td>= Solde attendu sur le relevé bancaire</td><td class="n">{num(crf.statement_balance)}</td></tr>
</table>
</section>"""


def book_cash_at(crf: Crf, cahier: Sequence[CahierLine], day) -> int:
    """The book's cash balance at the end of ``day``: opening cash plus every cash movement
    dated on or before it (as ``ledger.balances_at``), from the cahier as it is NOW."""
    return crf.exercice.opening_cash + sum(ln.entry.cash for ln in cahier if ln.entry.date <= day)


def cash_verdict(gap: int) -> str:
    if gap == 0:
        return "Caisse juste"
    return f"Écart de {eur(abs(gap))} ({'excédent' if gap > 0 else 'manque'})"


def cash_html(crf: Crf, cahier: Sequence[CahierLine] | None = None) -> str:
    """The arrêté de caisse. Its verdict compares the count with the book's cash AT THE
    COUNT'S DATE computed from ``cahier`` now: the balance stored with the count is the
    book's when it was recorded, and an entry dated on or before the count but recorded
    later (or changed since) makes it stale — it used to print « Caisse juste » for a count
    that no longer matched the book. ``cahier=None``: the stored balance (no other source)."""
    cc = crf.cash_count
    head = '<h2><span class="no">4</span> Arrêté de caisse</h2>'
    if cc is None:
        msg = ("Aucun arrêté de caisse enregistré." if crf.closing_cash == 0 else
               f"Aucun arrêté de caisse enregistré alors que la caisse contient {eur(crf.closing_cash)} au livre.")
        return f'<section class="block">{head}<p class="empty {"bad" if crf.closing_cash else ""}">{msg}</p></section>'

    def rows(denoms):
        out = []
        for dn in denoms:
            n = cc.counts.get(dn, 0)
            out.append(f'<tr{" class=zero" if not n else ""}><td>{esc(denomination_label(dn))}</td><td class="n">{n or "—"}</td>'
                       f'<td class="n">{num(dn * n) if n else ""}</td></tr>')
        return "".join(out)

    th = '<thead><tr><th>Coupure</th><th class="n">Nombre</th><th class="n">Montant (€)</th></tr></thead>'
    comment = f'<p class="comment">Commentaire : {esc(cc.comment)}</p>' if cc.comment else ""
    book = cc.book_balance if cahier is None else book_cash_at(crf, cahier, cc.date)
    gap = cc.total - book
    verdict = cash_verdict(gap)
    changed = ""
    if book != cc.book_balance:
        changed = (f'<p class="comment bad">Le livre a changé depuis l\'arrêté : le solde de caisse au {day(cc.date)} '
                   f'était de {eur(cc.book_balance)} quand il a été enregistré, il est de {eur(book)} '
                   f'aujourd\'hui. Refaites l\'arrêté de caisse ou corrigez les écritures.</p>')
    return f"""<section class="block">{head}
<p>Arrêté du <b>{day(cc.date)}</b>{" par " + esc(cc.author) if cc.author else ""}.</p>
<table class="twocol"><tr><td><table class="grid denoms">{th}<tbody>{rows(NOTES)}</tbody></table></td>
<td><table class="grid denoms">{th}<tbody>{rows(COINS)}</tbody></table></td></tr></table>
<table class="grid summary">
<tr class="total"><td>Total compté</td><td class="n">{num(cc.total)}</td></tr>
<tr><td>Solde de la caisse au livre à cette date</td><td class="n">{num(book)}</td></tr>
<tr><td>Écart (compté − livre)</td><td class="n">{num(gap)}</td></tr>
<tr><td>Conclusion</td><td class="n{"" if gap == 0 else " bad"}"><b>{esc(verdict)}</b></td></tr>
</table>{changed}{comment}
</section>"""


def subsidies_html(crf: Crf) -> str:
    rows = [f'<tr><td>{esc(s.grantor)}</td><td>{esc(s.grantor_type)}</td><td>{esc(s.object)}</td>'
            f'<td>{day(s.date_received)}</td><td>{esc(s.entry_piece)}</td><td>{"oui" if s.proof else "non"}</td>'
            f'<td class="n">{num(s.amount)}</td></tr>' for s in crf.subsidies]
    if not rows:
        rows.append('<tr><td colspan="7" class="empty">Aucune subvention publique reçue.</td></tr>')
    _continued(rows, "5 Subventions publiques")
    ok = crf.subsidies_total == crf.account_7410
    check = ("✓ concordant" if ok else f"✗ écart de {num(abs(crf.subsidies_total - crf.account_7410))} €")
    return f"""<section class="block">
<h2><span class="no">5</span> Subventions publiques</h2>
<table class="grid subsidies"><thead><tr><th>Organisme financeur</th><th>Type</th><th>Objet / projet</th><th>Reçue le</th>
<th>Pièce</th><th>Justif.</th><th class="n">Montant (€)</th></tr></thead><tbody>{"".join(rows)}
<tr class="total"><td colspan="6">Total du tableau des subventions</td><td class="n">{num(crf.subsidies_total)}</td></tr>
<tr class="sub last"><td colspan="6">Total du compte 7410 (subventions publiques) — {check}</td><td class="n">{num(crf.account_7410)}</td></tr></tbody></table>
</section>"""


def alerts_html(crf: Crf, cahier: Sequence[CahierLine] | None = None) -> str:
    """« Points d'attention ». With ``cahier``, the cash-count gap is the one the arrêté de
    caisse block prints (count against the book at the count's date, now), so the page never
    says « Caisse juste » in one place and « écart » in the other."""
    alerts = list(crf.alerts)
    cc = crf.cash_count
    if cahier is not None and cc is not None:
        alerts = [a for a in alerts if a.code != "ecart_caisse"]
        gap = cc.total - book_cash_at(crf, cahier, cc.date)
        if gap:
            alerts.append(Alert("ecart_caisse", f"arrêté de caisse du {day(cc.date)} : {cash_verdict(gap).lower()}",
                                date=cc.date))
    if not alerts:
        return ""
    items = "".join(f"<li>{esc(a.message[:1].upper() + a.message[1:])}</li>" for a in alerts)
    return f'<section class="block alerts"><h3>Points d\'attention</h3><ul>{items}</ul></section>'


def signature_html(d: CrfData) -> str:
    info, ex = d.info, d.crf.exercice
    ver = list(info.verificateurs) + [{}] * max(0, 2 - len(info.verificateurs))
    mand = ", ".join(info.mandataires)  # accounts' full names; blank lines to fill by hand otherwise

    def box(title: str, nom: str, qualite: str) -> str:
        return (f'<td><div class="sigtitle">{esc(title)}</div><div class="line">Nom : {esc(nom)}</div>'
                f'<div class="line">Qualité : {esc(qualite)}</div><div class="sigspace">Signature</div></td>')

    cells = box("Mandataire(s)", mand, "mandataire de la coopérative")
    for i, v in enumerate(ver[:3], start=1):
        cells += box(f"Vérificateur aux comptes n° {i}", v.get("nom", ""), v.get("qualite", ""))
    # the signature recorded with the submission (a reopened exercice is a draft again: blanks)
    signed = info.state in (SUBMITTED, CLOSED)
    place = esc(info.place) if signed and info.place else "______________________________"
    when = info.signed_on or info.submitted_at
    place_date = f"le {day(when)}" if signed and when else "le ____ / ____ / ________"
    return f"""<section class="block signatures">
<h2><span class="no">6</span> Vérification et quitus</h2>
<p class="quitus">Les vérificateurs aux comptes soussignés — dont au moins un parent d'élève, aucun ne tenant la
comptabilité — certifient avoir examiné le cahier de comptabilité, les pièces justificatives, les relevés bancaires
et l'arrêté de caisse de l'exercice {esc(ex.name)}, et donnent <b>quitus</b> au(x) mandataire(s) pour sa (leur) gestion.</p>
<p class="place">Fait à {place}, {place_date}</p>
<table class="sigs"><tr>{cells}</tr></table>
<p class="note">Document à remettre à l'association départementale avant le 30 septembre, accompagné du compte rendu
d'activité. À conserver dix ans avec les pièces justificatives.</p>
</section>"""


# --------------------------------------------------------------------------- charts
def month_end_balances(crf: Crf, cahier: Sequence[CahierLine]) -> tuple[list[int], list[int], list[int]]:
    """Months of the exercice (1–12, September first) and the bank and cash balances (cents)
    at the end of each: the last cahier line of the month, else the previous month's."""
    ex = crf.exercice
    months = [(ex.start.year + (m < 9), m) for m in list(range(9, 13)) + list(range(1, 9))]
    bank, cash = [], []
    b, c = ex.opening_bank, ex.opening_cash
    i = 0
    lines = list(cahier)
    for y, m in months:
        while i < len(lines) and (lines[i].entry.date.year, lines[i].entry.date.month) <= (y, m):
            b, c = lines[i].bank_balance, lines[i].cash_balance
            i += 1
        bank.append(b)
        cash.append(c)
    return [m for _, m in months], bank, cash


def charts_html(crf: Crf, cahier: Sequence[CahierLine]) -> str:
    """Charges/produits per rubric and month-end balances, side by side (SVG, ``charts.py``)."""
    from .charts import CHARGES_COLOR, PRODUITS_COLOR, rubric_chart, treasury_chart
    rubrics = rubric_chart([("Charges par rubrique", crf.rubrics("charges"), CHARGES_COLOR),
                            ("Produits par rubrique", crf.rubrics("produits"), PRODUITS_COLOR)])
    treasury = treasury_chart(*month_end_balances(crf, cahier))
    return (f'<section class="block charts"><h2><span class="no">★</span> Graphiques</h2><table class="twocol"><tr>'
            f'<td>{rubrics}</td><td>{treasury}</td></tr></table></section>')


def crf_blocks(d: CrfData, generated: datetime | None = None) -> list[str]:
    """The CRF as a list of HTML blocks, in print order."""
    generated = generated or datetime.now()
    crf = d.crf
    return [crf_header_html(d, generated), accounts_html(crf), balance_html(crf), reconciliation_html(crf),
            cash_html(crf, d.cahier), subsidies_html(crf), charts_html(crf, d.cahier), alerts_html(crf, d.cahier),
            signature_html(d)]


# --------------------------------------------------------------------------- cahier
@dataclass(frozen=True)
class CahierColumn:
    key: str  # "bank_in", …, or "R:<rubrique>" / "D:<rubrique>"
    label: str
    group: str


def cahier_columns(lines: Sequence[CahierLine], chart: Chart) -> list[CahierColumn]:
    """Amount columns: bank, cash, then one column per rubric used (expenses, then receipts)."""
    dep, rec = set(), set()
    for ln in lines:
        for p in ln.entry.ventilation:
            acc = chart.get(p.account)
            rub = acc.rubrique if acc else "Autres"
            (dep if p.amount > 0 else rec).add(rub)
    cols = [CahierColumn("bank_in", "Recettes", "Banque"), CahierColumn("bank_out", "Dépenses", "Banque"),
            CahierColumn("cash_in", "Recettes", "Caisse"), CahierColumn("cash_out", "Dépenses", "Caisse")]
    cols += [CahierColumn(f"D:{r}", r, "Ventilation des dépenses") for r in sorted(dep)]
    cols += [CahierColumn(f"R:{r}", r, "Ventilation des recettes") for r in sorted(rec)]
    return cols


def line_amounts(ln: CahierLine, chart: Chart) -> dict[str, int]:
    e = ln.entry
    out = {"bank_in": e.bank_in, "bank_out": e.bank_out, "cash_in": e.cash_in, "cash_out": e.cash_out}
    for p in e.ventilation:
        acc = chart.get(p.account)
        rub = acc.rubrique if acc else "Autres"
        key = f"D:{rub}" if p.amount > 0 else f"R:{rub}"
        out[key] = out.get(key, 0) + abs(p.amount)
    return out


_MODE_SHORT = {"chèque": "chq", "espèces": "espèces", "virement": "virement", "prélèvement": "prélèv.",
               "carte": "carte"}


def paginate(lines: Sequence[CahierLine], rows_per_page: int = CAHIER_ROWS_PER_PAGE) -> list[list[CahierLine]]:
    pages = [list(lines[i:i + rows_per_page]) for i in range(0, len(lines), rows_per_page)]
    return pages or [[]]


def cahier_pages(lines: Sequence[CahierLine], chart: Chart, exercice, coop: dict,
                 generated: datetime | None = None, rows_per_page: int = CAHIER_ROWS_PER_PAGE) -> list[str]:
    """One HTML block per printed page, each with its own header, « report » and « à reporter » rows."""
    generated = generated or datetime.now()
    cols = cahier_columns(lines, chart)
    groups: list[tuple[str, int]] = []
    for c in cols:
        if groups and groups[-1][0] == c.group:
            groups[-1] = (c.group, groups[-1][1] + 1)
        else:
            groups.append((c.group, 1))
    n_rub = len(cols) - 4
    # Column widths (mm) on the 281 mm of an A4 landscape line; the libellé takes what is left.
    fixed = {"date": 13.5, "piece": 8.5, "mode": 15, "amt": 13, "bal": 15, "pt": 9}
    used = fixed["date"] + fixed["piece"] + fixed["mode"] + 4 * fixed["amt"] + 2 * fixed["bal"] + fixed["pt"]
    rub_w = max(11.0, min(15.0, (281 - used - 45) / max(n_rub, 1)))
    lib_w = max(28.0, 281 - used - n_rub * rub_w)
    widths = [fixed["date"], fixed["piece"], lib_w, fixed["mode"]]
    for c in cols:
        widths.append(rub_w if c.key[1] == ":" else fixed["amt"])
        if c.key == "bank_out":
            widths += [fixed["bal"], fixed["pt"]]
        if c.key == "cash_out":
            widths.append(fixed["bal"])
    colgroup = "<colgroup>" + "".join(f'<col style="width:{w:.1f}mm">' for w in widths) + "</colgroup>"
    head1 = ('<tr><th rowspan="2" class="date">Date</th><th rowspan="2" class="piece">Pièce</th>'
             '<th rowspan="2" class="lib">Libellé / tiers</th><th rowspan="2" class="mode">Mode</th>')
    head2 = ""
    for g, n in groups:
        extra = {"Banque": 2, "Caisse": 1}.get(g, 0)  # + solde (+ pointé for the bank)
        head1 += f'<th colspan="{n + extra}" class="grp">{esc(g)}</th>'
    for c in cols:
        head2 += f'<th class="amt">{esc(c.label)}</th>'
        if c.key == "bank_out":
            head2 += '<th class="amt bal">Solde</th><th class="pt">Pointé</th>'
        if c.key == "cash_out":
            head2 += '<th class="amt bal">Solde</th>'
    thead = f"{colgroup}<thead>{head1}</tr><tr>{head2}</tr></thead>"

    def amount_cells(vals: dict[str, int], bank_bal: int | None, cash_bal: int | None, pointed: str) -> str:
        out = ""
        for c in cols:
            out += f'<td class="n">{num(vals.get(c.key, 0), blank_zero=True)}</td>'
            if c.key == "bank_out":
                out += f'<td class="n bal">{"" if bank_bal is None else num(bank_bal)}</td><td class="pt">{pointed}</td>'
            if c.key == "cash_out":
                out += f'<td class="n bal">{"" if cash_bal is None else num(cash_bal)}</td>'
        return out

    pages = paginate(lines, rows_per_page)
    carried: dict[str, int] = defaultdict(int)
    bank_bal, cash_bal = exercice.opening_bank, exercice.opening_cash
    out = []
    marks = (f'<div class="runhead">{esc(coop["name"])} — n° {esc(coop["code"])} — Cahier de comptabilité '
             f'{esc(exercice.name)}</div><div class="rungen">Édité le {day(generated)} à {generated:%H:%M}</div>'
             f'<div class="runstate">État : {esc(STATE_LABELS.get(exercice.state, exercice.state))}</div>')
    for i, page in enumerate(pages):
        rows = []
        if i == 0:
            rows.append(f'<tr class="carry"><td>{day(exercice.start)}</td><td></td><td colspan="2">Report à nouveau '
                        f'(soldes d\'ouverture)</td>{amount_cells({}, bank_bal, cash_bal, "")}</tr>')
        else:
            rows.append(f'<tr class="carry"><td></td><td></td><td colspan="2">Report (pages précédentes)</td>'
                        f'{amount_cells(carried, bank_bal, cash_bal, "")}</tr>')
        for ln in page:
            e = ln.entry
            vals = line_amounts(ln, chart)
            for k, v in vals.items():
                carried[k] += v
            bank_bal, cash_bal = ln.bank_balance, ln.cash_balance
            lib = esc(e.libelle) + (f' <span class="tiers">— {esc(e.tiers)}</span>' if e.tiers else "")
            mode = esc(_MODE_SHORT.get(e.mode, e.mode)) + (f" {esc(e.cheque)}" if e.cheque else "")
            pt = ("✓ " + day(e.statement_date)[:5]) if e.pointed else ("" if not e.bank else "—")
            rows.append(f'<tr><td>{day(e.date)}</td><td>{esc(e.piece)}</td><td class="lib"><div>{lib}</div></td>'
                        f'<td class="mode"><div>{mode}</div></td>{amount_cells(vals, ln.bank_balance, ln.cash_balance, pt)}</tr>')
        last = i == len(pages) - 1
        label = "Totaux de l'exercice" if last else "À reporter"
        rows.append(f'<tr class="carry total"><td></td><td></td><td colspan="2">{label}</td>'
                    f'{amount_cells(carried, bank_bal, cash_bal, "")}</tr>')
        title = (f'<div class="cahier-title"><b>Cahier de comptabilité</b> — {esc(coop["name"])} (n° {esc(coop["code"])}) — '
                 f'exercice {esc(exercice.name)} du {day(exercice.start)} au {day(exercice.end)}'
                 f'<span class="pg">Montants en euros</span></div>')
        out.append(f'<section class="cahier-page">{marks if i == 0 else ""}{title}<table class="cahier">'
                   f'{thead}<tbody>{"".join(rows)}</tbody></table></section>')
    return out


def deleted_pieces_html(deleted: Sequence) -> str:
    """« Pièces supprimées », after the cahier's last page: each deleted pièce (a
    ``domain.numbering.DeletedPiece``) struck through, as the dashboard shows them, so that a
    gap in the numbering is explained on paper too. Empty when none was deleted."""
    if not deleted:
        return ""
    items = "".join(f"<li><s>{esc(d.describe())}</s></li>" for d in deleted)
    return (f'<section class="deleted-pieces"><h3>Pièces supprimées ({len(deleted)})</h3>'
            f'<p class="note">Numéros de pièces supprimés de l\'exercice : ils ne sont pas réutilisés ; '
            f'chaque suppression est tracée dans l\'historique.</p><ul>{items}</ul></section>')


# --------------------------------------------------------------------------- notebook entry points
def _display_blocks(blocks: Sequence[str]) -> None:
    from IPython.display import HTML, display
    for b in blocks:
        if b:
            display(HTML(b))


def show_crf(coop: str, exercice: str, db_url: str | None = None) -> None:
    """Display the CRF's blocks (the notebook ``rapport_financier.ipynb`` calls this)."""
    _display_blocks(crf_blocks(load_crf(open_books(db_url), coop, exercice)))


def show_cahier(coop: str, exercice: str, db_url: str | None = None) -> None:
    """Display the printable cahier, page by page (``cahier.ipynb`` calls this)."""
    books = open_books(db_url)
    ex = books.exercice(coop, exercice)
    pages = cahier_pages(books.cahier(coop, exercice), books.chart(coop), ex, books.coop_info(coop))
    # the deleted pièces, struck, after the last page: the paper archive's gaps explained
    _display_blocks([*pages, deleted_pieces_html(books.deleted_pieces(coop, exercice))])
