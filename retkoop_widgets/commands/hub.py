"""``retkoop user …``, ``retkoop hub``, ``retkoop backup``, ``retkoop restore``."""
from __future__ import annotations

import sys
from pathlib import Path

from ..domain.actor import ROLES
from ..domain.errors import ValidationError

ACTOR = "cli"  # the platform operator; audit records say so


def _url(args) -> str | None:
    from ..settings import settings
    return getattr(args, "db", None) or settings().db_url


def _read_password(args) -> str | None:
    if not args.password_stdin:
        return None
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise ValidationError("aucun mot de passe lu sur l'entrée standard", "password")
    return password


def _accounts(args):
    from ..domain.actor import SYSTEM, Actor
    from ..services.accounts import Accounts
    return Accounts(_url(args), Actor(ACTOR, SYSTEM))


def cmd_user_add(args) -> int:
    temp = _accounts(args).add(args.login, args.role, coop=args.coop, ad=args.ad,
                               full_name=args.name or "", password=_read_password(args))
    if temp:
        print(f"Compte {args.login.lower()} créé. Mot de passe provisoire (à changer à la première "
              f"connexion) : {temp}")
    else:
        print(f"Compte {args.login.lower()} créé (mot de passe définitif).")
    return 0


def cmd_user_reset(args) -> int:
    temp = _accounts(args).reset(args.login, _read_password(args))
    if temp:
        print(f"Mot de passe de {args.login.lower()} réinitialisé. Mot de passe provisoire : {temp}")
    else:
        print(f"Mot de passe de {args.login.lower()} remplacé (définitif).")
    return 0


def cmd_user_unlock(args) -> int:
    accounts = _accounts(args)
    accounts.unlock(args.login)
    if not accounts.profile(args.login).active:  # the old « lock » was a deactivation
        accounts.reactivate(args.login)
    print(f"Compte {args.login.lower()} débloqué.")
    return 0


def cmd_user_deactivate(args) -> int:
    _accounts(args).deactivate(args.login, args.reason or "")
    print(f"Compte {args.login.lower()} désactivé : il ne peut plus se connecter ; ses sessions, jetons et "
          "serveur sont arrêtés (« retkoop user reactivate » pour le rétablir).")
    return 0


def cmd_user_reactivate(args) -> int:
    _accounts(args).reactivate(args.login, args.reason or "")
    print(f"Compte {args.login.lower()} réactivé : il peut de nouveau se connecter.")
    return 0


def cmd_user_list(args) -> int:
    rows = _accounts(args).list(args.ad)
    if not rows:
        print("Aucun compte.")
        return 0
    print(f"{'identifiant':<20} {'rôle':<11} {'coop / AD':<12} {'état':<24} dernière connexion")
    for p in rows:
        state = p.state  # actif, provisoire, verrouillé, désactivé
        if p.state == "verrouillé":
            state += f" ({p.failed_logins} échecs)"
        last = f"{p.last_login:%d/%m/%Y %H:%M}" if p.last_login else "jamais"
        print(f"{p.login:<20} {p.role:<11} {(p.coop or p.ad or '—'):<12} {state:<24} {last}")
    return 0


def cmd_hub(args) -> int:
    from ..hub.launcher import HubSettings, run
    from ..storage.db import resolve_url
    # every default (data folder, role URLs, public URL, proxy, homes…) from the one Settings
    settings = HubSettings(db_url=resolve_url(_url(args)), port=args.port, ip=args.ip)
    if args.data_dir:
        settings.data_dir = Path(args.data_dir)
    if args.public_url:
        settings.public_url = args.public_url
    if args.trusted_proxy:
        settings.trusted_proxy = args.trusted_proxy
    if args.notebooks:
        settings.notebooks_dir = Path(args.notebooks)
    return run(settings, demo=args.demo, backup_dir=Path(args.backup_dir) if args.backup_dir else None,
               backup_every_hours=args.backup_every, keep=args.keep)


def cmd_roles(args) -> int:
    """Create or refresh the PostgreSQL roles of the servers (what ``retkoop hub`` does at each
    start), for a hub started otherwise (Zero to JupyterHub): prints the variables to set."""
    from ..hub.db_roles import ensure_roles
    from ..settings import settings
    from ..storage.db import resolve_url
    url = resolve_url(_url(args))
    if not url.startswith("postgresql"):
        print("retkoop : les rôles n'existent qu'avec PostgreSQL (SQLite : rien à faire)", file=sys.stderr)
        return 1
    folder = Path(args.dir) if args.dir else settings().hub_data_dir
    urls = ensure_roles(url, folder)
    print(f"Rôles retkoop_tableaux, retkoop_formateur, retkoop_analyste à jour (mots de passe dans {folder}, "
          "mode 0600). Variables du hub (à garder secrètes) :")
    for var, key in (("RETKOOP_DASHBOARD_DB_URL", "tableaux"), ("RETKOOP_FORMATEUR_DB_URL", "formateur"),
                     ("RETKOOP_ANALYST_DB_URL", "analyste")):
        print(f"{var}={urls[key]}")
    return 0


def cmd_backup(args) -> int:
    from ..backup import backup
    from ..storage.db import data_dir
    path = backup(_url(args), Path(args.dir) if args.dir else data_dir() / "sauvegardes", keep=args.keep)
    print(f"Sauvegarde écrite : {path}")
    return 0


def cmd_restore(args) -> int:
    from ..backup import restore
    if not args.yes:
        print("La restauration remplace tout le contenu de la base. Relancez avec --oui pour confirmer.",
              file=sys.stderr)
        return 1
    restore(_url(args), Path(args.file))
    print(f"Base restaurée depuis {args.file}.")
    return 0


def register(sub) -> None:
    user = sub.add_parser("user", help="comptes des utilisateurs (mandataires, AD, formateurs, analystes)")
    us = user.add_subparsers(dest="user_command", metavar="ACTION", parser_class=type(user))
    us.required = True

    add = us.add_parser("add", help="créer un compte (mot de passe provisoire généré par défaut)")
    add.add_argument("login", help="identifiant (minuscules, chiffres, . _ -)")
    add.add_argument("--role", required=True, choices=ROLES, help="rôle du compte")
    add.add_argument("--coop", help="coopérative du mandataire (ex. AD76-0421)")
    add.add_argument("--ad", help="AD de l'admin-ad ou de l'analyste (ex. AD76)")
    add.add_argument("--name", help="nom complet")
    add.add_argument("--password-stdin", action="store_true",
                     help="lire le mot de passe (définitif) sur l'entrée standard")
    add.set_defaults(func=cmd_user_add)

    reset = us.add_parser("reset", help="réinitialiser le mot de passe (et débloquer)")
    reset.add_argument("login")
    reset.add_argument("--password-stdin", action="store_true",
                       help="lire le nouveau mot de passe (définitif) sur l'entrée standard")
    reset.set_defaults(func=cmd_user_reset)

    unlock = us.add_parser("unlock", help="débloquer un compte (verrouillé ou ralenti après des erreurs)")
    unlock.add_argument("login")
    unlock.set_defaults(func=cmd_user_unlock)

    for name, func, what in (("deactivate", cmd_user_deactivate,
                              "désactiver un compte (départ) : plus de connexion, fin immédiate de ses sessions"),
                             ("lock", cmd_user_deactivate, "ancien nom de « deactivate »"),
                             ("reactivate", cmd_user_reactivate, "réactiver un compte désactivé")):
        sp = us.add_parser(name, help=what)
        sp.add_argument("login")
        sp.add_argument("--raison", dest="reason", help="motif, gardé dans le journal")
        sp.set_defaults(func=func)

    ls = us.add_parser("list", help="lister les comptes")
    ls.add_argument("--ad", help="seulement les comptes de cette AD")
    ls.set_defaults(func=cmd_user_list)

    hub = sub.add_parser("hub", help="démarrer la plateforme multi-coopératives (JupyterHub)")
    hub.add_argument("--port", type=int, default=8000, help="port public (défaut : 8000)")
    hub.add_argument("--ip", default="127.0.0.1", help="adresse d'écoute (défaut : 127.0.0.1)")
    hub.add_argument("--public-url", help="adresse publique derrière nginx (https://… : cookies Secure)")
    hub.add_argument("--trusted-proxy", help="adresse(s) du proxy inverse dont X-Real-IP est cru (ex. 127.0.0.1)")
    hub.add_argument("--demo", action="store_true", help="créer les données et comptes de démonstration")
    hub.add_argument("--data-dir", help="dossier d'état du Hub (défaut : <données>/hub)")
    hub.add_argument("--notebooks", help="dossier des carnets servis (défaut : ceux installés avec Retkoop)")
    hub.add_argument("--backup-dir", help="dossier des sauvegardes planifiées (défaut : <données>/sauvegardes)")
    hub.add_argument("--backup-every", type=float, default=6,
                     help="heures entre deux sauvegardes (0 : aucune ; défaut : 6)")
    hub.add_argument("--keep", type=int, default=28, help="sauvegardes conservées (défaut : 28)")
    hub.set_defaults(func=cmd_hub)

    roles = sub.add_parser("roles", help="créer ou mettre à jour les rôles PostgreSQL des serveurs "
                                         "(tableaux de bord, formateurs, analystes)")
    roles.add_argument("--dir", help="dossier des mots de passe des rôles (défaut : dossier d'état du Hub)")
    roles.set_defaults(func=cmd_roles)

    bk = sub.add_parser("backup", help="sauvegarder la base maintenant")
    bk.add_argument("--dir", help="dossier des sauvegardes (défaut : <données>/sauvegardes)")
    bk.add_argument("--keep", type=int, default=0, help="ne garder que les N plus récentes (0 : toutes)")
    bk.set_defaults(func=cmd_backup)

    rs = sub.add_parser("restore", help="restaurer la base depuis une sauvegarde (remplace tout)")
    rs.add_argument("file", help="fichier .sqlite3 ou .dump")
    rs.add_argument("--oui", dest="yes", action="store_true", help="confirmer le remplacement")
    rs.set_defaults(func=cmd_restore)
