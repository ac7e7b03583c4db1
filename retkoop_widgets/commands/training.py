"""``retkoop formation …``: training sessions from the command line (the trainer's
notebook does the same through ``training.widgets.TrainerView``).

    retkoop formation session create MARS-2026 --ad AD76 --stagiaires 8 [--exercice 2025-2026]
    retkoop formation session list
    retkoop formation progression MARS-2026
    retkoop formation verifier FORM-MARS-2026-01 [--exercice-formation facture_occe]
    retkoop formation reset FORM-MARS-2026-01 [--raison "nouvelle séance"]
"""
from __future__ import annotations

from . import french_help


def _books():
    from ..services import Books
    return Books(None, "cli")


def register(sub) -> None:
    f = sub.add_parser("formation", help="sessions de formation des mandataires (bacs à sable)", add_help=False)
    french_help(f)
    fs = f.add_subparsers(dest="formation_cmd", metavar="ACTION", required=True)

    s = fs.add_parser("session", help="créer ou lister les sessions", add_help=False)
    french_help(s)
    ss = s.add_subparsers(dest="session_cmd", metavar="ACTION", required=True)
    p = ss.add_parser("create", help="créer N bacs à sable et N comptes stagiaires", add_help=False)
    french_help(p)
    p.add_argument("name", metavar="NOM", help="nom de la session, ex. MARS-2026")
    p.add_argument("--ad", required=True, help="AD des bacs à sable, ex. AD76")
    p.add_argument("--stagiaires", type=int, default=8, help="nombre de stagiaires (défaut : 8)")
    p.add_argument("--exercice", help="exercice des bacs à sable (défaut : le dernier exercice terminé)")
    p.add_argument("--sans-comptes", action="store_true", help="ne pas créer les comptes stagiaires")
    p.set_defaults(func=cmd_create)
    p = ss.add_parser("list", help="lister les sessions", add_help=False)
    french_help(p)
    p.set_defaults(func=cmd_list)

    p = fs.add_parser("progression", help="tableau stagiaires × exercices", add_help=False)
    french_help(p)
    p.add_argument("name", metavar="NOM", help="nom de la session")
    p.set_defaults(func=cmd_progress)

    p = fs.add_parser("verifier", help="le détail des vérifications d'un bac à sable", add_help=False)
    french_help(p)
    p.add_argument("coop", metavar="BAC_A_SABLE", help="ex. FORM-MARS-2026-01")
    p.add_argument("--exercice-formation", metavar="ID", help="un seul exercice (ex. facture_occe)")
    p.set_defaults(func=cmd_check)

    p = fs.add_parser("reset", help="réinitialiser un bac à sable (tout son contenu est effacé)", add_help=False)
    french_help(p)
    p.add_argument("coop", metavar="BAC_A_SABLE", help="ex. FORM-MARS-2026-01")
    p.add_argument("--raison", default="réinitialisation du bac à sable", help="raison (journal d'audit)")
    p.set_defaults(func=cmd_reset)


def cmd_create(a) -> int:
    from ..training import sandbox as sb
    r = sb.create_session(_books(), a.name, a.ad, a.stagiaires, a.exercice, accounts=not a.sans_comptes)
    print(f"session {r.session} créée : {len(r.trainees)} bac(s) à sable, exercice {r.exercice}")
    for t in r.trainees:
        pw = f"  mot de passe provisoire : {t['password']}" if t["password"] else ""
        print(f"  {t['coop']}  identifiant {t['login']}{pw}")
    if r.accounts_note:
        print(r.accounts_note)
    return 0


def cmd_list(a) -> int:
    from ..training import sandbox as sb
    names = sb.sessions(_books())
    print("\n".join(names) if names else "aucune session de formation")
    return 0


def cmd_progress(a) -> int:
    from ..training import sandbox as sb
    df = sb.progress(_books(), a.name)
    if df.empty:
        print(f"aucun bac à sable pour la session {sb.normalize_session(a.name)}")
        return 0
    print(df.to_string())
    return 0


def cmd_check(a) -> int:
    from ..training import sandbox as sb
    from ..training.checks import check
    from ..training.scenario import EXERCISES
    box = sb.load_sandbox(_books(), a.coop.strip().upper())
    ids = [a.exercice_formation] if a.exercice_formation else [e.id for e in EXERCISES]
    for i in ids:
        print(check(i, box).text())
    return 0


def cmd_reset(a) -> int:
    from ..training import sandbox as sb
    before = sb.reset_sandbox(_books(), a.coop, a.raison)
    print(f"{a.coop.upper()} réinitialisé : {before['ecritures']} écriture(s), {before['arretes_de_caisse']} "
          f"arrêté(s) de caisse, {before['subventions']} subvention(s) effacés")
    return 0
