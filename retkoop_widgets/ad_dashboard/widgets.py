"""The AD dashboard page (ipywidgets). Thin: every action is a ``Books`` or ``Accounts`` call."""
from __future__ import annotations

import html
from urllib.parse import quote

import ipywidgets as w

from ..domain.actor import ADMIN_AD, MANDATAIRE, Actor
from ..domain.dates import format_date
from ..domain.errors import RetkoopError
from ..domain.money import format_eur
from ..services.accounts import Accounts
from ..services.books import Books
from .queries import CoopState, ad_overview

DASHBOARD = "tableau_de_bord.ipynb"


def _d(day) -> str:
    return format_date(day) or "—"


def _fill(dropdown: w.Dropdown, options: list) -> None:
    dropdown.options = options
    dropdown.value = options[0][1] if options else None


WIDE = w.Layout(width="auto")


def overview_html(rows: list[CoopState], ad_name: str) -> str:
    head = ("<tr><th>Coopérative</th><th>Exercice</th><th>État</th><th>Banque</th><th>Caisse</th>"
            "<th>Dernière écriture</th><th>Dernier pointage</th><th>Dernier arrêté de caisse</th>"
            "<th>Alertes</th><th></th></tr>")
    body = []
    for r in rows:
        link = f"<a class='open-coop' href='{DASHBOARD}?coop={quote(r.code)}' target='_blank'>ouvrir</a>"
        alert = f"<b style='color:#b00'>{r.alerts}</b>" if r.alerts else "0"
        body.append(
            f"<tr class='coop-row' data-coop='{html.escape(r.code)}'><td><b>{html.escape(r.code)}</b> "
            f"{html.escape(r.name)}</td><td>{r.exercice or '—'}</td><td>{html.escape(r.state_label)}</td>"
            f"<td style='text-align:right'>{format_eur(r.bank) if r.bank is not None else '—'}</td>"
            f"<td style='text-align:right'>{format_eur(r.cash) if r.cash is not None else '—'}</td>"
            f"<td>{_d(r.last_entry)}</td><td>{_d(r.last_pointage)}</td><td>{_d(r.last_cash_count)}</td>"
            f"<td style='text-align:center'>{alert}</td><td>{link}</td></tr>")
    return (f"<h2 class='ad-title'>{html.escape(ad_name)} — {len(rows)} coopératives</h2>"
            "<table class='ad-overview' style='border-collapse:collapse' border='1' cellpadding='4'>"
            f"{head}{''.join(body)}</table>")


def build(books: Books, accounts: Accounts, actor: Actor) -> w.Widget:
    """The page for an ``admin-ad`` user."""
    if actor.role != ADMIN_AD or not actor.ad:
        return w.HTML("<p class='refus'>Cette page est réservée aux gestionnaires d'AD.</p>")
    books, accounts = books.as_user(actor), Accounts(accounts.engine, actor)
    ad_name = dict(books.ads()).get(actor.ad, actor.ad)
    table = w.HTML()
    table.add_class("ad-table")
    status = w.HTML()
    status.add_class("ad-status")

    def say(msg: str, ok: bool = True) -> None:
        color = "#060" if ok else "#b00"
        status.value = f"<p class='{'ok' if ok else 'refus'}' style='color:{color}'>{html.escape(msg)}</p>"

    def refresh() -> list[CoopState]:
        rows = ad_overview(books, actor.ad)
        table.value = overview_html(rows, ad_name)
        _fill(coop_dd, [(f"{r.code} {r.name}", r.code) for r in rows])
        _fill(locked_dd, [(f"{r.code} {r.exercice} ({r.state_label})", (r.code, r.exercice))
                          for r in rows if r.locked] or [("aucun exercice soumis", None)])
        _fill(users_dd, [(p.login, p.login) for p in accounts.list()])
        return rows

    # -- accounts
    login = w.Text(description="Identifiant")
    login.add_class("new-login")
    coop_dd = w.Dropdown(description="Coopérative")
    create = w.Button(description="Créer le compte mandataire", button_style="primary", layout=WIDE)
    create.add_class("create-account")
    users_dd = w.Dropdown(description="Compte")
    reset = w.Button(description="Réinitialiser le mot de passe", layout=WIDE)
    reset.add_class("reset-account")

    def on_create(_):
        try:
            temp = accounts.add(login.value, MANDATAIRE, coop=coop_dd.value)
        except RetkoopError as e:
            return say(str(e), False)
        say(f"Compte {login.value.strip().lower()} créé. Mot de passe provisoire à transmettre : {temp}")
        refresh()

    def on_reset(_):
        try:
            temp = accounts.reset(users_dd.value)
        except RetkoopError as e:
            return say(str(e), False)
        say(f"Mot de passe de {users_dd.value} réinitialisé. Mot de passe provisoire : {temp}")

    create.on_click(on_create)
    reset.on_click(on_reset)

    # -- unlock a submitted CRF
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
    return w.VBox([
        table,
        w.HTML("<h3>Comptes</h3>"), w.HBox([login, coop_dd, create]), w.HBox([users_dd, reset]),
        w.HTML("<h3>Rouvrir un compte rendu financier soumis</h3>"), w.HBox([locked_dd, reason, unlock]),
        status])


def page() -> w.Widget:
    """Entry point of ``notebooks/ad.ipynb``: identity from the hub's environment."""
    from ..identity import current_actor
    try:
        actor = current_actor()
        return build(Books(), Accounts(), actor)
    except RetkoopError as e:
        return w.HTML(f"<p class='refus'>{html.escape(str(e))}</p>")
