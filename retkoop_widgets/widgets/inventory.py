"""Inventaire: the register of durable goods (registre d'inventaire des biens durables).

Why in the dashboard: every expense on account 68 (biens durables) should leave a line
in the register, and the mandataire is the one who knows what was bought and where it
is. The section shows at the top whether the register agrees with account 68 for the
exercice shown (and which 68 pièces have no good yet), a form to inscribe a good
(choosing its 68 pièce fills the date, the libellé and the amount still to inscribe),
the goods held during the exercice, the "Sortir de l'inventaire" action (date and
reason) and a CSV download of the register. Every write goes through
``services.inventory``, which checks permissions, locks and versions.
"""
from __future__ import annotations

import ipywidgets as W

from ..domain.errors import Problem, ValidationError
from ..domain.inventory import DISPOSAL_REASONS, GoodDraft, durable_goods_codes
from ..domain.money import format_plain, parse_amount
from ..services import inventory as inv
from .common import (
    Context,
    Section,
    attempt,
    button,
    download_link,
    err_label,
    esc,
    eur,
    fdate,
    field,
    ko_html,
    name_input,
    ok_html,
    status_line,
)
from .datefield import DateField

FIELDS = ("designation", "acquired_on", "value", "entry_id", "location", "quantity", "comment")
NONE = "— aucune —"


def _typed(cents: int) -> str:
    """``32900`` → ``329,00``: how an amount is put back in a text field."""
    return format_plain(cents)


class InventorySection(Section):
    title = "Inventaire"

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.editing = None  # (id, version)
        self._goods = []
        self._expenses = {}  # entry id -> DurableExpense of the exercice
        self._linked = {}  # entry id -> value of the goods already inscribed for it
        self.check = None
        self.alert = W.HTML()
        self.alert.add_class("rk-ialert")
        # -- the form
        self.errors = {k: err_label() for k in FIELDS}
        self.designation = W.Text(placeholder="ex. Tablette tactile", layout=W.Layout(width="260px"))
        self.designation.add_class("rk-idesignation")
        self.date = DateField("rk-idate")
        self.value = W.Text(placeholder="0,00", layout=W.Layout(width="110px"))
        self.value.add_class("rk-ivalue")
        self.piece = W.Dropdown(options=[(NONE, None)], value=None, layout=W.Layout(width="300px"))
        self.piece.add_class("rk-ipiece")
        self.location = W.Text(placeholder="ex. classe de CM1", layout=W.Layout(width="180px"))
        self.location.add_class("rk-ilocation")
        self.quantity = W.BoundedIntText(value=1, min=1, max=10000, layout=W.Layout(width="80px"))
        self.quantity.add_class("rk-iquantity")
        self.comment = W.Text(placeholder="facultatif (n° de série…)", layout=W.Layout(width="300px"))
        self.comment.add_class("rk-icomment")
        self.save = button("Inscrire à l'inventaire", "primary", "rk-isave", icon="plus")
        self.cancel = button("Annuler la modification", cls="rk-icancel")
        self.cancel.layout.display = "none"
        self.status = status_line("rk-istatus")
        self.piece.observe(lambda _c: self._piece_chosen(), "value")
        self.save.on_click(lambda _b: self.submit())
        self.cancel.on_click(lambda _b: self.reset_form())
        e = self.errors
        form = W.VBox([
            W.HTML('<div class="rk-title">Inscrire un bien durable</div><div class="rk-help">Un achat ventilé '
                   'sur le compte 68 (biens durables) s’inscrit ici : choisissez sa pièce, la date, la désignation '
                   'et le montant restant à inscrire se remplissent. Valeur : celle de la ligne entière '
                   '(toutes les unités).</div>'),
            W.HBox([field("Pièce de dépense (68)", self.piece, "310px", e["entry_id"]),
                    field("Désignation", self.designation, "270px", e["designation"]),
                    field("Date d'acquisition", self.date.box, "175px", e["acquired_on"]),
                    field("Valeur (€)", self.value, "120px", e["value"])]),
            W.HBox([field("Quantité", self.quantity, "90px", e["quantity"]),
                    field("Lieu / classe", self.location, "190px", e["location"]),
                    field("Commentaire", self.comment, "310px", e["comment"])]),
            W.HBox([self.save, self.cancel]), self.status])
        form.add_class("rk-card")
        # -- the register
        self.show_disposed = W.Checkbox(value=True, description="afficher les biens sortis", indent=False,
                                        layout=W.Layout(width="220px"))
        self.show_disposed.add_class("rk-ishowdisposed")
        self.show_disposed.observe(lambda _c: self._draw(), "value")
        self.table = W.HTML()
        self.table.add_class("rk-itable")
        self.pick = W.Dropdown(layout=W.Layout(width="420px"))
        name_input(self.pick, "Bien du registre")
        self.pick.add_class("rk-ipick")
        self.edit_btn = button("Modifier", cls="rk-iedit", icon="pencil")
        self.del_btn = button("Supprimer", "danger", "rk-idelete", icon="trash")
        self.undo_btn = button("Annuler la sortie", cls="rk-iundo", icon="undo")
        self.out_date = DateField("rk-ioutdate")
        self.out_reason = W.Dropdown(options=DISPOSAL_REASONS, value=DISPOSAL_REASONS[0],
                                     layout=W.Layout(width="150px"))
        self.out_reason.add_class("rk-ioutreason")
        self.out_comment = W.Text(placeholder="précision (obligatoire pour « autre »)", layout=W.Layout(width="280px"))
        self.out_comment.add_class("rk-ioutcomment")
        self.out_btn = button("Sortir de l'inventaire", "warning", "rk-iout", icon="sign-out")
        self.lstatus = status_line("rk-ilstatus")
        self.confirm = W.HBox()
        self.edit_btn.on_click(lambda _b: self._edit())
        self.del_btn.on_click(lambda _b: self._ask_delete())
        self.undo_btn.on_click(lambda _b: self._undo())
        self.out_btn.on_click(lambda _b: self._dispose())
        self.export_btn = button("Registre au format CSV", cls="rk-iexport", icon="table", width="240px")
        self.export_btn.on_click(lambda _b: self._export())
        self.export_link = W.HTML()
        self.export_link.add_class("rk-iexport-link")
        lst = W.VBox([
            W.HTML('<div class="rk-title">Registre d’inventaire</div><div class="rk-help">Les biens détenus '
                   'pendant l’exercice affiché, y compris ceux achetés les années précédentes.</div>'),
            self.show_disposed, self.table,
            W.HBox([W.HTML('<div class="rk-lbl" style="margin:6px 6px 0 0">Bien</div>'), self.pick,
                    self.edit_btn, self.del_btn, self.undo_btn], layout=W.Layout(align_items="center")),
            W.HBox([field("Date de sortie", self.out_date.box, "175px"), field("Motif", self.out_reason, "160px"),
                    field("Précision", self.out_comment, "290px"), self.out_btn],
                   layout=W.Layout(align_items="flex-end")),
            self.confirm, self.lstatus,
            W.HBox([self.export_btn, self.export_link], layout=W.Layout(align_items="center"))])
        lst.add_class("rk-card")
        self.root = W.VBox([self.alert, form, lst])

    # -- reading ---------------------------------------------------------------------
    def refresh(self) -> None:
        ctx = self.ctx
        self.export_link.value = ""  # a file made before a change would be stale
        ok, chk = attempt(lambda: inv.check_register(ctx.books, ctx.coop, ctx.exercice), self.lstatus)
        self.check = chk if ok else None
        ok, goods = attempt(lambda: inv.list_goods(ctx.books, ctx.coop, ctx.exercice), self.lstatus)
        self._goods = goods if ok else []
        codes = durable_goods_codes(ctx.chart())
        self._expenses = {}
        for e in ctx.entries():
            amount = sum(p.amount for p in e.postings if p.account in codes)
            if amount > 0:
                self._expenses[e.id] = (e, amount)
        self._linked = {}
        for g in self._goods:
            if g.entry_id is not None:
                self._linked[g.entry_id] = self._linked.get(g.entry_id, 0) + g.value
        keep = self.piece.value
        options = [(NONE, None)] + [
            (f"{e.piece} · {fdate(e.date)} · {e.libelle[:28]} · {eur(amount)}", i)
            for i, (e, amount) in self._expenses.items()]
        self.piece.options = options
        self.piece.value = keep if keep in [v for _, v in options] else None
        if self.date.empty:
            self.date.value = ctx.default_day()
        if self.out_date.empty:
            self.out_date.value = ctx.default_day()
        self._draw_alert()
        self._draw()
        self.stale = False

    def _draw_alert(self) -> None:
        chk = self.check
        if chk is None:
            self.alert.value = ""
            return
        head = (f'Inventaire {esc(chk.exercice)} : biens acquis <b>{esc(eur(chk.goods_total))}</b> · compte 68 '
                f'(biens durables) : <b>{esc(eur(chk.account_total))}</b> → ')
        if chk.ok:
            self.alert.value = f'<div class="rk-info">{head}<b class="rk-good">✔ concordant</b></div>'
            return
        items = "".join(f"<li>{esc(a.message[:1].upper() + a.message[1:])}</li>" for a in chk.alerts)
        self.alert.value = (f'<div class="rk-ko">{head}<b>à vérifier</b><ul>{items}</ul></div>')

    def _draw(self) -> None:
        ex = self.ctx.exercice_obj()
        shown = [g for g in self._goods if self.show_disposed.value or not g.disposed]
        rows = []
        for g in shown:
            state = (f'<span class="rk-bad">sorti le {fdate(g.disposed_on)} ({esc(g.disposal_reason)})</span>'
                     if g.disposed else '<span class="rk-good">en service</span>')
            qty = str(g.quantity)
            if g.quantity > 1:
                qty += f" <span class='rk-help'>({esc(eur(g.unit_value))} l’unité)</span>"
            grey = ' class="rk-iout-row" style="color:#64748b"' if g.disposed else ""
            rows.append(f"<tr data-good='{g.id}'{grey}>"
                        f"<td>{esc(g.designation)}</td><td class='n'>{qty}</td><td>{fdate(g.acquired_on)}</td>"
                        f"<td class='n'>{esc(eur(g.value))}</td>"
                        f"<td>{esc(g.piece) or '<span class=rk-help>—</span>'}</td>"
                        f"<td>{esc(g.location)}</td><td>{state}</td></tr>")
        held = [g for g in self._goods if g.held_on(ex.end)]
        if rows:
            rows.append(f"<tr class='total'><td colspan='3'>Biens détenus au {fdate(ex.end)} ({len(held)})</td>"
                        f"<td class='n'>{esc(eur(sum(g.value for g in held)))}</td><td colspan='3'></td></tr>")
        else:
            rows.append("<tr><td colspan='7' class='rk-help'>Aucun bien inscrit à l’inventaire pour cet "
                        "exercice.</td></tr>")
        self.table.value = ("<table class='rk-table rk-itable'><thead><tr><th>Désignation</th><th class='n'>Qté</th>"
                            "<th>Acquis le</th><th class='n'>Valeur</th><th>Pièce</th><th>Lieu</th><th>État</th>"
                            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")
        keep = self.pick.value
        opts = [(f"{g.designation[:40]} · {fdate(g.acquired_on)} · {eur(g.value)}"
                 + (" · sorti" if g.disposed else ""), g.id) for g in self._goods]
        self.pick.options = opts
        if keep in [v for _, v in opts]:
            self.pick.value = keep

    # -- the form --------------------------------------------------------------------
    def _piece_chosen(self) -> None:
        """A 68 pièce fills what is still empty: date, designation, amount left to inscribe."""
        found = self._expenses.get(self.piece.value)
        if found is None or self.editing:
            return
        e, amount = found
        self.date.value = e.date
        if not self.designation.value.strip():
            self.designation.value = e.libelle.replace("(inventaire)", "").strip()
        left = amount - self._linked.get(e.id, 0)
        if not self.value.value.strip() and left > 0:
            self.value.value = _typed(left)

    def reset_form(self) -> None:
        self.editing = None
        self.designation.value = self.value.value = self.location.value = self.comment.value = ""
        self.quantity.value = 1
        self.piece.options = [o for o in self.piece.options if o[1] is None or o[1] in self._expenses]
        self.piece.value = None
        self.date.value = self.ctx.default_day()
        self.save.description = "Inscrire à l'inventaire"
        self.cancel.layout.display = "none"
        for e in self.errors.values():
            e.value = ""

    def _draft(self) -> GoodDraft:
        try:
            cents = parse_amount(self.value.value, "valeur")
        except ValidationError as e:
            raise ValidationError([Problem(p.message, "value") for p in e.problems]) from None
        return GoodDraft(designation=self.designation.value, acquired_on=self.date.checked("acquired_on"), value=cents,
                         entry_id=self.piece.value, location=self.location.value, quantity=int(self.quantity.value),
                         comment=self.comment.value)

    def _show(self, err: ValidationError) -> None:
        for p in err.problems:
            tgt = self.errors.get(p.field)
            if tgt is not None and not tgt.value:
                tgt.value = esc(p.message[:1].upper() + p.message[1:])

    def submit(self) -> None:
        for e in self.errors.values():
            e.value = ""
        ctx, editing = self.ctx, self.editing

        def save():
            draft = self._draft()
            if editing:
                return inv.update_good(ctx.books, editing[0], editing[1], draft)
            return inv.add_good(ctx.books, ctx.coop, draft)
        ok, g = attempt(save, self.status, self._show)
        if ok:
            ctx.changed("inventory")  # the header's and the Bilan's alerts include the register check
            self.reset_form()
            self.refresh()
            self.status.value = ok_html(f"{'Bien modifié' if editing else 'Bien inscrit à l’inventaire'} : "
                                        f"{g.designation}, {eur(g.value)}")

    # -- actions on a good -----------------------------------------------------------
    def _good(self):
        for g in self._goods:
            if g.id == self.pick.value:
                return g
        self.lstatus.value = ko_html("Choisissez d'abord un bien.")
        return None

    def _edit(self) -> None:
        g = self._good()
        if g is None:
            return
        if g.entry_id is not None and g.entry_id not in [v for _, v in self.piece.options]:
            # a good bought in another exercice: keep its pièce selectable
            self.piece.options = list(self.piece.options) + [(f"{g.piece} (exercice {g.exercice})", g.entry_id)]
        self.editing = (g.id, g.version)
        self.piece.value = g.entry_id
        self.designation.value, self.date.value, self.value.value = g.designation, g.acquired_on, _typed(g.value)
        self.location.value, self.quantity.value, self.comment.value = g.location, g.quantity, g.comment
        self.save.description = "Enregistrer la modification"
        self.cancel.layout.display = None
        self.status.value = ""

    def _after(self, message: str) -> None:
        self.ctx.changed("inventory")
        self.refresh()
        self.lstatus.value = ok_html(message)

    def _dispose(self) -> None:
        g = self._good()
        if g is None:
            return
        ok, new = attempt(lambda: inv.dispose_good(self.ctx.books, g.id, g.version, self.out_date.checked("disposed_on"),
                                                   self.out_reason.value, self.out_comment.value), self.lstatus)
        if ok:
            self.out_comment.value = ""
            self._after(f"« {new.designation} » sorti de l’inventaire le {fdate(new.disposed_on)} "
                        f"({new.disposal_reason}).")

    def _undo(self) -> None:
        g = self._good()
        if g is None:
            return
        ok, new = attempt(lambda: inv.cancel_disposal(self.ctx.books, g.id, g.version, "annulée depuis le tableau "
                                                      "de bord"), self.lstatus)
        if ok:
            self._after(f"Sortie annulée : « {new.designation} » est de nouveau en service.")

    def _ask_delete(self) -> None:
        g = self._good()
        if g is None:
            return
        yes = button("Oui, supprimer", "danger", "rk-confirm-yes")
        no = button("Annuler", cls="rk-confirm-no")

        def go(_b):
            self.confirm.children = []
            ok, _ = attempt(lambda: inv.delete_good(self.ctx.books, g.id, g.version, "saisie erronée"), self.lstatus)
            if ok:
                self._after(f"« {g.designation} » ({eur(g.value)}) supprimé de l’inventaire.")
        yes.on_click(go)
        no.on_click(lambda _b: setattr(self.confirm, "children", []))
        box = W.HBox([W.HTML(f"<b>Supprimer « {esc(g.designation)} » ({esc(eur(g.value))}) de l’inventaire ? "
                             "(pour un bien cassé, donné ou perdu, utilisez plutôt « Sortir de l’inventaire »)</b>"),
                      yes, no], layout=W.Layout(align_items="center"))
        box.add_class("rk-confirm")
        self.confirm.children = [box]

    def _export(self) -> None:
        ctx = self.ctx
        self.export_link.value = ""
        ok, text = attempt(lambda: inv.register_csv(inv.list_goods(ctx.books, ctx.coop, ctx.exercice)), self.lstatus)
        if ok:
            name = f"Inventaire_{ctx.coop}_{ctx.exercice}.csv"
            self.export_link.value = download_link(text.encode("utf-8"), name, "text/csv;charset=utf-8",
                                                   f"Télécharger {name}")
