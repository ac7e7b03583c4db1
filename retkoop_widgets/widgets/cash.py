"""Caisse: the arrêté de caisse, note by note and coin by coin, compared live with the
book cash balance at the chosen date, and the history of counts."""
from __future__ import annotations

import ipywidgets as W

from ..domain.cash import DENOMINATIONS, NOTES, denomination_label
from ..domain.money import format_eur
from .common import Context, Section, attempt, button, esc, fdate, field, name_input, ok_html, status_line
from .datefield import DateField

# Nothing typed yet: not an "écart" (a red gap on an untouched form reads as an error).
NOTHING_YET = ('<span class="rk-help rk-verdict">Saisissez le nombre de billets et de pièces : '
               'le total se compare au cahier au fur et à mesure.</span>')


def verdict_html(total: int, book: int) -> str:
    gap = total - book
    if gap == 0:
        return '<span class="rk-reste zero rk-verdict">✔ Caisse juste</span>'
    kind = "excédent" if gap > 0 else "manque"
    return (f'<span class="rk-reste over rk-verdict">Écart de {esc(format_eur(abs(gap)))} ({kind})</span>')


class CashSection(Section):
    title = "Caisse"

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.inputs: dict[int, W.BoundedIntText] = {}
        self.subtotals: dict[int, W.HTML] = {}
        rows_n, rows_c = [], []
        for d in DENOMINATIONS:
            inp = W.BoundedIntText(value=0, min=0, max=100000, layout=W.Layout(width="90px"))
            inp.add_class(f"rk-coin-{d}")
            name_input(inp, f"Nombre de {denomination_label(d)}")
            inp.observe(lambda _c: self.update(), "value")
            sub = W.HTML(layout=W.Layout(width="110px"))
            self.inputs[d], self.subtotals[d] = inp, sub
            row = W.HBox([W.HTML(f"<div style='width:130px;padding-top:4px'>{esc(denomination_label(d))}</div>"),
                          inp, sub])
            (rows_n if d in NOTES else rows_c).append(row)
        self.date = DateField("rk-cdate")
        self.date.observe(lambda _c: self.update(), "value")
        self.comment = W.Text(placeholder="commentaire (facultatif)", layout=W.Layout(width="330px"))
        self.total = W.HTML()
        self.total.add_class("rk-ctotal")
        self.save = button("Enregistrer l'arrêté de caisse", "primary", "rk-csave", icon="save")
        self.reset_btn = button("Remettre à zéro", cls="rk-creset")
        self.status = status_line("rk-castatus")
        self.history = W.HTML()
        self.save.on_click(lambda _b: self.submit())
        self.reset_btn.on_click(lambda _b: self.clear())
        self._book_cache: dict = {}
        counts = W.HBox([W.VBox([W.HTML('<div class="rk-lbl">Billets</div>')] + rows_n),
                         W.VBox([W.HTML('<div class="rk-lbl">Pièces</div>')] + rows_c,
                                layout=W.Layout(margin="0 0 0 30px"))])
        left = W.VBox([W.HTML('<div class="rk-title">Arrêté de caisse</div><div class="rk-help">Comptez les '
                              'billets et les pièces de la caisse : le total se compare tout seul au solde '
                              'de caisse du cahier à cette date.</div>'),
                       W.HBox([field("Date du comptage", self.date.box, "180px"),
                               field("Commentaire", self.comment, "340px")]),
                       counts], layout=W.Layout(width="640px"))
        right = W.VBox([self.total, W.HBox([self.save, self.reset_btn]), self.status,
                        W.HTML('<div class="rk-title" style="margin-top:10px">Historique des comptages</div>'),
                        self.history], layout=W.Layout(width="620px", margin="0 0 0 16px"))
        left.add_class("rk-card")
        right.add_class("rk-card")
        self.root = W.HBox([left, right])

    def counts(self) -> dict[int, int]:
        return {d: int(w.value or 0) for d, w in self.inputs.items() if w.value}

    def book_balance(self) -> int:
        day = self.date.value
        if day not in self._book_cache:
            ex = self.ctx.exercice_obj()
            cash = ex.opening_cash + sum(ln.entry.cash for ln in self.ctx.cahier()
                                         if day is None or ln.entry.date <= day)
            self._book_cache[day] = cash
        return self._book_cache[day]

    def update(self) -> None:
        total = 0
        for d, w in self.inputs.items():
            n = int(w.value or 0)
            total += d * n
            self.subtotals[d].value = (f"<div style='padding-top:4px;text-align:right' class='rk-help'>"
                                       f"{esc(format_eur(d * n))}</div>" if n else "")
        book = self.book_balance()
        self.total.value = (
            f'<div class="rk-cards"><div class="rk-stat"><span>Total compté</span>'
            f'<div class="rk-big">{esc(format_eur(total))}</div></div>'
            f'<div class="rk-stat"><span>Solde de caisse du cahier au {fdate(self.date.value)}</span>'
            f'<div class="rk-big cash" style="color:#15803d">{esc(format_eur(book))}</div></div></div>'
            f'<div style="margin:8px 0">{verdict_html(total, book) if total or not book else NOTHING_YET}</div>')

    def clear(self) -> None:
        for w in self.inputs.values():
            w.value = 0
        self.comment.value = ""
        self.update()

    def refresh(self) -> None:
        self._book_cache = {}
        if self.date.empty:
            self.date.value = self.ctx.default_day()
        self.update()
        rows = []
        for c in reversed(self.ctx.cash_counts()):
            cls = "rk-good" if c.gap == 0 else "rk-bad"
            rows.append(f"<tr><td>{fdate(c.date)}</td><td class='n'>{esc(format_eur(c.total))}</td>"
                        f"<td class='n'>{esc(format_eur(c.book_balance))}</td>"
                        f"<td class='{cls}'>{esc(c.verdict())}</td><td>{esc(c.author)}</td>"
                        f"<td>{esc(c.comment)}</td></tr>")
        body = "".join(rows) or "<tr><td colspan='6' class='rk-help'>Aucun arrêté de caisse pour cet exercice.</td></tr>"
        self.history.value = ("<div class='rk-scroll' tabindex='0' role='region' aria-label='Arrêtés de caisse' style='max-height:300px'><table class='rk-table rk-chistory'>"
                              "<thead><tr><th>Date</th><th class='n'>Compté</th><th class='n'>Cahier</th>"
                              f"<th>Résultat</th><th>Par</th><th>Commentaire</th></tr></thead><tbody>{body}</tbody></table></div>")
        self.stale = False

    def submit(self) -> None:
        ok, count = attempt(lambda: self.ctx.books.record_cash_count(
            self.ctx.coop, self.ctx.exercice, self.date.checked("date"), self.counts(), self.comment.value.strip()),
            self.status)
        if ok:
            self.ctx.changed("cash")
            self.refresh()
            self.status.value = ok_html(f"Arrêté de caisse du {fdate(count.date)} enregistré : {count.verdict()}")
