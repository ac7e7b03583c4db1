"""The header: coop name, exercice selector, bank and cash balances, open alerts."""
from __future__ import annotations

import ipywidgets as W

from ..domain.exercice import STATE_LABELS
from ..domain.money import format_eur
from .common import Context, esc, logout_html, name_input


class Header:
    def __init__(self, ctx: Context, on_exercice):
        self.ctx = ctx
        self.title = W.HTML(layout=W.Layout(width="340px"))
        self.exercice = W.Dropdown(options=[n for n, _ in ctx.info["exercices"]], value=ctx.exercice,
                                   layout=W.Layout(width="130px"))
        self.exercice.add_class("rk-exercice")
        name_input(self.exercice, "Exercice")
        self.kpis = W.HTML(layout=W.Layout(flex="1"))
        self.kpis.add_class("rk-kpis-box")
        self.exercice.observe(lambda c: on_exercice(c["new"]), "value")
        self.logout = W.HTML(logout_html())  # « Se déconnecter », under the hub
        self.box = W.HBox([self.title, W.VBox([W.HTML('<span style="font-size:11px;color:#94a3b8">EXERCICE</span>'),
                                               self.exercice]), self.kpis, self.logout],
                          layout=W.Layout(align_items="center"))
        self.box.add_class("rk-header")

    def refresh(self) -> None:
        ctx, info = self.ctx, self.ctx.info
        self.title.value = (f'<div class="rk-coop">{esc(info["name"])}<small>{esc(info["code"])} · '
                            f'{esc(info["ad_name"] or info["ad"])} · {esc(ctx.books.actor.login)}</small></div>')
        if ctx.exercice is None:
            self.kpis.value = '<div class="rk-kpis"><div class="rk-kpi"><span>Aucun exercice ouvert</span></div></div>'
            return
        bank, cash = ctx.balances()
        n = len(ctx.crf().alerts)
        ex = ctx.exercice_obj()
        state = "" if ex.writable else (f'<div class="rk-kpi alerts"><span>État</span><b>'
                                        f'{esc(STATE_LABELS[ex.state])}</b></div>')
        self.kpis.value = (
            '<div class="rk-kpis" style="justify-content:flex-end">'
            f'<div class="rk-kpi bank"><span>Banque</span><b class="rk-hbank">{esc(format_eur(bank))}</b></div>'
            f'<div class="rk-kpi cash"><span>Caisse</span><b class="rk-hcash">{esc(format_eur(cash))}</b></div>'
            f'<div class="rk-kpi {"alerts" if n else "ok"}"><span>Alertes</span><b class="rk-halerts">'
            f'{n if n else "aucune"}</b></div>{state}</div>')
