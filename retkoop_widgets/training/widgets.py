"""The checker widget (trainee side) and the trainer view.

Both only call ``training.sandbox`` / ``training.checks`` (which call ``Books``). Their
state is kept in plain attributes (``status``, ``messages``) and HTML widgets, so tests
can click buttons without a kernel and read what a person would read.
"""
from __future__ import annotations

import html

import ipywidgets as W

from ..domain.errors import RetkoopError, ValidationError
from ..services.books import Books
from . import sandbox as sb
from . import scenario as sc
from .checks import DONE, TO_FIX, TODO, Verdict, check

def _esc(text: str) -> str:
    return html.escape(text, quote=False)


COLORS = {TODO: ("#6b7280", "#f3f4f6"), TO_FIX: ("#b45309", "#fef3c7"), DONE: ("#166534", "#dcfce7")}


def badge(status: str) -> str:
    fg, bg = COLORS.get(status, COLORS[TODO])
    return (f'<span class="retkoop-badge" style="color:{fg};background:{bg};border:1px solid {fg};'
            f'border-radius:4px;padding:2px 8px;font-weight:bold">{_esc(status)}</span>')


def verdict_html(v: Verdict) -> str:
    items = "".join(
        f'<li style="color:{"#166534" if c.ok else "#b91c1c"}">{"✔" if c.ok else "✘"} {_esc(c.message)}</li>'
        for c in v.checks)
    return f"<p>{badge(v.status)} {_esc(v.summary)}</p><ul style='margin-top:4px'>{items}</ul>"


def _error_text(e: Exception) -> str:
    if isinstance(e, ValidationError):
        return " ; ".join(str(p) for p in e.problems)
    if isinstance(e, RetkoopError):
        return str(e)
    return "erreur inattendue : réessayez ou prévenez votre formateur"  # never a traceback / URL


class CheckerWidget(W.VBox):
    """One exercise: instructions, a « Vérifier » button, the verdict in French."""

    def __init__(self, books: Books, coop: str, exercise_id: str, exercice: str | None = None):
        self.books, self.coop, self.exercise = books, coop, sc.exercise(exercise_id)
        self.exercice = exercice
        self.status = TODO
        self.messages: list[str] = []
        self.verdict: Verdict | None = None
        self.title = W.HTML(f"<h3>Exercice {self.exercise.number} — {_esc(self.exercise.title)}</h3>")
        self.instructions = W.HTML()
        self.button = W.Button(description="Vérifier", icon="check", button_style="primary")
        self.button.add_class("retkoop-verifier")
        self.result = W.HTML()
        self.result.add_class("retkoop-verdict")
        self.button.on_click(lambda _: self.refresh())
        super().__init__([self.title, self.instructions, self.button, self.result])
        self.refresh()

    def refresh(self) -> Verdict | None:
        try:
            sandbox = sb.load_sandbox(self.books, self.coop, self.exercice)
            self.exercice = sandbox.exercice.name
            self.instructions.value = self.exercise.instructions(self.exercice)
            v = check(self.exercise.id, sandbox)
        except RetkoopError as e:
            self.status, self.messages, self.verdict = TODO, [_error_text(e)], None
            self.result.value = (f"<p>{badge(TODO)} bac à sable {_esc(self.coop)} indisponible : "
                                 f"{_esc(_error_text(e))}. Demandez à votre formateur de créer la session.</p>")
            return None
        self.verdict, self.status = v, v.status
        self.messages = [c.message for c in v.checks]
        self.result.value = verdict_html(v)
        return v


class SequenceWidget(W.VBox):
    """All the exercises one below the other, with a summary line."""

    def __init__(self, books: Books, coop: str, exercice: str | None = None):
        self.checkers = [CheckerWidget(books, coop, e.id, exercice) for e in sc.EXERCISES]
        self.summary = W.HTML()
        button = W.Button(description="Tout vérifier", icon="refresh")
        button.on_click(lambda _: self.refresh())
        super().__init__([self.summary, button] + self.checkers)
        self._summarize()

    def refresh(self) -> None:
        for c in self.checkers:
            c.refresh()
        self._summarize()

    def _summarize(self) -> None:
        done = sum(c.status == DONE for c in self.checkers)
        self.summary.value = f"<p><b>{done} exercice{'s' if done > 1 else ''} réussi{'s' if done > 1 else ''} " \
                             f"sur {len(self.checkers)}</b></p>"


def _table_html(df) -> str:
    if df.empty:
        return "<p><i>aucun bac à sable pour cette session</i></p>"
    styled = df.copy()
    for col in styled.columns:
        styled[col] = styled[col].map(lambda s: badge(s) if s in COLORS else _esc(str(s)))
    return styled.to_html(escape=False, classes="retkoop-progression")


class TrainerView(W.VBox):
    """Create a session, follow progress (trainees × exercises, then one trainee's detail and
    dashboard), reset one sandbox.

    Temporary passwords are shown once, in a widget the trainer clears after noting them
    (and JupyterLab saves no widget state: ``hub_config/lab_settings/overrides.json``), so they
    never stay in the notebook. A trainee's dashboard opens *here*, in the trainer's kernel,
    with the trainer's own ``Books``: what the trainer changes is theirs, audited under their
    name, never the trainee's.
    """

    def __init__(self, books: Books, ad: str):
        self.books, self.ad = books, ad
        # -- create
        self.session = W.Text(description="Session", placeholder="ex. MARS-2026")
        self.count = W.BoundedIntText(value=8, min=1, max=sb.MAX_TRAINEES, description="Stagiaires")
        self.exercice = W.Text(value=sc.default_exercice(books.today()), description="Exercice")
        self.create_button = W.Button(description="Créer la session", button_style="primary", icon="plus")
        self.create_button.on_click(lambda _: self.create())
        self.created = W.HTML()
        # -- progress
        self.picker = W.Dropdown(description="Session", options=[])
        self.refresh_button = W.Button(description="Actualiser", icon="refresh")
        self.refresh_button.on_click(lambda _: self.show_progress())
        self.picker.observe(lambda ch: self.show_progress(), names="value")
        self.table = W.HTML()
        self.trainee = W.Dropdown(description="Stagiaire", options=[])
        self.detail_button = W.Button(description="Voir le détail", icon="search")
        self.detail_button.on_click(lambda _: self.show_detail())
        self.open_button = W.Button(description="Ouvrir son tableau de bord", icon="external-link")
        self.open_button.on_click(lambda _: self.open_dashboard())
        self.detail = W.HTML()
        self.detail.add_class("retkoop-detail")
        self.dashboard_box = W.VBox()
        self.dashboard = None
        self.hide_button = W.Button(description="J'ai noté les mots de passe : les masquer", icon="eye-slash",
                                    layout=W.Layout(width="auto", display="none"))
        self.hide_button.on_click(lambda _: self.hide_passwords())
        # -- reset
        self.sandbox = W.Dropdown(description="Bac à sable", options=[])
        self.reason = W.Text(description="Raison", value="nouvelle séance")
        self.confirm = W.Checkbox(description="Je confirme : tout le travail du stagiaire sera effacé", value=False,
                                  layout=W.Layout(width="auto"))
        self.reset_button = W.Button(description="Réinitialiser", button_style="danger", icon="undo")
        self.reset_button.on_click(lambda _: self.reset())
        self.message = W.HTML()
        self.message.add_class("retkoop-message")
        super().__init__([
            W.HTML("<h3>Créer une session de formation</h3>"),
            W.HBox([self.session, self.count, self.exercice]), self.create_button, self.created, self.hide_button,
            W.HTML("<h3>Progression des stagiaires</h3>"), W.HBox([self.picker, self.refresh_button]), self.table,
            W.HBox([self.trainee, self.detail_button, self.open_button]), self.detail, self.dashboard_box,
            W.HTML("<h3>Réinitialiser un bac à sable</h3>"), W.HBox([self.sandbox, self.reason]), self.confirm,
            self.reset_button, self.message])
        self._load_sessions()

    def _say(self, text: str, ok: bool = True) -> None:
        color = "#166534" if ok else "#b91c1c"
        self.message.value = f'<p style="color:{color}">{_esc(text)}</p>'

    def _load_sessions(self, select: str | None = None) -> None:
        try:
            names = sb.sessions(self.books)
        except RetkoopError as e:
            self._say(_error_text(e), False)
            names = []
        self.picker.options = names
        if select in names:
            self.picker.value = select
        elif names and self.picker.value is None:
            self.picker.value = names[-1]
        self.show_progress()

    def create(self) -> None:
        try:
            result = sb.create_session(self.books, self.session.value, self.ad, int(self.count.value),
                                       self.exercice.value.strip() or None)
        except RetkoopError as e:
            self.created.value = f'<p style="color:#b91c1c">{_esc(_error_text(e))}</p>'
            return
        head = (f"<p>Session <b>{_esc(result.session)}</b> créée "
                f"({len(result.trainees)} bacs à sable, exercice {_esc(result.exercice)}).</p>")
        self._summary = head
        if result.accounts_note or not any(t.get("password") for t in result.trainees):
            note = f'<p style="color:#b45309">{_esc(result.accounts_note)}</p>' if result.accounts_note else ""
            self.created.value = head + note + result.frame().drop(columns="Mot de passe provisoire").to_html(index=False)
        else:
            self.created.value = (head + "<p><b>Notez les mots de passe provisoires maintenant</b> : ils ne seront "
                                  "plus jamais affichés (chaque stagiaire en choisit un à sa première connexion).</p>"
                                  + result.frame().to_html(index=False))
            self.hide_button.layout.display = None
        self._load_sessions(result.session)

    def hide_passwords(self) -> None:
        """The passwords leave the page (and the widget state) for good."""
        self.created.value = getattr(self, "_summary", "") + "<p>Mots de passe provisoires masqués.</p>"
        self.hide_button.layout.display = "none"

    def show_progress(self) -> None:
        name = self.picker.value
        if not name:
            self.table.value = "<p><i>aucune session de formation pour l'instant</i></p>"
            self.sandbox.options = []
            return
        try:
            df = sb.progress(self.books, name)
        except RetkoopError as e:
            self.table.value = f'<p style="color:#b91c1c">{_esc(_error_text(e))}</p>'
            return
        self.progress_frame = df
        self.table.value = _table_html(df)
        self.sandbox.options = list(df.index)
        self.trainee.options = list(df.index)

    def show_detail(self) -> None:
        """One trainee: every exercise's verdict, line by line, as the trainee reads it."""
        coop = self.trainee.value
        if not coop:
            self.detail.value = '<p style="color:#b91c1c">choisissez un stagiaire</p>'
            return
        try:
            verdicts = sb.verdicts_for(self.books, coop)
        except RetkoopError as e:
            self.detail.value = f'<p style="color:#b91c1c">{_esc(_error_text(e))}</p>'
            return
        self.detail.value = f"<h4>{_esc(coop)}</h4>" + "".join(
            f"<h5>Exercice {sc.exercise(k).number} — {_esc(sc.exercise(k).title)}</h5>{verdict_html(v)}"
            for k, v in verdicts.items())

    def open_dashboard(self) -> None:
        """The trainee's dashboard, here, acting as the trainer (audited under the trainer's name)."""
        coop = self.trainee.value
        if not coop:
            self.detail.value = '<p style="color:#b91c1c">choisissez un stagiaire</p>'
            return
        from ..widgets.app import Dashboard
        try:
            self.dashboard = Dashboard(self.books, coop)
        except RetkoopError as e:
            self.detail.value = f'<p style="color:#b91c1c">{_esc(_error_text(e))}</p>'
            return
        who = _esc(self.books.actor.login)
        self.dashboard_box.children = [
            W.HTML(f"<p class='rk-help'>Tableau de bord de <b>{_esc(coop)}</b> ouvert par <b>{who}</b> : ce que "
                   f"vous modifiez est enregistré à votre nom ({who}), pas à celui du stagiaire.</p>"),
            self.dashboard.root]

    def reset(self) -> None:
        coop = self.sandbox.value
        if not coop:
            self._say("choisissez un bac à sable", False)
            return
        if not self.confirm.value:
            self._say("cochez la case de confirmation avant de réinitialiser", False)
            return
        try:
            before = sb.reset_sandbox(self.books, coop, self.reason.value.strip() or "réinitialisation")
        except RetkoopError as e:
            self._say(_error_text(e), False)
            return
        self.confirm.value = False
        self._say(f"{coop} réinitialisé : {before['ecritures']} écriture(s), {before['arretes_de_caisse']} "
                  f"arrêté(s) de caisse et {before['subventions']} subvention(s) effacés.")
        self.show_progress()
