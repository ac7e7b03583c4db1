"""Who is acting in this dashboard, and which coop it shows: ONE place decides.

Why one place: the same dashboard runs standalone (``retkoop demo``: the demo mandataire)
and under JupyterHub, where the hub starts each single-user server with the logged-in
person's identity in environment variables. Permission itself is never decided here:
``Books`` enforces it through ``domain.actor.Actor`` on every call, so a wrong ``?coop=``
in the URL only yields a French refusal.

No identity is a refusal, not a guess (fail closed): a kernel with no ``RETKOOP_USER``
acts as the demo mandataire ONLY when ``retkoop demo`` asked for it (``RETKOOP_DEMO=1``,
set by ``dashboard_server.start(demo=True)``) and never inside a JupyterHub server
(``JUPYTERHUB_*`` in the environment), where a missing identity is a misconfiguration.

Contract with the hub (env vars of the single-user server):
``RETKOOP_USER`` login; ``RETKOOP_ROLE`` mandataire | admin-ad | formateur;
``RETKOOP_COOP`` the mandataire's coop; ``RETKOOP_AD`` the admin-ad's AD.
AD staff and formateurs pick the coop with the page's query string ``?coop=AD76-0421``,
which Voilà hands to the kernel as ``QUERY_STRING``.
"""
from __future__ import annotations

import os
from typing import Mapping
from urllib.parse import parse_qs

from .domain.actor import ADMIN_AD, ANALYSTE, FORMATEUR, MANDATAIRE, Actor
from .domain.errors import Forbidden
from .settings import Settings, settings

DEMO_USER = "demo"
DEMO_COOP = "AD76-0421"


def _query_coop(env: Mapping[str, str]) -> str | None:
    qs = parse_qs(env.get("QUERY_STRING", "") or "")
    values = qs.get("coop") or []
    code = (values[0] if values else "").strip().upper()
    return code or None


NO_IDENTITY = ("accès refusé : aucune identité n'accompagne ce tableau de bord (il doit être ouvert "
               "depuis la plateforme Retkoop, après connexion). Pour la démonstration locale, lancez "
               "« retkoop demo ».")


def under_hub(env: Mapping[str, str]) -> bool:
    """Inside a JupyterHub single-user server (where a missing identity is a misconfiguration)."""
    return any(env.get(k) for k in ("JUPYTERHUB_USER", "JUPYTERHUB_API_TOKEN", "JUPYTERHUB_SERVICE_PREFIX"))


def current_actor(env: Mapping[str, str] | None = None) -> Actor:
    s = settings() if env is None else Settings.from_env(env)
    env = os.environ if env is None else env
    if not s.user:
        if s.demo and not under_hub(env):
            return Actor(DEMO_USER, MANDATAIRE, coop=DEMO_COOP)
        raise Forbidden(NO_IDENTITY)
    user, role = s.user, s.role or MANDATAIRE
    if role == MANDATAIRE:
        return Actor(user, MANDATAIRE, coop=s.coop)
    if role == ADMIN_AD:
        return Actor(user, ADMIN_AD, ad=s.ad)
    if role == FORMATEUR:
        return Actor(user, FORMATEUR)
    raise Forbidden(f"rôle « {role} » inconnu : le tableau de bord est réservé aux mandataires, "
                    "à l'AD et aux formateurs")


NO_AD = ("accès refusé : ce compte analyste n'est rattaché à aucune AD. Un analyste lit les "
         "coopératives de son AD (« retkoop user add … --role analyste --ad AD76 ») ; la lecture de "
         "toutes les AD est réservée aux analystes nationaux déclarés sur le hub "
         "(RETKOOP_NATIONAL_ANALYSTS).")


def analyst_actor(env: Mapping[str, str] | None = None) -> Actor:
    """The analyst of this server, fail closed: no identity, another role, or no AD without
    the hub's explicit ``RETKOOP_NATIONAL=1`` is a French refusal, never "every AD"."""
    s = settings() if env is None else Settings.from_env(env)
    if not s.user:
        raise Forbidden(NO_IDENTITY)
    if s.role != ANALYSTE:
        raise Forbidden(f"accès refusé : l'analyse départementale est réservée aux analystes "
                        f"(compte {s.user}, rôle « {s.role or MANDATAIRE} »)")
    if s.ad is None and not s.national:
        raise Forbidden(NO_AD)
    return Actor(s.user, ANALYSTE, ad=s.ad, national=s.national and s.ad is None)


def require_analysis_of(ad: str, env: Mapping[str, str] | None = None) -> None:
    """An analysis notebook about ``ad``: under the hub, only the analyst's own AD (or any,
    for a national analyst). Outside a hub (the operator's own Jupyter, with the platform's
    URL) nothing is decided here: that person owns the database anyway."""
    s = settings() if env is None else Settings.from_env(env)
    e = os.environ if env is None else env
    if not (s.user or s.role or under_hub(e)):
        return
    actor = analyst_actor(env)
    code = (ad or "").strip().upper()
    if not actor.national and code != actor.ad:
        raise Forbidden(f"accès refusé : {actor.login} analyse l'AD {actor.ad}, pas « {code} »")


def current_context(books=None, env: Mapping[str, str] | None = None) -> tuple[Actor, str]:
    """(acting user, coop code shown). ``books`` (optional) lets an AD user or a formateur
    without ``?coop=`` land on the first coop they may read."""
    env = os.environ if env is None else env
    actor = current_actor(env)
    if actor.role == MANDATAIRE:
        if not actor.coop:
            raise Forbidden(f"aucune coopérative n'est associée au compte {actor.login}")
        return actor, actor.coop
    coop = _query_coop(env)
    if coop:
        return actor, coop
    if books is not None:
        reachable = books.as_user(actor).coops()
        if reachable:
            return actor, reachable[0]["code"]
    raise Forbidden("choisissez une coopérative : ajoutez ?coop=CODE à l'adresse de la page")
