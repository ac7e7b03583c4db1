"""Saisie: the entry form (and the short transfer form).

Why it works the way it does:
* the pièce is pre-filled with ``Books.suggest_piece`` for the person to see, but if they
  leave it untouched the draft is sent with an EMPTY pièce, so ``Books.record_entry``
  allocates the number inside its write transaction: two tabs saving at once never get
  the same number; the confirmation shows the number really given;
* every problem is shown beside its field (``Problem.field``) and nothing is saved;
* account pickers only offer produits for a receipt and charges for an expense;
* "reste à ventiler" is recomputed on every keystroke and turns green at zero.
"""
from __future__ import annotations

import warnings

import ipywidgets as W

from ..domain.chart import fold
from ..domain.entry import EXPENSE, MODES, RECEIPT, EntryDraft, VentilationLine
from ..domain.errors import Problem, ValidationError
from ..domain.money import format_eur, format_plain, parse_amount
from .common import Context, Section, attempt, button, err_label, esc, field, ok_html, status_line
from .datefield import DateField

# Problem.field → the error line shown beside that field.
FIELD_OF = {"piece": "piece", "date": "date", "libelle": "libelle", "tiers": "tiers", "mode": "mode",
            "cheque": "cheque", "bank_in": "montant", "bank_out": "montant", "cash_in": "montant",
            "cash_out": "montant", "montant": "montant", "ventilation": "ventilation",
            "pointage": "pointage", "motif": "motif"}


class ReasonField:
    """« Motif de la correction »: shown only to someone who must say why they change a
    coop's books (the AD, a formateur: ``Actor.must_give_reason``, the one rule the
    guard enforces); what is typed is kept when a save is refused, emptied after a save."""

    def __init__(self, ctx: Context, err: W.HTML | None = None):
        self.ctx = ctx
        self.text = W.Text(placeholder="ex. montant corrigé avec la mandataire (pièce justificative vérifiée)",
                           layout=W.Layout(width="100%"))
        self.text.add_class("rk-motif")
        self.box = field("Motif de la correction", self.text, "640px", err)
        self.box.add_class("rk-motif-box")
        self.asked = ctx.books.actor.must_give_reason
        self.box.layout.display = None if self.asked else "none"

    def books(self):
        """The books to save with: carrying the reason when one is asked."""
        return self.ctx.books.because(self.text.value.strip() or self.ctx.reason) if self.asked else self.ctx.books

    def saved(self) -> None:
        self.text.value = ""


def _on_enter(widget: W.Text, callback) -> None:
    """Enter in a text field validates the form (ipywidgets' 'submit' message)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        widget.on_submit(lambda _w: callback())


def account_code(value: str) -> str:
    """'6281 — Cotisation OCCE' → '6281' (what the picker shows → what the books want)."""
    return (value or "").strip().split(" ", 1)[0]


class VentRow:
    def __init__(self, form: "EntryForm"):
        self.form = form
        self.account = W.Combobox(placeholder="compte : code ou mot (ex. 6281, cotisation)",
                                  ensure_option=False, layout=W.Layout(width="430px"))
        self.account.add_class("rk-vaccount")
        self.amount = W.Text(placeholder="0,00", layout=W.Layout(width="120px"))
        self.amount.add_class("rk-vamount")
        self.action = W.Text(placeholder="action / projet (facultatif)", layout=W.Layout(width="220px"))
        self.remove = W.Button(description="Retirer", icon="times", tooltip="retirer cette ligne",
                               layout=W.Layout(width="auto"))
        self.remove.add_class("rk-vremove")
        self.box = W.HBox([self.account, self.amount, self.action, self.remove])
        self.box.add_class("rk-vrow")
        self.amount.observe(lambda _c: form.update_reste(), "value")
        self.remove.on_click(lambda _b: form.remove_row(self))
        _on_enter(self.amount, form.submit)
        _on_enter(self.action, form.submit)


class EntryForm:
    """The entry form; ``submit()`` is what "Valider" and Enter do."""

    def __init__(self, ctx: Context, on_saved=None):
        self.ctx = ctx
        self.on_saved = on_saved
        self.editing = None  # (entry_id, version, piece) while modifying an entry
        self._saving = False
        self._after_save: tuple | None = None  # the form as it stood right after the last save
        self._suggested = ""
        self._template = None
        self.errors = {k: err_label() for k in set(FIELD_OF.values())}

        self.heading = W.HTML()
        self.piece = W.Text(layout=W.Layout(width="110px"))
        self.piece.add_class("rk-piece")
        self.date = DateField("rk-date")
        self.libelle = W.Combobox(placeholder="ex. Facture OCCE, Photos de classe…", ensure_option=False,
                                  layout=W.Layout(width="100%"))
        self.libelle.add_class("rk-libelle")
        self.tiers = W.Combobox(placeholder="fournisseur, famille, mairie…", ensure_option=False,
                                layout=W.Layout(width="100%"))
        self.tiers.add_class("rk-tiers")
        self.sens = W.ToggleButtons(options=[("Dépense", EXPENSE), ("Recette", RECEIPT)], value=EXPENSE,
                                    style={"button_width": "92px"})
        self.sens.add_class("rk-sens")
        self.treso = W.ToggleButtons(options=[("Banque", "banque"), ("Caisse", "caisse")], value="banque",
                                     style={"button_width": "86px"},
                                     tooltips=["compte bancaire (512)", "caisse en espèces (530)"])
        self.treso.add_class("rk-treso")
        self.amount = W.Text(placeholder="0,00", layout=W.Layout(width="120px"))
        self.amount.add_class("rk-amount")
        self.mode = W.Dropdown(options=[("—", "")] + [(m, m) for m in MODES], value="",
                               layout=W.Layout(width="130px"))
        self.mode.add_class("rk-mode")
        self.cheque = W.Text(placeholder="n°", layout=W.Layout(width="100px"))
        self.cheque.add_class("rk-cheque")
        self.pointed = W.Checkbox(description="pointée sur le relevé", indent=False,
                                  layout=W.Layout(width="170px"))
        self.rows_box = W.VBox()
        self.rows: list[VentRow] = []
        self.add_row_btn = button("Ajouter une ligne", icon="plus", cls="rk-addrow")
        self.reste = W.HTML()
        self.reste.add_class("rk-reste-box")
        self.template_box = W.HBox()
        self.valider = button("Valider", "primary", "rk-valider", icon="check", width="140px")
        self.nouvelle = button("Nouvelle écriture", cls="rk-nouvelle", icon="file")
        self.status = status_line("rk-status", "rk-saisie-status")
        self.reason = ReasonField(ctx, self.errors["motif"])

        for t in (self.piece, self.libelle, self.tiers, self.amount, self.cheque):
            _on_enter(t, self.submit)
        self.date.on_submit(self.submit)
        self.amount.observe(lambda _c: self.update_reste(), "value")
        self.sens.observe(self._sens_changed, "value")
        self.treso.observe(self._treso_changed, "value")
        self.mode.observe(self._mode_changed, "value")
        self.libelle.observe(self._libelle_changed, "value")
        self.add_row_btn.on_click(lambda _b: self.add_row())
        self.valider.on_click(lambda _b: self.submit())
        self.nouvelle.on_click(lambda _b: self.reset())

        e = self.errors
        line1 = W.HBox([field("Pièce", self.piece, "120px", e["piece"]),
                        field("Date", self.date.box, "175px", e["date"]),
                        field("Libellé", self.libelle, "430px", e["libelle"]),
                        field("Tiers", self.tiers, "300px", e["tiers"])])
        line2 = W.HBox([field("Sens", self.sens, "200px"),
                        field("Trésorerie", self.treso, "190px"),
                        field("Montant (€)", self.amount, "130px", e["montant"]),
                        field("Mode", self.mode, "140px", e["mode"]),
                        field("N° de chèque", self.cheque, "110px", e["cheque"]),
                        field("Pointage", self.pointed, "180px", e["pointage"])])
        vent_head = W.HTML('<div class="rk-lbl">Ventilation — répartissez le montant sur un ou '
                           'plusieurs comptes</div>')
        self.box = W.VBox([
            self.heading, line1, line2, vent_head, self.template_box, self.rows_box,
            W.HBox([self.add_row_btn, self.reste], layout=W.Layout(align_items="center")),
            e["ventilation"], self.reason.box,
            W.HBox([self.valider, self.nouvelle], layout=W.Layout(margin="6px 0 0 0")),
            self.status])
        self.box.add_class("rk-card")
        self.box.add_class("rk-entry-form")
        self._init_underneath()  # live: « modifiée par ad76 pendant que vous la corrigiez » (widgets/live.py)
        self.reset()

    # -- state helpers -----------------------------------------------------------------
    def _accounts(self) -> list[str]:
        classe = "produit" if self.sens.value == RECEIPT else "charge"
        return [f"{a.code} — {a.libelle}" for a in self.ctx.chart().of_class(classe)]

    def add_row(self, account: str = "", amount: str = "", action: str = "") -> VentRow:
        r = VentRow(self)
        r.account.options = self._accounts()
        r.account.value = account
        r.amount.value = amount
        r.action.value = action
        self.rows.append(r)
        self.rows_box.children = [x.box for x in self.rows]
        self.update_reste()
        return r

    def remove_row(self, row: VentRow) -> None:
        if row in self.rows:
            self.rows.remove(row)
            if not self.rows:
                self.rows.append(VentRow(self))
                self.rows[0].account.options = self._accounts()
            self.rows_box.children = [x.box for x in self.rows]
            self.update_reste()

    def _kind(self) -> str:
        return self.sens.value

    def _refresh_suggestions(self) -> None:
        entries = self.ctx.entries()
        self.libelle.options = sorted({e.libelle for e in entries}, key=fold)[:500]
        self.tiers.options = sorted({e.tiers for e in entries if e.tiers}, key=fold)[:500]

    def reset(self, keep_status: bool = False, reload: bool = True) -> None:
        """"Nouvelle écriture": an empty form with a fresh pièce number (``reload=False``:
        the caller refreshes lists and number after telling the others about the change)."""
        self.editing = None
        self._template = None
        self.heading.value = '<div class="rk-title">Nouvelle écriture</div>'
        self.sens.value = EXPENSE
        self.treso.value = "banque"
        self.mode.value = ""
        self.cheque.value = ""
        self.libelle.value = ""
        self.tiers.value = ""
        self.amount.value = ""
        self.pointed.value = False
        self.date.value = self.ctx.default_day()
        self.rows = []
        self.add_row()
        self.template_box.children = []
        self._clear_errors()
        self._clear_underneath()
        if not keep_status:
            self.status.value = ""
        if reload:
            self._refresh_suggestions()
            self._suggest_piece(force=True)
        else:
            self._suggested = self.piece.value = ""

    def _suggest_piece(self, force: bool = False) -> None:
        if self.editing:
            return
        if force or self.piece.value.strip() in ("", self._suggested):
            try:
                self._suggested = self.ctx.books.suggest_piece(self.ctx.coop, self.ctx.exercice, self._kind())
            except Exception:  # noqa: BLE001 - no suggestion: the books allocate one anyway
                self._suggested = ""
            self.piece.value = self._suggested

    def _clear_errors(self) -> None:
        for e in self.errors.values():
            e.value = ""

    def show_problems(self, err: ValidationError) -> None:
        self._clear_errors()
        for p in err.problems:
            target = self.errors.get(FIELD_OF.get(p.field, "ventilation"), self.errors["ventilation"])
            msg = esc(p.message[:1].upper() + p.message[1:])
            target.value = (target.value + "<br>" if target.value else "") + msg

    # -- live behaviour ----------------------------------------------------------------
    def _sens_changed(self, _c) -> None:
        opts = self._accounts()
        for r in self.rows:
            r.account.options = opts
        self._suggest_piece()

    def _treso_changed(self, change) -> None:
        if change["new"] == "caisse":
            if self.mode.value in ("", "chèque", "virement", "carte", "prélèvement"):
                self.mode.value = "espèces"
            self.pointed.value = False
        elif self.mode.value == "espèces":
            self.mode.value = ""

    def _mode_changed(self, change) -> None:
        if change["new"] == "chèque":
            if self.treso.value == "caisse":
                self.treso.value = "banque"
            if not self.cheque.value.strip() and self.sens.value == EXPENSE:
                try:
                    self.cheque.value = self.ctx.books.suggest_cheque(self.ctx.coop)
                except Exception:  # noqa: BLE001
                    pass
        else:
            if change["old"] == "chèque" and not self.editing:
                self.cheque.value = ""
            if change["new"] == "espèces":
                self.treso.value = "caisse"

    def update_reste(self) -> None:
        try:
            total = parse_amount(self.amount.value, allow_empty=True)
        except ValidationError:
            self.reste.value = '<span class="rk-reste todo">Montant illisible</span>'
            return
        used = 0
        for r in self.rows:
            try:
                used += parse_amount(r.amount.value, allow_empty=True)
            except ValidationError:
                self.reste.value = '<span class="rk-reste todo">Un montant de ventilation est illisible</span>'
                return
        rest = total - used
        if total == 0 and used == 0:
            self.reste.value = '<span class="rk-reste todo">Reste à ventiler : 0,00 €</span>'
        elif rest == 0:
            self.reste.value = '<span class="rk-reste zero">✔ Reste à ventiler : 0,00 €</span>'
        elif rest > 0:
            self.reste.value = f'<span class="rk-reste todo">Reste à ventiler : {esc(format_eur(rest))}</span>'
        else:
            self.reste.value = (f'<span class="rk-reste over">Ventilé en trop : '
                                f'{esc(format_eur(-rest))}</span>')

    def _libelle_changed(self, change) -> None:
        if self.editing:
            return
        wanted = fold((change["new"] or "").strip())
        self.template_box.children = []
        self._template = None
        if not wanted:
            return
        for e in reversed(self.ctx.entries()):
            if fold(e.libelle) == wanted and e.ventilation:
                self._template = e
                break
        if self._template is None:
            return
        e = self._template
        split = " · ".join(f"{a} {format_eur(c)}" for a, c, _ in e.ventilation_for_display())
        b = button(f"Reprendre la ventilation de la dernière fois (pièce {e.piece} : {split})",
                   cls="rk-template", icon="copy")
        b.layout.max_width = "1000px"
        b.on_click(lambda _b: self.apply_template())
        self.template_box.children = [b]

    def apply_template(self) -> None:
        e = self._template
        if e is None:
            return
        self.sens.value = e.kind if e.kind in (RECEIPT, EXPENSE) else EXPENSE
        self.treso.value = "caisse" if e.cash and not e.bank else "banque"
        if e.tiers and not self.tiers.value:
            self.tiers.value = e.tiers
        if e.mode:
            self.mode.value = e.mode
        if not self.amount.value.strip():
            self.amount.value = _plain(e.amount)
        chart = self.ctx.chart()
        self.rows = []
        for acc, cents, action in e.ventilation_for_display():
            a = chart.get(acc)
            self.add_row(f"{a.code} — {a.libelle}" if a else acc,
                         _plain(cents), action)
        self.template_box.children = []
        self.update_reste()

    # -- load an existing entry (edit) -------------------------------------------------
    def load(self, entry) -> None:
        self.reset()
        self.editing = (entry.id, entry.version, entry.piece)
        self.heading.value = (f'<div class="rk-title">Modification de la pièce {esc(entry.piece)} '
                              f'<span class="rk-help">(« Nouvelle écriture » pour abandonner)</span></div>')
        chart = self.ctx.chart()
        d = entry.to_draft()
        self.piece.value = entry.piece
        self.date.value = entry.date
        self.libelle.value = entry.libelle
        self.tiers.value = entry.tiers
        self.sens.value = RECEIPT if entry.kind == RECEIPT else EXPENSE
        self.treso.value = "caisse" if entry.cash and not entry.bank else "banque"
        self.mode.value = entry.mode if entry.mode in MODES else ""
        self.cheque.value = entry.cheque
        self.amount.value = _plain(entry.amount)
        self.pointed.value = entry.pointed
        self.rows = []
        for line in d.ventilation:
            a = chart.get(line.account)
            self.add_row(f"{a.code} — {a.libelle}" if a else line.account, _plain(line.amount), line.action)
        if not self.rows:
            self.add_row()
        self.template_box.children = []
        self.update_reste()
        self._loaded = self._fields()  # what the entry was: the base of a reload's merge

    # -- the draft and saving ----------------------------------------------------------
    def draft(self) -> EntryDraft:
        """What the person typed, as an ``EntryDraft``; amounts they typed badly are
        refused here with the same ``Problem`` fields as the books use."""
        problems: list[Problem] = []
        try:
            day = self.date.parse("date")
        except ValidationError as e:
            problems.extend(e.problems)
            day = None
        try:
            amount = parse_amount(self.amount.value, "montant")
        except ValidationError as e:
            problems.extend(Problem(p.message, "montant") for p in e.problems)
            amount = 0
        vent = []
        classe = "produit" if self.sens.value == RECEIPT else "charge"
        for i, r in enumerate(self.rows, start=1):
            acc = account_code(r.account.value)
            if acc and not acc.isdigit():  # words of a label: « cotisation », « photos »
                try:
                    acc = self.ctx.chart().resolve(r.account.value, classe).code
                except ValidationError as e:
                    problems.extend(Problem(f"ventilation ligne {i} : {p.message}", "ventilation")
                                    for p in e.problems)
                    continue
            if not acc and not r.amount.value.strip():
                continue
            if not r.amount.value.strip() and len(self.rows) == 1:
                cents = amount  # one line with no amount: the whole amount
            else:
                try:
                    cents = parse_amount(r.amount.value, "montant")
                except ValidationError as e:
                    problems.extend(Problem(f"ventilation ligne {i} : {p.message}", "ventilation")
                                    for p in e.problems)
                    continue
            if not acc:
                problems.append(Problem(f"ventilation ligne {i} : choisissez un compte", "ventilation"))
                continue
            vent.append(VentilationLine(acc, cents, r.action.value.strip()))
        if problems:
            raise ValidationError(problems)
        bank = self.treso.value == "banque"
        receipt = self.sens.value == RECEIPT
        piece = self.piece.value.strip()
        if not self.editing and piece == self._suggested:
            piece = ""  # the books allocate it inside the write transaction
        return EntryDraft(
            date=day, libelle=self.libelle.value, piece=piece, tiers=self.tiers.value,
            mode=self.mode.value, cheque=self.cheque.value.strip(),
            bank_in=amount if bank and receipt else 0, bank_out=amount if bank and not receipt else 0,
            cash_in=amount if not bank and receipt else 0, cash_out=amount if not bank and not receipt else 0,
            ventilation=tuple(vent), pointed=bool(self.pointed.value and bank))

    def _signature(self) -> tuple:
        """Everything the form shows, to recognise a click on a form nobody touched since
        the last save."""
        return (self.editing, self.piece.value, self.date.text.value, self.libelle.value, self.tiers.value,
                self.sens.value, self.treso.value, self.amount.value, self.mode.value, self.cheque.value,
                self.pointed.value, tuple((r.account.value, r.amount.value, r.action.value) for r in self.rows))

    def submit(self) -> None:
        """Valider. A double click sends two clicks that the kernel handles one after the
        other: the second finds the fresh form of the first's confirmation and is ignored
        (never a second entry, never an error under the success). The button is disabled
        while a save runs."""
        if self._saving or self._signature() == self._after_save:
            return
        was_disabled = self.valider.disabled
        self._saving, self.valider.disabled = True, True
        try:
            self._submit()
        finally:
            self._saving = False
            self.valider.disabled = was_disabled

    def _submit(self) -> None:
        self._clear_errors()
        books, ctx = self.reason.books(), self.ctx

        def save():
            d = self.draft()
            if self.editing:
                return books.update_entry(self.editing[0], self.editing[1], d)
            return books.record_entry(ctx.coop, ctx.exercice, d)

        was_edit = self.editing
        ok, entry = attempt(save, self.status, self.show_problems)
        if not ok:
            return
        self.reason.saved()
        what = "modifiée" if was_edit else "enregistrée"
        # the confirmation first: it is what the person waits for
        self.status.value = ok_html(f"Écriture {entry.piece} {what} — {entry.libelle}, "
                                    f"{format_eur(entry.amount)}")
        self.reset(keep_status=True, reload=False)
        ctx.changed("entries")
        if not self.piece.value:  # nobody refreshed the form (used on its own)
            self._refresh_suggestions()
            self._suggest_piece(force=True)
        self.status.value += warnings_html(ctx, entry)
        if self.on_saved:
            self.on_saved(entry)
        self._after_save = self._signature()


    # -- the entry changed underneath (live collaboration) -------------------------------
    # Why a merge and not a plain reload: the teacher may have corrected the amount while
    # her AD fixed the libellé. « Recharger » takes the stored version (and its version
    # number, so the save is no longer refused as stale) and puts back every field she
    # changed herself since she opened the entry; the others show what was saved.
    _FIELD_LABELS = {"date": "date", "libelle": "libellé", "tiers": "tiers", "sens": "sens",
                     "treso": "trésorerie", "amount": "montant", "mode": "mode", "cheque": "n° de chèque",
                     "pointed": "pointage", "rows": "ventilation"}

    def _init_underneath(self) -> None:
        self._loaded: dict | None = None
        self._underneath = None  # the stored entry, newer than the form's (None: deleted)
        self.underneath_text = W.HTML()
        self.underneath_btn = button("Recharger cette écriture", "warning", "rk-underneath-reload", icon="refresh")
        self.underneath_btn.on_click(lambda _b: self.reload_underneath())
        self.underneath_box = W.VBox([])
        self.underneath_box.add_class("rk-underneath")
        self.box.children = (self.box.children[0], self.underneath_box) + tuple(self.box.children[1:])

    def _clear_underneath(self) -> None:
        if getattr(self, "underneath_box", None) is not None:
            self._underneath = None
            self.underneath_box.children = []

    def _fields(self) -> dict:
        return {"date": self.date.text.value, "libelle": self.libelle.value, "tiers": self.tiers.value,
                "sens": self.sens.value, "treso": self.treso.value, "amount": self.amount.value,
                "mode": self.mode.value, "cheque": self.cheque.value, "pointed": self.pointed.value,
                "rows": tuple((r.account.value, r.amount.value, r.action.value) for r in self.rows)}

    def changed_underneath(self, entry, actor: str) -> None:
        """The entry being corrected was saved (``entry``) or deleted (None) by ``actor``
        meanwhile: say so above the form, offer to reload it; nothing typed is touched."""
        if not self.editing:
            return
        piece = self.editing[2]
        who = "vous, dans une autre fenêtre" if actor == self.ctx.books.actor.login else (actor or "quelqu’un")
        self._underneath = entry
        if entry is None:
            msg = (f"La pièce {piece} a été supprimée par {who} pendant que vous la corrigiez : "
                   "vos modifications ne peuvent plus y être enregistrées.")
            self.underneath_btn.description = "Garder ma saisie comme nouvelle écriture"
        else:
            msg = f"La pièce {piece} a été modifiée par {who} pendant que vous la corrigiez."
            self.underneath_btn.description = f"Recharger la pièce {entry.piece} (vos changements sont gardés)"
        self.underneath_text.value = f'<div class="rk-warn" role="alert">⚠ {esc(msg)}</div>'
        self.underneath_box.children = [self.underneath_text, W.HBox([self.underneath_btn])]

    def reload_underneath(self) -> None:
        """Take the stored version and keep what the person changed herself (see above)."""
        if not self.editing:
            return
        entry, base, mine = self._underneath, self._loaded or {}, self._fields()
        if entry is None:  # deleted: what is typed becomes a new entry, with a new number
            self.editing = None
            self.heading.value = '<div class="rk-title">Nouvelle écriture</div>'
            self._clear_underneath()
            self._suggest_piece(force=True)
            self.status.value = ok_html("Votre saisie est gardée : « Valider » l’enregistrera comme une "
                                        "nouvelle écriture.")
            return
        self.load(entry)
        theirs = self._fields()
        kept = [k for k in mine if mine[k] != base.get(k) and mine[k] != theirs[k]]
        for k in ("sens", "treso", "mode", "cheque", "pointed", "libelle", "tiers", "amount"):
            if k in kept:
                getattr(self, k).value = mine[k]
        if "date" in kept:
            self.date.text.value = mine["date"]
        if "rows" in kept:
            self.rows = []
            for account, amount, action in mine["rows"]:
                self.add_row(account, amount, action)
        self._loaded = theirs
        self.update_reste()
        labels = ", ".join(self._FIELD_LABELS[k] for k in kept)
        self.status.value = ok_html(f"Pièce {entry.piece} rechargée telle qu’enregistrée"
                                    + (f" ; vos modifications sont gardées : {labels}." if kept else "."))


def warnings_html(ctx: Context, entry) -> str:
    """The save's warnings (cash below zero, probable duplicate, cheque already used), under
    its confirmation; empty when there is nothing to look at."""
    from ..domain.ledger import save_warnings
    try:
        found = save_warnings(ctx.exercice_obj(), ctx.entries(), entry)
    except Exception:  # noqa: BLE001 - a warning must never hide the confirmation
        from .boundary import report
        report()
        return ""
    if not found:
        return ""
    items = "".join(f"<li>{esc(w[:1].upper() + w[1:])}</li>" for w in found)
    return f'<div class="rk-warn" role="status">⚠ À vérifier :<ul>{items}</ul></div>'


def _plain(cents: int) -> str:
    """Cents as a person would type them: ``174,50``."""
    return format_plain(cents)


TRANSFERS = {
    "depot": ("Dépôt d'espèces à la banque (caisse → banque)", "Dépôt d'espèces en banque", "cash_out", "bank_in"),
    "retrait": ("Retrait pour la caisse (banque → caisse)", "Retrait d'espèces pour la caisse", "bank_out", "cash_in"),
    "regie_versee": ("Régie d'avance versée (banque → régie en caisse)", "Régie d'avance versée", "bank_out", "cash_in"),
    "regie_soldee": ("Régie d'avance soldée : reliquat rendu (caisse → banque)", "Régie d'avance soldée (reliquat)",
                     "cash_out", "bank_in"),
}


class TransferForm:
    """Money moving between bank and cash box: no ventilation, neither income nor expense."""

    def __init__(self, ctx: Context, on_saved=None):
        self.ctx = ctx
        self.on_saved = on_saved
        self.kind = W.Dropdown(options=[(v[0], k) for k, v in TRANSFERS.items()], value="depot",
                               layout=W.Layout(width="390px"))
        self.kind.add_class("rk-tkind")
        self.date = DateField("rk-tdate")
        self.amount = W.Text(placeholder="0,00", layout=W.Layout(width="120px"))
        self.amount.add_class("rk-tamount")
        self.libelle = W.Text(layout=W.Layout(width="300px"))
        self.tiers = W.Text(placeholder="régisseur (pour une régie)", layout=W.Layout(width="200px"))
        self.valider = button("Valider le virement", "primary", "rk-tvalider", icon="exchange")
        self.status = status_line("rk-transfer-status")
        self.errors = {k: err_label() for k in ("date", "montant", "libelle", "motif")}
        self.reason = ReasonField(ctx, self.errors["motif"])
        self.kind.observe(lambda c: setattr(self.libelle, "value", TRANSFERS[c["new"]][1]), "value")
        self.valider.on_click(lambda _b: self.submit())
        for t in (self.amount, self.libelle, self.tiers):
            _on_enter(t, self.submit)
        e = self.errors
        self.box = W.VBox([
            W.HTML('<div class="rk-title">Virement interne</div><div class="rk-help">Dépôt d’espèces, '
                   'retrait, régie d’avance : l’argent change de place, ce n’est ni une recette ni une '
                   'dépense (pas de ventilation).</div>'),
            W.HBox([field("Mouvement", self.kind, "400px"), field("Date", self.date.box, "175px", e["date"]),
                    field("Montant (€)", self.amount, "130px", e["montant"]),
                    field("Libellé", self.libelle, "310px", e["libelle"]),
                    field("Régisseur", self.tiers, "210px")]),
            self.reason.box, self.valider, self.status])
        self.box.add_class("rk-card")
        self.reset()

    def reset(self) -> None:
        self.date.value = self.ctx.default_day()
        self.amount.value = ""
        self.libelle.value = TRANSFERS[self.kind.value][1]
        self.tiers.value = ""

    def submit(self) -> None:
        for e in self.errors.values():
            e.value = ""

        def save():
            problems = []
            try:
                day = self.date.parse("date")
            except ValidationError as e:
                problems.extend(e.problems)
            try:
                cents = parse_amount(self.amount.value, "montant")
            except ValidationError as e:
                problems.extend(Problem(p.message, "montant") for p in e.problems)
            if problems:
                raise ValidationError(problems)
            _, _, out_f, in_f = TRANSFERS[self.kind.value]
            d = EntryDraft(date=day, libelle=self.libelle.value, tiers=self.tiers.value,
                           **{out_f: cents, in_f: cents})
            return self.reason.books().record_entry(self.ctx.coop, self.ctx.exercice, d)

        def show(err):
            for p in err.problems:
                k = FIELD_OF.get(p.field, "montant")
                self.errors.get(k, self.errors["montant"]).value = esc(p.message[:1].upper() + p.message[1:])

        ok, entry = attempt(save, self.status, show)
        if ok:
            self.reason.saved()
            self.ctx.changed("entries")
            self.reset()
            self.status.value = ok_html(f"Virement {entry.piece} enregistré — {entry.libelle}, "
                                        f"{format_eur(entry.amount)}") + warnings_html(self.ctx, entry)
            if self.on_saved:
                self.on_saved(entry)


class EntrySection(Section):
    title = "Saisie"

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.form = EntryForm(ctx)
        self.transfer = TransferForm(ctx)
        self.mode = W.ToggleButtons(options=[("Recette ou dépense", "entry"), ("Virement interne", "transfer")],
                                    value="entry", style={"button_width": "170px"})
        self.mode.add_class("rk-saisie-mode")
        self.mode.observe(lambda c: self._show(), "value")
        self.body = W.VBox()
        self.root = W.VBox([self.mode, self.body])
        self._show()
        self.stale = False

    def _show(self) -> None:
        self.body.children = [self.form.box if self.mode.value == "entry" else self.transfer.box]

    def edit(self, entry) -> None:
        self.mode.value = "entry"
        self.form.load(entry)

    def refresh(self, full: bool = False) -> None:
        if full:
            self.form.reset()
            self.transfer.reset()
        elif not self.form.editing:
            self.form._refresh_suggestions()
            self.form._suggest_piece()
