"""Subventions: the public subsidies table (legal traceability), reconciled with the
total of account 7410 that the CRF reports."""
from __future__ import annotations

import ipywidgets as W

from ..domain.chart import SUBSIDY_ACCOUNT
from ..domain.errors import ValidationError
from ..domain.money import format_eur, format_plain, parse_amount
from ..domain.subsidy import GRANTOR_TYPES
from .common import (
    Context,
    Section,
    attempt,
    button,
    err_label,
    esc,
    fdate,
    field,
    ko_html,
    name_input,
    ok_html,
    status_line,
)
from .datefield import DateField

FIELDS = ("grantor", "grantor_type", "object", "amount", "date_received", "entry_piece", "proof")


class SubsidiesSection(Section):
    title = "Subventions"

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.editing = None  # (id, version)
        self.errors = {k: err_label() for k in FIELDS}
        self.grantor = W.Text(placeholder="ex. Mairie de Rouen", layout=W.Layout(width="230px"))
        self.grantor.add_class("rk-sgrantor")
        self.gtype = W.Dropdown(options=GRANTOR_TYPES, value="commune", layout=W.Layout(width="190px"))
        self.gtype.add_class("rk-stype")
        self.object = W.Text(placeholder="projet financé", layout=W.Layout(width="260px"))
        self.object.add_class("rk-sobject")
        self.amount = W.Text(placeholder="0,00", layout=W.Layout(width="110px"))
        self.amount.add_class("rk-samount")
        self.date = DateField("rk-sdate")
        self.piece = W.Dropdown(layout=W.Layout(width="250px"))
        self.piece.add_class("rk-spiece")
        self.save = button("Ajouter la subvention", "primary", "rk-ssave", icon="plus")
        self.cancel = button("Annuler la modification", cls="rk-scancel")
        self.cancel.layout.display = "none"
        self.status = status_line("rk-sstatus")
        self.table = W.HTML()
        self.recon = W.HTML()
        self.recon.add_class("rk-srecon")
        self.pick = W.Dropdown(layout=W.Layout(width="420px"))
        name_input(self.pick, "Subvention")
        self.pick.add_class("rk-spick")
        self.edit_btn = button("Modifier", cls="rk-sedit", icon="pencil")
        self.del_btn = button("Supprimer", "danger", "rk-sdelete", icon="trash")
        self.confirm = W.HBox()
        self.save.on_click(lambda _b: self.submit())
        self.cancel.on_click(lambda _b: self.reset_form())
        self.edit_btn.on_click(lambda _b: self._edit())
        self.del_btn.on_click(lambda _b: self._ask_delete())
        e = self.errors
        form = W.VBox([
            W.HTML('<div class="rk-title">Subvention reçue</div>'),
            W.HBox([field("Organisme financeur", self.grantor, "240px", e["grantor"]),
                    field("Type", self.gtype, "200px", e["grantor_type"]),
                    field("Objet", self.object, "270px", e["object"]),
                    field("Montant (€)", self.amount, "120px", e["amount"]),
                    field("Reçue le", self.date.box, "175px", e["date_received"]),
                    field("Pièce de recette (7410)", self.piece, "260px", e["entry_piece"])]),
            W.HBox([self.save, self.cancel]), self.status])
        form.add_class("rk-card")
        lst = W.VBox([W.HTML('<div class="rk-title">Tableau des subventions publiques</div>'), self.recon,
                      self.table,
                      W.HBox([W.HTML('<div class="rk-lbl" style="margin:6px 6px 0 0">Subvention</div>'),
                              self.pick, self.edit_btn, self.del_btn]), self.confirm])
        lst.add_class("rk-card")
        self.root = W.VBox([form, lst])
        self._subs = []

    def reset_form(self) -> None:
        self.editing = None
        self.grantor.value = self.object.value = self.amount.value = ""
        self.gtype.value = "commune"
        self.date.value = self.ctx.default_day()
        self.piece.value = ""
        self.save.description = "Ajouter la subvention"
        self.cancel.layout.display = "none"
        for e in self.errors.values():
            e.value = ""

    def refresh(self) -> None:
        ctx = self.ctx
        pieces = [("— aucune —", "")] + [
            (f"{e.piece} · {fdate(e.date)} · {e.libelle[:30]}", e.piece) for e in ctx.entries()
            if any(p.account == SUBSIDY_ACCOUNT for p in e.postings)]
        keep = self.piece.value
        self.piece.options = pieces
        self.piece.value = keep if keep in [v for _, v in pieces] else ""
        if self.date.empty:
            self.date.value = ctx.default_day()
        self._subs = ctx.subsidies()
        rows = "".join(
            f"<tr><td>{esc(s.grantor)}</td><td>{esc(s.grantor_type)}</td><td>{esc(s.object)}</td>"
            f"<td class='n'>{esc(format_eur(s.amount))}</td><td>{fdate(s.date_received)}</td>"
            f"<td>{esc(s.entry_piece) or '<span class=rk-bad>non reliée</span>'}</td></tr>" for s in self._subs)
        total = sum(s.amount for s in self._subs)
        rows += (f"<tr class='total'><td colspan='3'>Total</td><td class='n'>{esc(format_eur(total))}</td>"
                 "<td colspan='2'></td></tr>") if self._subs else \
            "<tr><td colspan='6' class='rk-help'>Aucune subvention saisie.</td></tr>"
        self.table.value = ("<table class='rk-table rk-stable'><thead><tr><th>Organisme</th><th>Type</th><th>Objet</th>"
                            f"<th class='n'>Montant</th><th>Reçue le</th><th>Pièce</th></tr></thead><tbody>{rows}</tbody></table>")
        crf = ctx.crf()
        gap = crf.subsidies_total - crf.account_7410
        verdict = ('<b class="rk-good">✔ concordant</b>' if gap == 0 else
                   f'<b class="rk-bad">écart de {esc(format_eur(abs(gap)))} : '
                   + ("une subvention du tableau n’est pas saisie en recette sur 7410" if gap > 0 else
                      "une recette sur 7410 manque au tableau") + "</b>")
        self.recon.value = (f'<div class="rk-info">Tableau : <b>{esc(format_eur(crf.subsidies_total))}</b> · '
                            f'compte 7410 (subventions publiques) : <b>{esc(format_eur(crf.account_7410))}</b> → '
                            f'{verdict}</div>')
        self.pick.options = [(f"{s.grantor} · {s.object[:30]} · {format_eur(s.amount)}", s.id) for s in self._subs]
        self.stale = False

    def _values(self) -> dict:
        try:
            cents = parse_amount(self.amount.value, "amount")
        except ValidationError as e:
            raise ValidationError([type(p)(p.message, "amount") for p in e.problems])
        return dict(grantor=self.grantor.value, grantor_type=self.gtype.value, object=self.object.value,
                    amount=cents, date_received=self.date.checked("date_received"), entry_piece=self.piece.value or "")

    def _show(self, err: ValidationError) -> None:
        for p in err.problems:
            tgt = self.errors.get(p.field)
            if tgt is not None:
                tgt.value = esc(p.message[:1].upper() + p.message[1:])

    def submit(self) -> None:
        for e in self.errors.values():
            e.value = ""
        ctx = self.ctx
        editing = self.editing

        def save():
            v = self._values()
            if editing:
                return ctx.books.update_subsidy(editing[0], editing[1], **v)
            return ctx.books.add_subsidy(ctx.coop, ctx.exercice, **v)
        ok, s = attempt(save, self.status, self._show)
        if ok:
            ctx.changed("subsidies")
            self.reset_form()
            self.refresh()
            self.status.value = ok_html(f"Subvention {'modifiée' if editing else 'ajoutée'} : {s.grantor}, "
                                        f"{format_eur(s.amount)}")

    def _sub(self):
        for s in self._subs:
            if s.id == self.pick.value:
                return s
        self.status.value = ko_html("Choisissez d'abord une subvention.")
        return None

    def _edit(self) -> None:
        s = self._sub()
        if s is None:
            return
        self.editing = (s.id, s.version)
        self.grantor.value, self.gtype.value, self.object.value = s.grantor, s.grantor_type, s.object
        self.amount.value = format_plain(s.amount)
        self.date.value = s.date_received
        if s.entry_piece in [v for _, v in self.piece.options]:
            self.piece.value = s.entry_piece
        self.save.description = "Enregistrer la modification"
        self.cancel.layout.display = None
        self.status.value = ""

    def _ask_delete(self) -> None:
        s = self._sub()
        if s is None:
            return
        yes = button("Oui, supprimer", "danger", "rk-confirm-yes")
        no = button("Annuler", cls="rk-confirm-no")

        def go(_b):
            self.confirm.children = []
            ok, _ = attempt(lambda: self.ctx.books.remove_subsidy(s.id), self.status)
            if ok:
                self.ctx.changed("subsidies")
                self.refresh()
                self.status.value = ok_html(f"Subvention {s.grantor} ({format_eur(s.amount)}) supprimée.")
        yes.on_click(go)
        no.on_click(lambda _b: setattr(self.confirm, "children", []))
        box = W.HBox([W.HTML(f"<b>Supprimer la subvention {esc(s.grantor)} ({esc(format_eur(s.amount))}) ?</b>"),
                      yes, no], layout=W.Layout(align_items="center"))
        box.add_class("rk-confirm")
        self.confirm.children = [box]
