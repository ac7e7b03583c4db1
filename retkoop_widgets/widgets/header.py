"""The header: coop name, exercice selector, bank and cash balances, open alerts; under
it, the notice that tells the teacher what the AD or a formateur changed in her books.

The notice (``check_notice``) is what ``services.history.unseen`` says — a pure function
of the audit rows after the last one she acknowledged (``domain.history.notices``) — shown
at load, then checked every ``NOTICE_EVERY`` seconds while the page is open (one small
indexed read; a live refresh can call ``check_notice`` itself). « J'ai compris »
acknowledges what is shown; nothing else marks it read.
"""
from __future__ import annotations

import ipywidgets as W

from ..domain.exercice import STATE_LABELS
from ..domain.money import format_eur
from ..services import history as hist
from .common import Context, button, esc, logout_html, name_input


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
        self.bar = self.box
        self.notice = W.HTML()
        self.notice.add_class("rk-notice")
        self.notice_ok = button("J'ai compris", cls="rk-notice-ok", icon="check", width="140px")
        self.notice_ok.on_click(lambda _b: self.acknowledge())
        self.notice_box = W.VBox([self.notice, self.notice_ok], layout=W.Layout(display="none"))
        self.notice_box.add_class("rk-notice-box")
        # The AD's or formateur's reason, once for every section (pointage, caisse, pièces,
        # subventions, inventaire, reprise…): the teacher reads it in Historique.
        self.reason = W.Text(placeholder="ex. correction faite avec la mandataire au téléphone le 07/12",
                             layout=W.Layout(width="100%"))
        self.reason.add_class("rk-motif-global")
        name_input(self.reason, "Motif de vos corrections")
        self.reason.observe(lambda c: setattr(ctx, "reason", (c["new"] or "").strip()), "value")
        self.reason_box = W.VBox([W.HTML('<span class="rk-help">Motif de vos corrections (lu par le mandataire '
                                         'dans l’historique ; la saisie peut en donner un autre)</span>'),
                                  self.reason],
                                 layout=W.Layout(display=None if ctx.books.actor.must_give_reason else "none"))
        self.reason_box.add_class("rk-motif-box")
        self.box = W.VBox([self.bar, self.reason_box, self.notice_box])
        self._upto = 0
        self._told: list[str] = []
        self._checked = False  # the first check is the page's load: it has just read everything
        self._timer = None
        self.check_notice()  # at load; then whenever the live watcher sees a change (widgets/live.py)

    # -- the teacher's notice ------------------------------------------------------------
    def check_notice(self) -> None:
        """Show what the mandataire has not acknowledged (nothing for anyone else). A
        failing read leaves the page as it is: the next check tries again."""
        ctx = self.ctx
        try:
            u = hist.unseen(ctx.books, ctx.coop)
            if u.first or (not u.notices and u.upto > self._upto and self._upto):
                hist.acknowledge(ctx.books, ctx.coop, u.upto)  # the starting mark; her own changes
        except Exception:  # noqa: BLE001 - a notice is never worth a broken page
            import logging
            logging.getLogger("retkoop.dashboard").exception("notice check failed")
            return
        self._upto = u.upto
        self._told, self._checked = u.notices, True
        if not u.notices:
            self.notice.value = ""
            self.notice_box.layout.display = "none"
            return
        items = "".join(f"<li>{esc(n)}</li>" for n in u.notices)
        self.notice.value = (
            '<div class="rk-info" role="status" style="background:#fff7ed;color:#7c2d12;border-color:#fdba74">'
            f'<b>Modifications faites par d’autres depuis votre dernière visite</b><ul style="margin:4px 0">'
            f'{items}</ul><span class="rk-help">Le détail est dans l’onglet Historique.</span></div>')
        self.notice_box.layout.display = None

    def acknowledge(self) -> None:
        """« J'ai compris »: the notices shown are read."""
        try:
            hist.acknowledge(self.ctx.books, self.ctx.coop, self._upto)
        except Exception:  # noqa: BLE001
            import logging
            logging.getLogger("retkoop.dashboard").exception("notice acknowledgement failed")
            return
        self.notice.value = ""
        self.notice_box.layout.display = "none"

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
