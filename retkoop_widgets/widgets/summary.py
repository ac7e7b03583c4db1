"""Bilan: the live compte rendu financier: result, balances, the equality check, the
alerts (each opens its entry), and the CRF's two charts as accessible SVG (the same
drawing as the PDF; no Output widget: works the same in tests and in Voilà)."""
from __future__ import annotations

import ipywidgets as W

from ..domain.money import format_eur
from .common import Context, Section, button, esc

BANK_COLOR, CASH_COLOR = "#1d4ed8", "#15803d"


def charts_svg(ctx: Context) -> str:
    """The CRF's own charts (charges and produits per rubric, month-end bank and cash), as
    accessible SVG (``role="img"`` with a French description): the same drawing as the PDF,
    and no matplotlib in the dashboard's kernel."""
    from ..reports.charts import CHARGES_COLOR, PRODUITS_COLOR, rubric_chart, treasury_chart
    from ..reports.views import month_end_balances
    crf = ctx.crf()
    rubrics = rubric_chart([("Charges par rubrique", crf.rubrics("charges"), CHARGES_COLOR),
                            ("Produits par rubrique", crf.rubrics("produits"), PRODUITS_COLOR)])
    treasury = treasury_chart(*month_end_balances(crf, ctx.cahier()))
    return (f'<div class="rk-charts" style="display:flex;gap:16px;flex-wrap:wrap">'
            f'<div style="flex:1 1 480px;min-width:0">{rubrics}</div>'
            f'<div style="flex:1 1 480px;min-width:0">{treasury}</div></div>')


def summary_html(crf) -> str:
    ex = crf.exercice
    res_cls = "rk-good" if crf.result >= 0 else "rk-bad"
    lhs = ex.opening_total + crf.total_produits - crf.total_charges
    ok = lhs == crf.closing_total
    check = (f"Report à nouveau {format_eur(ex.opening_total)} + produits {format_eur(crf.total_produits)} "
             f"− charges {format_eur(crf.total_charges)} = {format_eur(lhs)} "
             f"{'=' if ok else '≠'} banque {format_eur(crf.closing_bank)} + caisse {format_eur(crf.closing_cash)}")

    prev = crf.previous

    def side(title, key, total):
        """Per rubric (bold) then its accounts, with the previous exercice's figure beside
        each when there is one (a rubric used last year only shows « — » this year)."""
        before_acc = prev.accounts(key) if prev is not None else {}
        accounts = crf.charges if key == "charges" else crf.produits

        def before(cents):
            return "" if prev is None else f"<td class='n rk-prev'>{esc(format_eur(cents)) if cents else '—'}</td>"
        rows = []
        for rub, here, last in crf.compared_rubrics(key):
            rows.append(f"<tr class='rk-rubric'><td colspan='2'><b>{esc(rub)}</b></td>"
                        f"<td class='n'><b>{esc(format_eur(here)) if here else '—'}</b></td>{before(last)}</tr>")
            rows += [f"<tr><td>{esc(a.code)}</td><td>{esc(a.libelle)}</td><td class='n'>{esc(format_eur(a.amount))}</td>"
                     f"{before(before_acc.get(a.code))}</tr>" for a in accounts if a.rubrique == rub]
        rows = "".join(rows) or f"<tr><td colspan='{3 if prev is None else 4}' class='rk-help'>—</td></tr>"
        head = ("" if prev is None else
                f"<tr><th></th><th></th><th class='n'>{esc(ex.name)}</th><th class='n rk-prev'>{esc(prev.name)}</th></tr>")
        last_total = "" if prev is None else before(prev.total_charges if key == "charges" else prev.total_produits)
        return (f"<div style='flex:1'><div class='rk-title'>{title}</div><table class='rk-table rk-compared'>{head}{rows}"
                f"<tr class='total'><td colspan='2'>Total</td><td class='n'>{esc(format_eur(total))}</td>{last_total}</tr>"
                f"</table></div>")
    previous_line = ("" if prev is None else
                     f'<div class="rk-help rk-previous">Exercice précédent {esc(prev.name)} : produits '
                     f'{esc(format_eur(prev.total_produits))}, charges {esc(format_eur(prev.total_charges))}, '
                     f'résultat <b>{esc(format_eur(prev.result))}</b></div>')
    return (
        '<div class="rk-cards rk-bilan-cards">'
        f'<div class="rk-stat"><span>Résultat (produits − charges)</span><div class="rk-big {res_cls} rk-result">'
        f'{esc(format_eur(crf.result))}</div></div>'
        f'<div class="rk-stat"><span>Total des produits</span><div class="rk-big">{esc(format_eur(crf.total_produits))}</div></div>'
        f'<div class="rk-stat"><span>Total des charges</span><div class="rk-big">{esc(format_eur(crf.total_charges))}</div></div>'
        f'<div class="rk-stat"><span>Banque</span><div class="rk-big" style="color:{BANK_COLOR}">{esc(format_eur(crf.closing_bank))}</div></div>'
        f'<div class="rk-stat"><span>Caisse</span><div class="rk-big" style="color:{CASH_COLOR}">{esc(format_eur(crf.closing_cash))}</div></div>'
        "</div>"
        f'<div class="{"rk-ok" if ok else "rk-ko"} rk-equality" style="margin:8px 0">{"✔ Comptes équilibrés" if ok else "✖ Déséquilibre"} : {esc(check)}</div>'
        f'<div class="rk-help">Relevé bancaire attendu : <b>{esc(format_eur(crf.statement_balance))}</b> '
        f'({len(crf.unpointed) + len(crf.outstanding_previous)} ligne(s) non pointée(s)) · {crf.entries_count} écritures · '
        f'subventions {esc(format_eur(crf.subsidies_total))} / compte 7410 {esc(format_eur(crf.account_7410))}</div>'
        f'{previous_line}'
        f'<div style="display:flex;gap:16px;margin-top:6px">{side("Charges", "charges", crf.total_charges)}'
        f'{side("Produits", "produits", crf.total_produits)}</div>')


class SummarySection(Section):
    title = "Bilan"

    def __init__(self, ctx: Context, on_open_entry=None):
        super().__init__(ctx)
        self.on_open_entry = on_open_entry
        self.summary = W.HTML()
        self.summary.add_class("rk-bilan")
        self.alerts = W.VBox()
        self.alerts.add_class("rk-alerts")
        self.charts = W.HTML()
        self.charts.add_class("rk-bilan-charts")
        left = W.VBox([self.summary], layout=W.Layout(width="760px"))
        left.add_class("rk-card")
        alerts = W.VBox([W.HTML('<div class="rk-title">Alertes</div>'), self.alerts])
        alerts.add_class("rk-card")
        from .submission import SubmissionPanel
        self.submission = SubmissionPanel(ctx)
        # the right column: what is wrong, then handing the CRF over (uses the height the
        # charges/produits tables give the left column)
        right = W.VBox([alerts, self.submission.root], layout=W.Layout(width="540px", margin="0 0 0 12px"))
        charts = W.VBox([W.HTML('<div class="rk-title">Graphiques</div>'), self.charts])
        charts.add_class("rk-card")
        self.root = W.VBox([W.HBox([left, right]), charts])

    def refresh(self) -> None:
        crf = self.ctx.crf()
        self.summary.value = summary_html(crf)
        kids = []
        for a in crf.alerts:
            row = [W.HTML(f"<div style='padding:3px 0'>⚠ {esc(a.message[:1].upper() + a.message[1:])}</div>",
                          layout=W.Layout(flex="1"))]
            if a.entry_id is not None and self.on_open_entry:
                b = button(f"Ouvrir {a.piece}", cls="rk-alert-open")
                b.on_click(lambda _b, i=a.entry_id: self._open(i))
                row.append(b)
            kids.append(W.HBox(row, layout=W.Layout(align_items="center", border_bottom="1px solid #f1f5f9")))
        self.alerts.children = kids or [W.HTML('<div class="rk-ok">✔ Aucune alerte : rien d’anormal détecté.</div>')]
        self.charts.value = charts_svg(self.ctx)
        self.submission.refresh()
        self.stale = False

    def _open(self, entry_id: int) -> None:
        e = self.ctx.entry_by_id(entry_id)
        if e is not None and self.on_open_entry:
            self.on_open_entry(e)
