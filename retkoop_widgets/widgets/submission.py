"""The "Soumettre le compte rendu financier" panel of the Bilan.

Why a checklist and not just a button: a teacher who cannot submit must see *what* is
missing (the closing cash count, a subsidy line…) in words, all at once, before typing
the vérificateurs. The checks and the rules on vérificateurs are those of
``services.submission`` (the same answers as the CLI and the PDF); this panel only
groups them by theme and collects what a person must state.
"""
from __future__ import annotations

import ipywidgets as W

from ..domain.errors import ValidationError
from ..domain.exercice import SUBMITTED, WRITABLE
from ..services import submission as sub
from .common import Context, attempt, button, err_label, esc, fdate, field, ko_html, name_input, ok_html, status_line
from .datefield import DateField

# The themes of the checklist, in the order a mandataire works through them; each
# gathers the ``Problem.field`` values of ``services.submission``.
CHECKS = [
    ("invariant", "Comptes équilibrés (report + produits − charges = banque + caisse)", ("invariant",)),
    ("date", "Aucune écriture datée après aujourd’hui", ("date",)),
    ("pointage", "Lignes pointées inchangées depuis leur pointage", ("pointage",)),
    ("caisse", "Arrêté de caisse de clôture (à partir du 1er août) concordant", ("caisse",)),
    ("subventions", "Tableau des subventions égal au compte 7410", ("subventions",)),
]
QUALITES = [("parent d'élève", "parent"), ("enseignant", "enseignant"), ("autre", "autre")]


def checklist_html(problems) -> str:
    """One line per theme: ✔ when nothing is wrong, ✖ and the reasons otherwise."""
    known = {f for _k, _l, fields in CHECKS for f in fields}
    rows = []
    for key, label, fields in CHECKS:
        mine = [p for p in problems if p.field in fields]
        if mine:
            why = "".join(f"<li>{esc(_cap(p.message))}</li>" for p in mine)
            rows.append(f'<li class="rk-check ko" data-check="{key}">✖ {esc(label)}<ul>{why}</ul></li>')
        else:
            rows.append(f'<li class="rk-check ok" data-check="{key}">✔ {esc(label)}</li>')
    for p in problems:
        if p.field not in known:
            rows.append(f'<li class="rk-check ko" data-check="{esc(p.field)}">✖ {esc(_cap(p.message))}</li>')
    return f'<ul class="rk-checklist">{"".join(rows)}</ul>'


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


class VerifRow:
    def __init__(self, on_remove):
        self.nom = W.Text(placeholder="prénom et nom", layout=W.Layout(width="230px"))
        self.nom.add_class("rk-vnom")
        self.qualite = W.Dropdown(options=QUALITES, value="parent", layout=W.Layout(width="150px"))
        name_input(self.qualite, "Qualité du vérificateur")
        self.qualite.add_class("rk-vqualite")
        self.remove = W.Button(description="Retirer", icon="times", layout=W.Layout(width="auto"))
        self.remove.on_click(lambda _b: on_remove(self))
        self.box = W.HBox([self.nom, self.qualite, self.remove])

    def value(self) -> dict:
        return {"nom": self.nom.value.strip(), "qualite": self.qualite.value}


class SubmissionPanel:
    """The panel; ``refresh()`` redraws it from the books (state, checks)."""

    def __init__(self, ctx: Context, on_submitted=None):
        self.ctx = ctx
        self.on_submitted = on_submitted
        self.state = W.HTML()
        self.state.add_class("rk-substate")
        self.checks = W.HTML()
        self.checks.add_class("rk-subchecks")
        self.rows: list[VerifRow] = []
        self.rows_box = W.VBox()
        self.add_btn = button("Ajouter un vérificateur", icon="plus", cls="rk-vadd")
        self.add_btn.on_click(lambda _b: self.add_row())
        self.verif_err = err_label()
        self.lieu = W.Text(placeholder="ex. Rouen", layout=W.Layout(width="230px"))
        self.lieu.add_class("rk-slieu")
        self.lieu_err = err_label()
        self.date = DateField("rk-sdate")
        self.date_err = err_label()
        self.rappro = W.Checkbox(indent=False, layout=W.Layout(width="auto"),
                                 description="Rapprochement conforme au relevé du 31/08")
        self.rappro.add_class("rk-srappro")
        self.rappro_err = err_label()
        self.submit_btn = button("Soumettre le compte rendu financier", "primary", "rk-ssubmit", icon="paper-plane")
        self.submit_btn.on_click(lambda _b: self.ask())
        self.confirm = W.HBox()
        self.confirm.add_class("rk-sconfirm")
        self.status = status_line("rk-substatus")
        for _ in range(2):
            self.add_row()
        self.form = W.VBox([
            W.HTML('<div class="rk-lbl" style="margin-top:6px;height:auto">Vérificateurs aux comptes (au moins deux, dont un '
                   'parent d’élève ; pas le mandataire)</div>'),
            self.rows_box, W.HBox([self.add_btn]), self.verif_err,
            W.HBox([field("Fait à", self.lieu, err=self.lieu_err), field("Le", self.date.box, err=self.date_err)]),
            W.HTML('<div class="rk-help">Je confirme que les lignes non pointées et le solde attendu du '
                   'tableau de rapprochement correspondent au relevé bancaire du 31/08.</div>'),
            self.rappro, self.rappro_err,
            W.HBox([self.submit_btn]), self.confirm])
        self.root = W.VBox([W.HTML('<div class="rk-title">Soumettre le compte rendu financier</div>'),
                            self.state, self.checks, self.form, self.status])
        self.root.add_class("rk-card")
        self.root.add_class("rk-submission")

    # -- vérificateurs -----------------------------------------------------------------
    def add_row(self) -> None:
        row = VerifRow(self.remove_row)
        self.rows.append(row)
        self.rows_box.children = [r.box for r in self.rows]

    def remove_row(self, row: VerifRow) -> None:
        if len(self.rows) > 1:
            self.rows.remove(row)
            self.rows_box.children = [r.box for r in self.rows]

    def verificateurs(self) -> list[dict]:
        return [r.value() for r in self.rows if r.nom.value.strip()]

    # -- drawing -----------------------------------------------------------------------
    def refresh(self) -> None:
        ctx = self.ctx
        ex = ctx.exercice_obj()
        self.confirm.children = []
        if ex.state in WRITABLE:
            problems = self.problems()
            n = len(problems)
            self.state.value = (ok_html("Tout est prêt : indiquez les vérificateurs puis soumettez.") if not n else
                                f'<div class="rk-help">Encore {n} point{"s" if n > 1 else ""} à régler avant '
                                f'de pouvoir soumettre.</div>')
            self.checks.value = checklist_html(problems)
            self.form.layout.display = None
            if self.date.empty:
                self.date.value = ctx.books.today()
        else:
            info = sub.submission_info(ctx.books, ctx.coop, ctx.exercice)
            verifs = ", ".join(f"{v.get('nom')} ({v.get('qualite')})" for v in info.verificateurs)
            when = f" le {fdate(info.submitted_at)}" if info.submitted_at else ""
            self.state.value = (f'<div class="rk-ok rk-submitted">✔ Compte rendu financier de l’exercice '
                                f'{esc(ctx.exercice)} {"soumis" if ex.state == SUBMITTED else esc(ex.state)}{esc(when)}'
                                f'{" par " + esc(info.submitted_by) if info.submitted_by else ""}.'
                                f'{"<br>Vérificateurs aux comptes : " + esc(verifs) if verifs else ""}'
                                f'<br>Les comptes sont en lecture seule ; seule l’AD peut rouvrir l’exercice.</div>')
            self.checks.value = ""
            self.form.layout.display = "none"

    def problems(self):
        """``services.submission``'s readiness checks on the CRF the Bilan already holds
        (``check_submission`` without reading the entries a second time)."""
        from ..domain.errors import InvariantBreach
        try:
            return sub.check_crf(self.ctx.crf(), self.ctx.books.today())
        except InvariantBreach:
            return sub.check_submission(self.ctx.books, self.ctx.coop, self.ctx.exercice)

    # -- submission --------------------------------------------------------------------
    def _clear_errors(self) -> None:
        for e in (self.verif_err, self.lieu_err, self.date_err, self.rappro_err):
            e.value = ""

    def _signature_problems(self) -> bool:
        """Place and date first (the service checks them again on submit): the confirmation
        question appears only once the signature line is complete."""
        try:
            signed = self.date.checked("date")
        except ValidationError as e:  # « le 31/11/2026 n'existe pas », beside the date
            self._show(e.problems)
            return False
        problems = sub.check_signature(self.lieu.value, signed, self.ctx.books.today(),
                                       self.ctx.exercice_obj().start)
        self._show(problems)
        return not problems

    def _show(self, problems) -> None:
        for p in problems:
            target = {"verificateurs": self.verif_err, "rapprochement": self.rappro_err,
                      "lieu": self.lieu_err, "date": self.date_err}.get(p.field)
            if target is not None:
                target.value = (target.value + "<br>" if target.value else "") + esc(_cap(p.message))

    def ask(self) -> None:
        """First click: a confirmation that says what will happen (the books lock)."""
        self._clear_errors()
        self.status.value = ""
        if not self._signature_problems():
            self.status.value = ko_html("Rien n’a été soumis : complétez les champs signalés.")
            return
        yes = button("Oui, soumettre et verrouiller", "danger", "rk-sconfirm-yes")
        no = button("Annuler", cls="rk-sconfirm-no")
        yes.on_click(lambda _b: self.submit())
        no.on_click(lambda _b: setattr(self.confirm, "children", []))
        self.confirm.children = [W.HTML(
            f"Soumettre le compte rendu de l’exercice {esc(self.ctx.exercice)} ? Les comptes seront "
            "<b>verrouillés</b> : plus aucune saisie ni modification, sauf si l’AD rouvre l’exercice.&nbsp;"),
            yes, no]

    def submit(self) -> None:
        self.confirm.children = []
        self._clear_errors()
        verifs = self.verificateurs()
        kwargs = {"lieu": self.lieu.value.strip(), "signed_on": self.date.value,  # readable: checked by ask()
                  "reconciliation_confirmed": bool(self.rappro.value)}

        def on_problems(e):
            self._show(e.problems)

        ok, _ = attempt(lambda: sub.submit(self.ctx.books, self.ctx.coop, self.ctx.exercice, verifs, **kwargs),
                        self.status, on_problems)
        if ok:
            self.status.value = ok_html(f"Compte rendu financier soumis le {fdate(self.ctx.books.today())} "
                                        f"(fait à {self.lieu.value.strip()}, le {fdate(self.date.value)}).")
            self.ctx.changed("submitted")
            if self.on_submitted:
                self.on_submitted()
            self.refresh()

