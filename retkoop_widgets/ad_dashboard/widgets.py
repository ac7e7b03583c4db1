"""The AD dashboard page (ipywidgets). Thin: every action is a ``Books`` or ``Accounts`` call.

* The morning view (``services.follow_up.morning_view``): the AD's coops ranked by what
  they need — CRF late or soon due, not ready (with the submission check's reasons),
  alerts by kind (the analysis notebook's rules), days since the last entry, pointage and
  cash count — with a summary line, filters, a search, « ouvrir » on each coop and the
  filtered list exported as CSV or XLSX for a mailing.
* Accounts: each mandataire's state (actif, provisoire, verrouillé, désactivé); create,
  unlock, reset (confirmed first), deactivate (confirmed first) and reactivate — all
  audited by ``services.accounts``; the hub ends a deactivated account's sessions.
* Reopening a submitted CRF, with its reason.
"""
from __future__ import annotations

import base64
import html
from urllib.parse import quote

import ipywidgets as w

from ..domain.actor import ADMIN_AD, MANDATAIRE, Actor
from ..domain.dates import format_date
from ..domain.errors import RetkoopError
from ..domain.follow_up import ALERT_LABELS, DUE_SOON, LATE, NO_EXERCICE
from ..domain.passwords import LOCKED
from ..services.accounts import Accounts, Profile
from ..services.books import Books
from ..widgets.common import logout_html
from ..services.follow_up import CoopNeed, MorningView, morning_view, reminders_csv, reminders_xlsx

DASHBOARD = "tableau_de_bord.ipynb"
WIDE = w.Layout(width="auto")

SHOW = (("à relancer (en retard, échéance proche, pas prêtes)", "relancer"), ("toutes", "toutes"),
        ("en retard", "retard"), ("échéance dans 30 jours", "bientot"), ("pas prêtes à soumettre", "pas_pretes"),
        ("prêtes à soumettre", "pretes"), ("soumises", "soumises"), ("avec alertes", "alertes"))
# Short column titles for the alert kinds, in the table's order.
ALERT_COLUMNS = (("crf_manquant", "CRF non soumis"), ("exercice_absent", "Exercice absent"),
                 ("pointage_en_retard", "Pointage > 60 j"), ("arrete_caisse", "Arrêté de caisse"),
                 ("especes_remise_tardive", "Espèces remises tard"), ("caisse_negative", "Caisse négative"),
                 ("subventions_7410", "Subventions ≠ 7410"), ("crf_en_retard", "Soumis en retard"))
STATE_STYLE = {"actif": "#060", "provisoire": "#8a5a00", "verrouillé": "#b00", "désactivé": "#555"}


def _d(day) -> str:
    return format_date(day) or "—"


def _fill(dropdown: w.Dropdown, options: list) -> None:
    dropdown.options = options
    dropdown.value = options[0][1] if options else None


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def keep(row: CoopNeed, show: str, kind: str, search: str) -> bool:
    """The filters: what to show, an alert kind, words of the code or name (accents and
    case ignored)."""
    st = row.deadline.status
    if show == "relancer" and not (st in (LATE, DUE_SOON, NO_EXERCICE) or (not row.ready and row.status == "pas prêt")):
        return False
    if show == "retard" and st not in (LATE, NO_EXERCICE):
        return False
    if show == "bientot" and st != DUE_SOON:
        return False
    if show == "pas_pretes" and row.status != "pas prêt":
        return False
    if show == "pretes" and not row.ready:
        return False
    if show == "soumises" and row.state not in ("soumis", "clos"):
        return False
    if show == "alertes" and not row.alerts:
        return False
    if kind and not row.alerts_of(kind):
        return False
    if search:
        from ..domain.chart import fold
        hay = fold(f"{row.code} {row.name} {' '.join(row.mandataires)}")
        if not all(word in hay for word in fold(search).split()):
            return False
    return True


def _days(row: CoopNeed, day) -> str:
    n = row.days_since(day)
    if n is None:
        return "<span title='jamais'>—</span>"
    return f"<span title='le {day:%d/%m/%Y}'>{n} j</span>"


def _situation(row: CoopNeed) -> str:
    d = row.deadline
    color = {LATE: "#b00", NO_EXERCICE: "#b00", DUE_SOON: "#8a5a00"}.get(d.status, "#060")
    return f"<span class='deadline' data-status='{_e(d.status)}' style='color:{color}'>{_e(d.text)}</span>"


def _status(row: CoopNeed) -> str:
    if row.ready:
        return "<b class='ready' style='color:#060'>prêt à soumettre</b>"
    if row.status != "pas prêt":
        return f"<span class='state'>{_e(row.state_label)}</span>"
    items = "".join(f"<li>{_e(r)}</li>" for r in row.reasons)
    return (f"<b class='not-ready' style='color:#b00'>pas prêt</b>"
            f"<ul class='reasons' style='margin:2px 0 0 14px;padding:0;font-size:90%'>{items}</ul>")


def _alert_cells(row: CoopNeed) -> str:
    cells = []
    for kind, _ in ALERT_COLUMNS:
        found = [f for f in row.findings if f.kind == kind]
        if found:
            tip = _e(" ; ".join(f.message for f in found))
            cells.append(f"<td class='alert' data-kind='{kind}' title='{tip}' style='text-align:center'>"
                         f"<b style='color:#b00'>{len(found)}</b></td>")
        else:
            cells.append(f"<td data-kind='{kind}' style='text-align:center;color:#999'>·</td>")
    return "".join(cells)


def overview_html(view: MorningView, rows: list[CoopNeed], ad_name: str) -> str:
    """The ranked table (most pressing first)."""
    alert_heads = "".join(f"<th title='{_e(ALERT_LABELS[k])}' style='font-size:85%'>{_e(t)}</th>"
                          for k, t in ALERT_COLUMNS)
    head = ("<tr><th>Coopérative</th><th>Compte rendu " + _e(view.exercice) + "</th><th>Prêt ?</th>"
            f"{alert_heads}<th>Dernière écriture</th><th>Dernier pointage</th><th>Dernier arrêté</th><th></th></tr>")
    body = []
    for r in rows:
        link = (f"<a class='open-coop' href='{DASHBOARD}?coop={quote(r.code)}' target='_blank' "
                f"title='ouvrir le tableau de bord de {_e(r.code)}'>ouvrir</a>")
        who = f"<br><small>{_e(', '.join(r.mandataires))}</small>" if r.mandataires else ""
        body.append(
            f"<tr class='coop-row' data-coop='{_e(r.code)}' data-status='{_e(r.deadline.status)}'>"
            f"<td><b>{_e(r.code)}</b> {_e(r.name)}{who}</td><td>{_situation(r)}<br>"
            f"<small>{_e(r.state_label)}</small></td><td>{_status(r)}</td>{_alert_cells(r)}"
            f"<td>{_days(r, r.last_entry)}</td><td>{_days(r, r.last_pointage)}</td>"
            f"<td>{_days(r, r.last_cash_count)}</td><td>{link}</td></tr>")
    if not body:
        body.append(f"<tr><td colspan='{7 + len(ALERT_COLUMNS)}'><i>aucune coopérative ne correspond</i></td></tr>")
    return (f"<p class='ad-shown'>{len(rows)} coopérative(s) affichée(s) sur {len(view.rows)}, les plus urgentes "
            "d'abord.</p>"
            "<table class='ad-overview' style='border-collapse:collapse' border='1' cellpadding='4'>"
            f"{head}{''.join(body)}</table>")


def summary_html(view: MorningView, ad_name: str) -> str:
    totals = view.alert_totals()
    kinds = ", ".join(f"{ALERT_LABELS[k]} : {n}" for k, n in totals.items() if n)
    return (f"<h2 class='ad-title'>{_e(ad_name)} — suivi du {view.today:%d/%m/%Y}</h2>"
            f"<p class='ad-summary' style='font-size:115%'><b>{view.submitted} soumis</b>, "
            f"<b>{view.ready} prêts</b>, <b style='color:#b00'>{view.late} en retard</b> "
            f"— compte rendu {_e(view.exercice)}, échéance {view.due:%d/%m/%Y}, {len(view.rows)} coopératives</p>"
            f"<p class='ad-alert-totals'>Alertes : {_e(kinds) if kinds else 'aucune'}</p>")


def account_state_html(p: Profile) -> str:
    color = STATE_STYLE.get(p.state, "#000")
    extra = ""
    if p.state == LOCKED:
        extra = f" ({p.failed_logins} mot(s) de passe erroné(s))"
    return f"<span class='account-state' data-state='{_e(p.state)}' style='color:{color}'>{_e(p.state)}{extra}</span>"


def accounts_html(profiles: list[Profile]) -> str:
    rows = "".join(
        f"<tr class='account-row' data-login='{_e(p.login)}'><td><b>{_e(p.login)}</b></td><td>{_e(p.full_name)}</td>"
        f"<td>{_e(p.coop or p.ad or '—')}</td><td>{_e(p.role)}</td><td>{account_state_html(p)}</td>"
        f"<td>{_d(p.last_login) if p.last_login else 'jamais'}</td></tr>" for p in profiles)
    return ("<table class='ad-accounts' style='border-collapse:collapse' border='1' cellpadding='4'>"
            "<tr><th>Identifiant</th><th>Nom</th><th>Coopérative / AD</th><th>Rôle</th><th>État</th>"
            f"<th>Dernière connexion</th></tr>{rows}</table>")


def download_link(data: bytes, filename: str, mime: str, label: str) -> str:
    """A link the browser saves as a file (the bytes inline: no file on the server)."""
    b64 = base64.b64encode(data).decode("ascii")
    return (f"<a class='ad-download' download='{_e(filename)}' href='data:{mime};base64,{b64}'>"
            f"⬇ {_e(label)}</a>")


def build(books: Books, accounts: Accounts, actor: Actor) -> w.Widget:
    """The page for an ``admin-ad`` user."""
    if actor.role != ADMIN_AD or not actor.ad:
        return w.HTML("<p class='refus'>Cette page est réservée aux gestionnaires d'AD.</p>")
    books, accounts = books.as_user(actor), accounts.as_user(actor)
    ad_name = dict(books.ads()).get(actor.ad, actor.ad)
    state: dict = {"view": None, "profiles": [], "pending": None}

    summary = w.HTML()
    summary.add_class("ad-summary-box")
    table = w.HTML()
    table.add_class("ad-table")
    status = w.HTML()
    status.add_class("ad-status")
    show = w.Dropdown(options=SHOW, value="toutes", description="Afficher", layout=w.Layout(width="420px"))
    show.add_class("ad-filter")
    kind = w.Dropdown(options=[("toutes les alertes", "")] + [(t, k) for k, t in ALERT_COLUMNS],
                      description="Alerte")
    kind.add_class("ad-alert-filter")
    search = w.Text(description="Chercher", placeholder="code, nom de l'école, mandataire")
    search.add_class("ad-search")
    export_csv = w.Button(description="Exporter la liste (CSV)", icon="download", layout=WIDE)
    export_csv.add_class("export-csv")
    export_xlsx = w.Button(description="Exporter la liste (XLSX)", icon="download", layout=WIDE)
    export_xlsx.add_class("export-xlsx")
    exported = w.HTML()
    exported.add_class("ad-export")

    def say(msg: str, ok: bool = True) -> None:
        color = "#060" if ok else "#b00"
        status.value = f"<p class='{'ok' if ok else 'refus'}' style='color:{color}'>{_e(msg)}</p>"

    def shown() -> list[CoopNeed]:
        view = state["view"]
        return [r for r in view.rows if keep(r, show.value, kind.value, search.value)] if view else []

    def redraw(*_) -> None:
        if state["view"] is not None:
            table.value = overview_html(state["view"], shown(), ad_name)

    def refresh(view: bool = True) -> None:
        """Accounts always; the morning view (a few seconds for 500 coops) only when asked:
        an account action changes no coop's figures."""
        profiles = accounts.list()
        state["profiles"] = profiles
        accounts_table.value = accounts_html(profiles)
        current = users_dd.value
        _fill(users_dd, [(f"{p.login} — {p.state}", p.login) for p in profiles if p.role == MANDATAIRE])
        if current in [v for _, v in users_dd.options]:
            users_dd.value = current
        if not view:
            return
        names: dict[str, list[str]] = {}
        for p in profiles:
            if p.role == MANDATAIRE and p.coop:
                names.setdefault(p.coop, []).append(p.full_name or p.login)
        mv = morning_view(books, actor.ad, mandataires={k: tuple(v) for k, v in names.items()})
        state["view"] = mv
        summary.value = summary_html(mv, ad_name)
        redraw()
        by_code = sorted(mv.rows, key=lambda r: r.code)
        _fill(coop_dd, [(f"{r.code} {r.name}", r.code) for r in by_code])
        locked = [r for r in by_code if r.state == "soumis"]
        _fill(locked_dd, [(f"{r.code} {r.exercice} (soumis)", (r.code, r.exercice)) for r in locked]
              or [("aucun exercice soumis", None)])

    for control in (show, kind, search):
        control.observe(redraw, names="value")

    def on_export(fmt: str):
        def handler(_):
            rows = shown()
            stem = f"relances-{actor.ad}-{state['view'].today:%Y-%m-%d}"
            if fmt == "csv":
                exported.value = download_link(reminders_csv(rows), f"{stem}.csv", "text/csv",
                                               f"{stem}.csv ({len(rows)} coopératives)")
            else:
                exported.value = download_link(
                    reminders_xlsx(rows), f"{stem}.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    f"{stem}.xlsx ({len(rows)} coopératives)")
        return handler

    export_csv.on_click(on_export("csv"))
    export_xlsx.on_click(on_export("xlsx"))

    # -- accounts
    accounts_table = w.HTML()
    accounts_table.add_class("ad-accounts-box")
    login = w.Text(description="Identifiant")
    login.add_class("new-login")
    coop_dd = w.Dropdown(description="Coopérative")
    coop_dd.add_class("new-coop")
    create = w.Button(description="Créer le compte mandataire", button_style="primary", layout=WIDE)
    create.add_class("create-account")
    users_dd = w.Dropdown(description="Compte", layout=w.Layout(width="360px"))
    users_dd.add_class("account-choice")
    unlock_acc = w.Button(description="Débloquer", layout=WIDE)
    unlock_acc.add_class("unlock-account")
    reset = w.Button(description="Réinitialiser le mot de passe…", layout=WIDE)
    reset.add_class("reset-account")
    deactivate = w.Button(description="Désactiver…", button_style="danger", layout=WIDE)
    deactivate.add_class("deactivate-account")
    reactivate = w.Button(description="Réactiver", layout=WIDE)
    reactivate.add_class("reactivate-account")
    confirm_text = w.HTML()
    confirm_text.add_class("confirm-text")
    confirm = w.Button(description="Confirmer", button_style="warning", layout=WIDE)
    confirm.add_class("confirm-action")
    cancel = w.Button(description="Annuler", layout=WIDE)
    cancel.add_class("cancel-action")
    confirm_box = w.HBox([confirm_text, confirm, cancel])
    confirm_box.add_class("confirm-box")
    confirm_box.layout.display = "none"

    def ask(action: str, question: str) -> None:
        if not users_dd.value:
            return say("choisissez d'abord un compte", False)
        state["pending"] = (action, users_dd.value)
        confirm_text.value = f"<b>{_e(question)}</b>"
        confirm_box.layout.display = "flex"

    def close_confirm() -> None:
        state["pending"] = None
        confirm_box.layout.display = "none"

    def act(action: str, who: str) -> None:
        try:
            if action == "reset":
                temp = accounts.reset(who)
                say(f"Mot de passe de {who} réinitialisé. Mot de passe provisoire à transmettre : {temp}")
            elif action == "deactivate":
                accounts.deactivate(who)
                say(f"Compte {who} désactivé : il ne peut plus se connecter et sa session en cours est fermée.")
            elif action == "reactivate":
                accounts.reactivate(who)
                say(f"Compte {who} réactivé : il peut de nouveau se connecter avec son mot de passe.")
            elif action == "unlock":
                accounts.unlock(who)
                say(f"Compte {who} débloqué.")
        except RetkoopError as e:
            return say(str(e), False)
        refresh(view=False)

    def on_create(_):
        try:
            temp = accounts.add(login.value, MANDATAIRE, coop=coop_dd.value)
        except RetkoopError as e:
            return say(str(e), False)
        say(f"Compte {login.value.strip().lower()} créé. Mot de passe provisoire à transmettre : {temp}")
        refresh(view=False)

    def on_confirm(_):
        pending = state["pending"]
        close_confirm()
        if pending:
            act(*pending)

    create.on_click(on_create)
    unlock_acc.on_click(lambda _: act("unlock", users_dd.value) if users_dd.value else say(
        "choisissez d'abord un compte", False))
    reactivate.on_click(lambda _: act("reactivate", users_dd.value) if users_dd.value else say(
        "choisissez d'abord un compte", False))
    reset.on_click(lambda _: ask("reset", f"Réinitialiser le mot de passe de {users_dd.value} ? Son mot de passe "
                                          "actuel cessera de fonctionner et ses sessions seront fermées."))
    deactivate.on_click(lambda _: ask("deactivate", f"Désactiver le compte {users_dd.value} ? Il ne pourra plus "
                                                    "se connecter et sa session en cours sera fermée."))
    confirm.on_click(on_confirm)
    cancel.on_click(lambda _: (close_confirm(), say("Action annulée.")))

    # -- reopen a submitted CRF
    locked_dd = w.Dropdown(description="Exercice")
    reason = w.Text(description="Raison", placeholder="ex. correction d'une ventilation")
    reason.add_class("unlock-reason")
    unlock = w.Button(description="Rouvrir l'exercice", button_style="warning", layout=WIDE)
    unlock.add_class("unlock-crf")

    def on_unlock(_):
        if not locked_dd.value:
            return say("aucun exercice soumis à rouvrir", False)
        coop, ex = locked_dd.value
        try:
            books.reopen_exercice(coop, ex, reason.value)
        except RetkoopError as e:
            return say(str(e), False)
        say(f"Exercice {ex} de {coop} rouvert (raison tracée).")
        reason.value = ""
        refresh()

    unlock.on_click(on_unlock)
    refresh()
    logout = w.HTML(logout_html())  # « Se déconnecter », under the hub (widgets/common.py)
    return w.VBox([
        w.HBox([summary, logout], layout=w.Layout(justify_content="space-between", align_items="flex-start")),
        w.HBox([show, kind, search]), w.HBox([export_csv, export_xlsx, exported]), table,
        w.HTML("<h3>Comptes des mandataires</h3>"), accounts_table,
        w.HBox([users_dd, unlock_acc, reset, deactivate, reactivate]), confirm_box, status,
        w.HBox([login, coop_dd, create]),
        w.HTML("<h3>Rouvrir un compte rendu financier soumis</h3>"), w.HBox([locked_dd, reason, unlock])])


def page() -> w.Widget:
    """Entry point of ``notebooks/ad.ipynb``: identity from the hub's environment."""
    from ..identity import current_actor
    try:
        actor = current_actor()
        return build(Books(), Accounts(), actor)
    except RetkoopError as e:
        return w.HTML(f"<p class='refus'>{html.escape(str(e))}</p>")
