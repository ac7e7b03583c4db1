"""Cahier: the exercice's entries with running balances, filters, sorting, paging,
pointage (one line or a whole statement session), edit and delete.

Why one HTML table per page rather than a widget per cell: 2,000 entries × 10 columns
of widgets would take seconds to build and megabytes to sync; one ``HTML`` value per page
is built in milliseconds. Actions apply to the line chosen in the "Ligne" picker.
"""
from __future__ import annotations

import ipywidgets as W

from ..domain.chart import fold
from ..domain.entry import MODES, TRANSFER
from ..domain.errors import ValidationError
from ..domain.exercice import STATE_LABELS
from ..domain.statement import book_pointed_balance
from ..domain.money import format_eur, parse_amount
from .common import (
    Context,
    Section,
    attempt,
    button,
    esc,
    eur,
    fdate,
    ko_html,
    month_options,
    name_input,
    ok_html,
    status_line,
)
from .datefield import DateField
from .statement import StatementImport

PAGE_SIZE = 50
SORTS = [("Date, récentes d'abord", "date_desc"), ("Date, anciennes d'abord", "date_asc"),
         ("Pièce", "piece"), ("Montant décroissant", "amount")]


def filter_lines(lines, *, month: str = "", account: str = "", mode: str = "", unpointed: bool = False,
                 text: str = ""):
    needle = fold(text.strip()) if text else ""
    out = []
    for ln in lines:
        e = ln.entry
        if month and e.date.strftime("%Y-%m") != month:
            continue
        if account and not any(p.account == account for p in e.postings):
            continue
        if mode and e.mode != mode:
            continue
        if unpointed and (not e.bank or e.pointed):
            continue
        if needle and needle not in fold(f"{e.piece} {e.libelle} {e.tiers} {e.cheque}"):
            continue
        out.append(ln)
    return out


def sort_lines(lines, how: str):
    from ..domain.numbering import sort_key
    if how == "date_desc":
        return list(reversed(lines))
    if how == "piece":
        return sorted(lines, key=lambda ln: sort_key(ln.entry.piece))
    if how == "amount":
        return sorted(lines, key=lambda ln: -ln.entry.amount)
    return list(lines)


def _money_cell(cents: int, cls: str) -> str:
    if not cents:
        return '<td class="n"></td>'
    neg = " neg" if cents < 0 else ""
    return f'<td class="n {cls}{neg}">{esc(eur(cents, signed=True))}</td>'


def deleted_html(deleted) -> str:
    """The deleted pièces, struck through: their numbers stay used, the paper archive keeps
    its gap explained (« pièce 042 supprimée le 07/12/2026 par mme.roy (doublon) »)."""
    if not deleted:
        return ""
    rows = "".join(
        f'<tr class="rk-deleted" data-piece="{esc(d.piece)}"><td>{fdate(d.entry_date)}</td>'
        f"<td><s>{esc(d.piece)}</s></td><td colspan='8'><s>{esc(d.libelle)} · {esc(eur(d.amount))}</s> — "
        f"{esc(d.describe()[:1].upper() + d.describe()[1:])}</td></tr>" for d in deleted)
    return ('<div class="rk-title" style="margin-top:8px">Pièces supprimées</div>'
            '<table class="rk-table rk-deleted-table"><thead><tr><th>Date</th><th>Pièce</th>'
            f'<th colspan="8">Ce qui a été supprimé, quand, par qui</th></tr></thead><tbody>{rows}</tbody></table>')


def cahier_html(lines, alerts_by_entry: dict[int, list[str]]) -> str:
    """The visible page as one table. Every anomaly is written out under its line."""
    rows = []
    for ln in lines:
        e = ln.entry
        why = alerts_by_entry.get(e.id) or []
        vent = " · ".join(f"{a} {format_eur(c)}" for a, c, _ in e.ventilation_for_display()) \
            if e.kind != TRANSFER else "virement interne"
        mode = esc(e.mode) + (f"<br><span class='tiers'>n° {esc(e.cheque)}</span>" if e.cheque else "")
        if e.bank:
            pt = "✔ pointée" if e.pointed else "à pointer"
        else:
            pt = ""
        tiers = f"<br><span class='tiers'>{esc(e.tiers)}</span>" if e.tiers else ""
        flag = " ⚠" if why else ""
        rows.append(
            f'<tr class="{"warn" if why else ""}" data-piece="{esc(e.piece)}">'
            f"<td>{fdate(e.date)}</td><td><b>{esc(e.piece)}</b>{flag}</td>"
            f"<td>{esc(e.libelle)}{tiers}</td><td>{mode}</td><td class='vent'>{esc(vent)}</td>"
            f"{_money_cell(e.bank, 'bank')}<td class='n bank'>{esc(eur(ln.bank_balance))}</td>"
            f"{_money_cell(e.cash, 'cash')}<td class='n cash'>{esc(eur(ln.cash_balance))}</td>"
            f"<td>{pt}</td></tr>")
        for msg in why:
            rows.append(f'<tr class="why"><td></td><td colspan="9">⚠ {esc(msg[:1].upper() + msg[1:])}</td></tr>')
    if not rows:
        rows.append('<tr><td colspan="10" class="rk-help">Aucune écriture ne correspond à ces filtres.</td></tr>')
    head = ("<tr><th>Date</th><th>Pièce</th><th>Libellé / tiers</th><th>Mode</th><th>Ventilation</th>"
            "<th class='n'>Banque</th><th class='n'>Solde banque</th><th class='n'>Caisse</th>"
            "<th class='n'>Solde caisse</th><th>Pointage</th></tr>")
    return f'<div class="rk-scroll" tabindex="0" role="region" aria-label="Cahier"><table class="rk-table rk-cahier"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table></div>'


class PointageSession:
    """Type the statement's date and balance, tick lines, watch the difference reach zero."""

    def __init__(self, ctx: Context, on_done):
        self.ctx = ctx
        self.on_done = on_done
        self.date = DateField("rk-pdate")
        name_input(self.date.box, "Date du relevé")
        self.balance = W.Text(placeholder="solde du relevé", layout=W.Layout(width="150px"))
        self.balance.add_class("rk-pbalance")
        name_input(self.balance, "Solde du relevé")
        self.list = W.VBox(layout=W.Layout(max_height="260px", overflow_y="auto"))
        self.summary = W.HTML()
        self.summary.add_class("rk-psummary")
        self.valider = button("Pointer les lignes cochées", "primary", "rk-pvalider", icon="check")
        self.status = status_line("rk-pstatus")
        self.checks: list[tuple[W.Checkbox, object]] = []
        self.date.observe(lambda _c: self.reload(), "value")
        self.balance.observe(lambda _c: self.update(), "value")
        self.valider.on_click(lambda _b: self.submit())
        self.box = W.VBox([
            W.HTML('<div class="rk-title">Session de pointage</div><div class="rk-help">Saisissez la date et '
                   'le solde de votre relevé bancaire, puis cochez les lignes qui y figurent : la différence '
                   'restante doit arriver à 0,00 €.</div>'),
            W.HBox([W.VBox([W.HTML('<div class="rk-lbl">Date du relevé</div>'), self.date.box]),
                    W.VBox([W.HTML('<div class="rk-lbl">Solde du relevé (€)</div>'), self.balance]),
                    self.summary], layout=W.Layout(align_items="flex-end")),
            self.list, self.valider, self.status])
        self.box.add_class("rk-card")
        self.box.add_class("rk-pointage")

    def open(self) -> None:
        if self.date.empty:
            self.date.value = self.ctx.default_day()
        self.reload()

    def reload(self) -> None:
        """This exercice's unpointed bank lines up to the statement's date, then the earlier
        years' lines the bank had not paid when it opened (``Books.carried_lines``: a cheque of
        August cashed in October is ticked here, on the October statement), each with its
        year. A carried line whose exercice is submitted or closed can only be pointed on a
        statement dated after that exercice's end (``services.pointage``): on an earlier date
        its box is shown disabled, with why."""
        until = self.date.value
        ticked = {e.id for cb, e in self.checks if cb.value}  # a live refresh keeps what was ticked
        cks = []
        rows: list[W.Widget] = []
        for ln in self.ctx.cahier():
            e = ln.entry
            if e.bank and not e.pointed and (until is None or e.date <= until):
                cb = W.Checkbox(value=e.id in ticked, indent=False, layout=W.Layout(width="auto"),
                                description=f"{e.piece} · {fdate(e.date)} · {e.libelle[:50]} · "
                                            f"{eur(e.bank, signed=True)}")
                cb.add_class("rk-pcheck")
                cb.observe(lambda _c: self.update(), "value")
                cks.append((cb, e))
                rows.append(cb)
        waiting = [x for x in self.ctx.carried() if not x.pointed and (until is None or x.date <= until)]
        if waiting:
            years = {x.name: x for x in self.ctx.books.exercices(self.ctx.coop)}
            rows.append(W.HTML('<div class="rk-lbl rk-pcarried-title" style="margin-top:6px">Lignes des exercices '
                               'précédents pas encore passées en banque (déjà au cahier de leur exercice : '
                               'à pointer ici, jamais à saisir à nouveau)</div>'))
        for x in waiting:
            own = years.get(x.exercice)
            locked = own is not None and not own.writable and until is not None and until <= own.end
            cb = W.Checkbox(value=False, indent=False, layout=W.Layout(width="auto"), disabled=locked,
                            description=f"{x.piece} · {fdate(x.date)} · {x.libelle[:50]} · "
                                        f"{eur(x.bank, signed=True)} · exercice {x.exercice}")
            cb.add_class("rk-pcheck")
            cb.add_class("rk-pcarried")
            cb.observe(lambda _c: self.update(), "value")
            rows.append(cb)
            if locked:
                why = W.HTML(f'<div class="rk-help" style="margin-left:24px">L’exercice {esc(own.name)} est '
                             f'{esc(STATE_LABELS[own.state])} : la pièce {esc(x.piece)} ne peut y être pointée que '
                             f'sur un relevé daté après le {fdate(own.end)}.</div>')
                why.add_class("rk-plocked")
                rows.append(why)
            else:
                cks.append((cb, x))
        self.checks = cks
        self.list.children = rows or [W.HTML('<div class="rk-help">Toutes les lignes en '
                                             'banque jusqu’à cette date sont pointées.</div>')]
        self.update()

    def _already(self) -> int:
        """The bank's balance on the statement's day according to the book: the opening
        balance, less the earlier years' lines not yet in the bank, plus this year's lines
        pointed on a statement of that day or before (``domain.statement.book_pointed_balance``)."""
        ex = self.ctx.exercice_obj()
        until = self.date.value
        if until is None:
            return ex.opening_bank + sum(ln.entry.bank for ln in self.ctx.cahier() if ln.entry.pointed) - sum(
                x.bank for x in self.ctx.carried() if not x.pointed)
        return book_pointed_balance(ex.opening_bank, self.ctx.entries(), until, carried=self.ctx.carried())

    def update(self) -> None:
        ticked = sum(e.bank for cb, e in self.checks if cb.value)
        n = sum(1 for cb, _ in self.checks if cb.value)
        base = self._already()
        parts = [f"Déjà pointé : <b>{esc(eur(base))}</b>",
                 f"Coché : <b>{esc(eur(ticked, signed=True))}</b> ({n} ligne{'s' if n > 1 else ''})"]
        try:
            stmt = parse_amount(self.balance.value, "solde du relevé", allow_empty=True, allow_zero=True,
                                allow_negative=True) if self.balance.value.strip() else None
        except ValidationError as e:
            self.summary.value = ko_html(e.problems[0].message)
            return
        if stmt is not None:
            diff = stmt - (base + ticked)
            cls = "rk-good" if diff == 0 else "rk-bad"
            parts.append(f'Différence restante : <b class="{cls} rk-pdiff">{esc(eur(diff))}</b>'
                         + (" ✔ relevé rapproché" if diff == 0 else ""))
        self.summary.value = '<div class="rk-info">' + " &nbsp;·&nbsp; ".join(parts) + "</div>"

    def submit(self) -> None:
        ids = [e.id for cb, e in self.checks if cb.value]
        if not ids:
            self.status.value = ko_html("Cochez au moins une ligne du relevé.")
            return
        ok, n = attempt(lambda: self.ctx.books.point(ids, self.date.parse("date")), self.status)
        if ok:
            self.ctx.changed("entries")
            self.reload()
            self.status.value = ok_html(f"{n} ligne{'s' if n > 1 else ''} pointée{'s' if n > 1 else ''} "
                                        f"sur le relevé du {fdate(self.date.value)}")
            self.on_done()


class CahierSection(Section):
    title = "Cahier"

    def __init__(self, ctx: Context, on_edit=None):
        super().__init__(ctx)
        self.on_edit = on_edit
        self.page = 0
        self.month = W.Dropdown(layout=W.Layout(width="160px"))
        self.account = W.Dropdown(layout=W.Layout(width="260px"))
        self.mode = W.Dropdown(options=[("Tous les modes", "")] + [(m, m) for m in MODES],
                               layout=W.Layout(width="140px"))
        self.unpointed = W.Checkbox(description="non pointées", indent=False, layout=W.Layout(width="120px"))
        self.text = W.Text(placeholder="rechercher (libellé, tiers, pièce)", layout=W.Layout(width="230px"))
        self.text.add_class("rk-csearch")
        self.sort = W.Dropdown(options=SORTS, value="date_desc", layout=W.Layout(width="210px"))
        for w_, label in ((self.month, "Mois"), (self.account, "Compte"), (self.mode, "Mode"),
                          (self.text, "Rechercher"), (self.sort, "Trier par")):
            name_input(w_, label)
        for w_ in (self.month, self.account, self.mode, self.unpointed, self.text, self.sort):
            w_.observe(lambda _c: self._filters_changed(), "value")
        self.prev = button("◀ Précédente", cls="rk-prev")
        self.next = button("Suivante ▶", cls="rk-next")
        self.pageinfo = W.HTML()
        self.prev.on_click(lambda _b: self._goto(self.page - 1))
        self.next.on_click(lambda _b: self._goto(self.page + 1))
        self.table = W.HTML()
        self.table.add_class("rk-cahier-html")
        self.pick = W.Dropdown(layout=W.Layout(width="420px"))
        self.pick.add_class("rk-cpick")
        name_input(self.pick, "Ligne du cahier")
        self.edit_btn = button("Modifier", cls="rk-cedit", icon="pencil")
        self.del_btn = button("Supprimer", "danger", "rk-cdelete", icon="trash")
        self.point_btn = button("Pointer / dépointer", cls="rk-cpoint", icon="check-square")
        self.session_btn = W.ToggleButton(description="Session de pointage", icon="university",
                                          layout=W.Layout(width="auto"))
        self.session_btn.add_class("rk-psession")
        self.edit_btn.on_click(lambda _b: self._edit())
        self.del_btn.on_click(lambda _b: self._ask_delete())
        self.point_btn.on_click(lambda _b: self._ask_point())
        self.session = PointageSession(ctx, self.refresh)
        self.session_btn.observe(self._toggle_session, "value")
        # Bank statement import (widgets/statement.py): proposes the pointage from the bank's CSV.
        self.statement_btn = W.ToggleButton(description="Relevé bancaire", icon="file-text",
                                         tooltip="Importer un relevé bancaire (CSV)", layout=W.Layout(width="auto"))
        self.statement_btn.add_class("rk-rtoggle")
        self.statement = StatementImport(ctx, self.refresh)
        self.statement_box = W.VBox()
        self.statement_btn.observe(self._toggle_statement, "value")
        # Starting mid-year from a spreadsheet cahier (widgets/takeover.py).
        self.reprise_btn = W.ToggleButton(description="Reprendre un cahier tableur", icon="table",
                                          tooltip="Importer le cahier tenu jusqu'ici dans Excel ou LibreOffice",
                                          layout=W.Layout(width="auto"))
        self.reprise_btn.add_class("rk-mtoggle")
        from .takeover import TakeoverImport
        self.reprise = TakeoverImport(ctx, self.refresh)
        self.reprise_btn.observe(self._toggle_reprise, "value")
        self.confirm = W.HBox()
        self.status = status_line("rk-cstatus")
        self.session_box = W.VBox()
        self._filtered = []
        self.root = W.VBox([
            W.HBox([self.month, self.account, self.mode, self.unpointed, self.text, self.sort]),
            self.session_box, self.statement_box,
            W.HBox([W.HTML('<div class="rk-lbl" style="margin:6px 6px 0 0">Ligne</div>'), self.pick,
                    self.edit_btn, self.del_btn, self.point_btn, self.session_btn, self.statement_btn,
                    self.reprise_btn]),
            self.confirm, self.status, self.table,
            W.HBox([self.prev, self.pageinfo, self.next], layout=W.Layout(align_items="center"))])

    # -- data --------------------------------------------------------------------------
    def _alerts(self) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for a in self.ctx.crf().alerts:
            if a.entry_id is not None:
                out.setdefault(a.entry_id, []).append(a.message)
        return out

    def refresh(self) -> None:
        ex = self.ctx.exercice_obj()
        self._quiet = True
        months = month_options(ex)
        if list(self.month.options) != months:
            keep = self.month.value if self.month.value in [v for _, v in months] else ""
            self.month.options = months
            self.month.value = keep
        chart = self.ctx.chart()
        used = sorted({p.account for e in self.ctx.entries() for p in e.postings})
        accs = [("Tous les comptes", "")] + [(f"{c} {chart.get(c).libelle[:32] if chart.get(c) else ''}", c)
                                             for c in used]
        if list(self.account.options) != accs:
            keep = self.account.value if self.account.value in used else ""
            self.account.options = accs
            self.account.value = keep
        self._quiet = False
        self.render()
        if self.session_btn.value:
            self.session.reload()
        if self.statement_btn.value:
            self.statement.refresh()
        self.stale = False

    def _filters_changed(self) -> None:
        if getattr(self, "_quiet", False):
            return
        self.page = 0
        self.render()

    def _goto(self, page: int) -> None:
        self.page = page
        self.render()

    def render(self) -> None:
        lines = filter_lines(self.ctx.cahier(), month=self.month.value or "", account=self.account.value or "",
                             mode=self.mode.value or "", unpointed=self.unpointed.value, text=self.text.value)
        lines = sort_lines(lines, self.sort.value)
        self._filtered = lines
        pages = max(1, (len(lines) + PAGE_SIZE - 1) // PAGE_SIZE)
        self.page = min(max(self.page, 0), pages - 1)
        visible = lines[self.page * PAGE_SIZE:(self.page + 1) * PAGE_SIZE]
        self.table.value = cahier_html(visible, self._alerts()) + deleted_html(self.ctx.deleted_pieces())
        total = len(self.ctx.cahier())
        self.pageinfo.value = (f'<span class="rk-help" style="margin:0 10px">Page {self.page + 1} / {pages} · '
                               f'{len(lines)} écriture{"s" if len(lines) > 1 else ""}'
                               + (f" sur {total}" if len(lines) != total else "") + "</span>")
        self.prev.disabled = self.page == 0
        self.next.disabled = self.page >= pages - 1
        opts = [(f"{ln.entry.piece} · {fdate(ln.entry.date)} · {ln.entry.libelle[:40]} · "
                 f"{eur(ln.entry.amount)}", ln.entry.id) for ln in visible]
        self.pick.options = opts
        self.pick.value = opts[0][1] if opts else None

    # -- actions -----------------------------------------------------------------------
    def _selected(self):
        e = self.ctx.entry_by_id(self.pick.value) if self.pick.value is not None else None
        if e is None:
            self.status.value = ko_html("Choisissez d'abord une ligne.")
        return e

    def _edit(self) -> None:
        e = self._selected()
        if e is not None and self.on_edit:
            self.on_edit(e)

    def _confirm(self, question: str, label: str, action, style: str = "warning", extra=None) -> None:
        yes = button(label, style, "rk-confirm-yes")
        no = button("Annuler", cls="rk-confirm-no")
        no.on_click(lambda _b: setattr(self.confirm, "children", []))

        def go(_b):
            self.confirm.children = []
            action()
        yes.on_click(go)
        kids = [W.HTML(f"<b>{esc(question)}</b>")] + ([extra] if extra else []) + [yes, no]
        self.confirm.children = [W.HBox(kids, layout=W.Layout(align_items="center"))]
        self.confirm.children[0].add_class("rk-confirm")

    def _ask_delete(self) -> None:
        e = self._selected()
        if e is None:
            return
        reason = W.Text(placeholder="raison (facultatif, gardée dans l'historique)", layout=W.Layout(width="300px"))
        reason.add_class("rk-delreason")

        def do():
            ok, _ = attempt(lambda: self.ctx.books.delete_entry(e.id, e.version, reason.value.strip()), self.status)
            if ok:
                self.ctx.changed("entries")
                self.status.value = ok_html(f"Pièce {e.piece} supprimée (la suppression est tracée dans l'historique).")
        question = f"Supprimer la pièce {e.piece} « {e.libelle} » ({format_eur(e.amount)}) ?"
        touches = self._links_of(e)
        if touches:
            question += " Elle " + " ; ".join(touches) + "."
        self._confirm(question, "Oui, supprimer", do, "danger", reason)

    def _links_of(self, e) -> list[str]:
        """What deleting ``e`` touches, said before the teacher confirms."""
        out = []
        if e.pointed:
            when = f" du {fdate(e.statement_date)}" if e.statement_date else ""
            out.append(f"est pointée sur le relevé{when}")
        files = self.ctx.books.attachments(self.ctx.coop, self.ctx.exercice).get(e.id, [])
        if files:
            out.append(f"a {len(files)} pièce{'s' if len(files) > 1 else ''} justificative"
                       f"{'s' if len(files) > 1 else ''} (gardée{'s' if len(files) > 1 else ''} dans l'historique)")
        for sub in self.ctx.subsidies():
            if sub.entry_piece and sub.entry_piece == e.piece:
                out.append(f"est liée à la subvention « {sub.grantor} — {sub.object} » (le lien sera retiré)")
        goods = [g for g in self.ctx.snapshot().goods if g.entry_id == e.id]
        if goods:  # the register keeps them (the good exists), without their pièce
            names = ", ".join(f"« {g.designation} »" for g in goods)
            out.append(f"est la pièce de {len(goods)} bien{'s' if len(goods) > 1 else ''} de l'inventaire "
                       f"({names}) : {'ils resteront inscrits' if len(goods) > 1 else 'il restera inscrit'}, sans pièce")
        return out

    def _ask_point(self) -> None:
        e = self._selected()
        if e is None:
            return
        if not e.bank:
            self.status.value = ko_html(f"La pièce {e.piece} ne passe pas par la banque : il n'y a rien à pointer.")
            return
        new = not e.pointed

        def do():
            ok, _ = attempt(lambda: self.ctx.books.point([e.id], None, pointed=new), self.status)
            if ok:
                self.ctx.changed("entries")
                self.status.value = ok_html(f"Pièce {e.piece} {'pointée' if new else 'dépointée'}.")
        q = (f"Pointer la pièce {e.piece} ({eur(e.bank, signed=True)}) : elle figure sur le relevé ?" if new
             else f"Dépointer la pièce {e.piece} ({eur(e.bank, signed=True)}) ?")
        self._confirm(q, "Oui, pointer" if new else "Oui, dépointer", do)

    def _toggle_session(self, change) -> None:
        if change["new"]:
            self.session.open()
            self.session_box.children = [self.session.box]
        else:
            self.session_box.children = []

    def _toggle_reprise(self, change) -> None:
        if change["new"]:
            self.statement_btn.value = False  # one import panel at a time
            self.statement_box.children = [self.reprise.box]
        elif self.statement_box.children and self.statement_box.children[0] is self.reprise.box:
            self.statement_box.children = []

    def _toggle_statement(self, change) -> None:
        if change["new"]:
            self.reprise_btn.value = False  # one import panel at a time
            self.statement.refresh()
            self.statement_box.children = [self.statement.box]
        elif self.statement_box.children and self.statement_box.children[0] is self.statement.box:
            self.statement_box.children = []
