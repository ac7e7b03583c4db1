"""The audit log read as French sentences: who changed what, when, before → after, and why.

Why a pure formatter: the same sentences are printed by ``retkoop audit``, shown in the
dashboard's « Historique » section, and in the notice a teacher reads when the AD or a
formateur changed her books (« L'AD76 a modifié la pièce 032 le 07/12 à 20:11 : motif … »).
They are decided here once, from the audit records alone (plus who the actors are and the
pièce of an entry the record does not name), so the three places never disagree.

Every audited action the services write has a sentence in ``SENTENCES`` (keyed by object
type and action); ``tests/test_history.py`` finds every ``audit(…)`` call of the package
and fails when one has none. An unknown pair still reads (« a fait « x » sur … »): an old
record never breaks the history.

Input records are duck-typed (``at``, ``actor``, ``action``, ``object_type``,
``object_id``, ``exercice``, ``before``, ``after``, ``reason``, ``id``): the storage's
``AuditRecord`` or anything shaped like it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable, Iterable, Mapping, Protocol

from .actor import ADMIN_AD, ANALYSTE, FORMATEUR, MANDATAIRE
from .chart import TREASURY
from .dates import format_date
from .money import format_eur


class Record(Protocol):
    id: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    exercice: str | None
    before: dict | None
    after: dict | None
    reason: str


#: login → (role, coop, ad) of the accounts that acted (``Repository.actor_roles``).
Roles = Mapping[str, tuple]


@dataclass(frozen=True)
class HistoryLine:
    """One audit record, in French. ``sentence`` is the whole line; the parts are kept for
    a table (the dashboard) and for tests."""
    id: int
    at: datetime
    who: str          # « ad76 (AD76) », « tilleuls »
    when: str         # « le 07/12/2026 à 20:11 »
    what: str         # « a modifié la pièce 032 (exercice 2025-2026) »
    changes: tuple[str, ...]  # « montant : 12,34 € → 21,34 € »
    reason: str
    by_staff: bool    # made by AD staff or a formateur (highlighted; they owe a reason)

    @property
    def sentence(self) -> str:
        text = f"{self.who} {self.what} {self.when}"
        if self.changes:
            text += " : " + " ; ".join(self.changes)
        if self.reason:
            text += f" — motif : {self.reason}"
        return text


# -- who and when ----------------------------------------------------------------------
def who(login: str, roles: Roles) -> str:
    """« ad76 (AD76) » for AD staff, « f.dupont (formateur) », « tilleuls » for a
    mandataire, and a login with no account (the CLI, demo data, a deleted account) as it is."""
    found = roles.get(login)
    if found is None:
        return login
    role, _coop, ad = (tuple(found) + (None, None, None))[:3]
    if role == ADMIN_AD:
        return f"{login} ({ad})" if ad else f"{login} (AD)"
    if role == FORMATEUR:
        return f"{login} (formateur)"
    if role == ANALYSTE:
        return f"{login} (analyste)"
    return login


def is_staff(login: str, roles: Roles, coop: str | None = None) -> bool:
    """Whether ``login`` is someone other than a mandataire of the coop (the AD, a
    formateur, the platform): their changes are what the teacher is told of."""
    found = roles.get(login)
    if found is None:
        return True
    role, acct_coop = (tuple(found) + (None, None))[:2]
    return role != MANDATAIRE or (coop is not None and acct_coop not in (None, coop))


def staff_name(login: str, roles: Roles) -> str:
    """The subject of a notice: « L'AD76 », « Le formateur f.dupont », « La plateforme (cli) »."""
    found = roles.get(login)
    if found is None:
        return f"La plateforme ({login})"
    role, _coop, ad = (tuple(found) + (None, None, None))[:3]
    if role == ADMIN_AD:
        return f"L'{ad}" if ad else f"L'AD ({login})"
    if role == FORMATEUR:
        return f"Le formateur {login}"
    return login[:1].upper() + login[1:]


def when(at: datetime) -> str:
    return f"le {at:%d/%m/%Y} à {at:%H:%M}"


def when_short(at: datetime) -> str:
    return f"le {at:%d/%m} à {at:%H:%M}"


# -- values ----------------------------------------------------------------------------
LABELS = {
    "piece": "pièce", "date": "date", "libelle": "libellé", "tiers": "tiers", "mode": "mode",
    "cheque": "n° de chèque", "pointe": "pointée", "date_releve": "date du relevé", "ecritures": "ventilation",
    "montant": "montant", "banque": "banque", "caisse": "caisse", "etat": "état", "organisme": "organisme",
    "type": "type", "objet": "objet", "justificatif": "justificatif", "designation": "désignation",
    "date_acquisition": "date d'acquisition", "valeur": "valeur", "quantite": "quantité", "lieu": "lieu",
    "ecriture": "écriture", "date_sortie": "date de sortie", "motif_sortie": "motif de sortie",
    "commentaire": "commentaire", "compte": "compté", "solde_livre": "solde du cahier", "ecart": "écart",
    "fichier": "fichier", "name": "nom", "role": "rôle", "coop": "coopérative", "ad": "AD",
    "mot_de_passe": "mot de passe", "lieu_signature": "lieu", "signe_le": "signé le",
}
MONEY = {"banque", "caisse", "montant", "valeur", "compte", "solde_livre", "ecart"}
DATES = {"date", "date_releve", "date_acquisition", "date_sortie", "signe_le"}
#: Fields never shown as a change (technical, or repeated by another field).
HIDDEN = {"sha256", "ecriture", "taille", "type_fichier"}
STATES = {"ouvert": "ouvert", "soumis": "soumis", "rouvert": "rouvert", "clos": "clos"}


def value(field: str, v) -> str:
    """A stored value as a person reads it: amounts ``1 234,56 €``, dates jj/mm/aaaa."""
    if v is None or v == "":
        return "—"
    if isinstance(v, bool):
        return "oui" if v else "non"
    if field in MONEY and isinstance(v, int):
        return format_eur(v)
    if field in DATES and isinstance(v, str):
        try:
            return format_date(date.fromisoformat(v[:10]))
        except ValueError:
            return v
    if field == "ecritures" and isinstance(v, list):
        return ventilation(v) or "—"
    return str(v)


def entry_amount(snapshot: dict | None) -> int | None:
    """An entry's amount from its audit snapshot: its postings' debits."""
    if not snapshot or not isinstance(snapshot.get("ecritures"), list):
        return None
    return sum(p[1] for p in snapshot["ecritures"] if p[1] > 0)


def ventilation(postings: list) -> str:
    """The accounts other than bank and cash: « 6064 12,34 € + 6068 5,00 € »."""
    return " + ".join(f"{p[0]} {format_eur(abs(p[1]))}" for p in postings if p[0] not in TREASURY)


def _same_account(before: list | None, after: list | None) -> bool:
    """Both ventilated on the same single account (only the amount, already shown, moved)."""
    accounts = [[p[0] for p in x or [] if p[0] not in TREASURY] for x in (before, after)]
    return len(accounts[0]) == 1 and accounts[0] == accounts[1]


def changes(before: dict | None, after: dict | None) -> tuple[str, ...]:
    """« libellé : Photos → Photos de classe », for each field that changed. An entry's
    amount comes first (its postings give it)."""
    if not before or not after:
        return ()
    out = []
    a0, a1 = entry_amount(before), entry_amount(after)
    if a0 is not None and a1 is not None and a0 != a1:
        out.append(f"montant : {format_eur(a0)} → {format_eur(a1)}")
    for k in list(dict.fromkeys([*before, *after])):
        if k in HIDDEN:
            continue
        b, a = before.get(k), after.get(k)
        if b == a or (b in (None, "") and a in (None, "")):
            continue
        if k == "ecritures" and (ventilation(b or []) == ventilation(a or []) or _same_account(b, a)):
            continue  # only the treasury side, or the one account's amount: the amount above says it
        out.append(f"{LABELS.get(k, k)} : {value(k, b)} → {value(k, a)}")
    return tuple(out)


# -- what: one sentence per (object type, action) -----------------------------------------
def _piece(r: Record, pieces: Mapping[str, str]) -> str:
    for snap in (r.after, r.before):
        if snap and snap.get("piece") and r.object_type == "entry":
            return f"la pièce {snap['piece']}"
    p = pieces.get(str(r.object_id))
    return f"la pièce {p}" if p else f"l'écriture n° {r.object_id}"


def _ex(r: Record) -> str:
    return f" (exercice {r.exercice})" if r.exercice else ""


def _get(r: Record, key: str, default="") -> object:
    for snap in (r.after, r.before):
        if snap and snap.get(key) not in (None, ""):
            return snap[key]
    return default


def _subsidy(r: Record) -> str:
    grantor = _get(r, "organisme")
    amount = _get(r, "montant", None)
    amount = f" de {format_eur(amount)}" if isinstance(amount, int) else ""
    return f"la subvention{amount}{' de ' + str(grantor) if grantor else ''}"


def _good(r: Record) -> str:
    return f"le bien « {_get(r, 'designation', r.object_id)} » de l'inventaire"


def _cash(r: Record) -> str:
    day = _get(r, "date")
    count, gap = _get(r, "compte", None), _get(r, "ecart", None)
    text = f"un arrêté de caisse du {value('date', day)}" if day else "un arrêté de caisse"
    if isinstance(count, int):
        text += f" ({format_eur(count)} comptés"
        text += f", écart {format_eur(gap)})" if isinstance(gap, int) and gap else ", sans écart)"
    return text


def _pointage(r: Record, pieces) -> str:
    day = (r.after or {}).get("date_releve")
    return f"a pointé {_piece(r, pieces)} sur le relevé du {value('date', day)}" if day \
        else f"a pointé {_piece(r, pieces)}"


def _import(r: Record) -> str:
    a = r.after or {}
    n = a.get("ecritures", 0)
    src = a.get("source")
    return f"a importé {n} écriture{'s' if n != 1 else ''}{' (' + str(src) + ')' if src else ''}"


def _lock(r: Record) -> str:
    a = r.after or {}
    place = a.get("lieu")
    return "a soumis le compte rendu financier" + (f" (fait à {place})" if place else "")


def _close(r: Record) -> str:
    rep = (r.after or {}).get("report") or {}
    if isinstance(rep.get("banque"), int):
        return (f"a clos l'exercice (reporté : banque {format_eur(rep['banque'])}, "
                f"caisse {format_eur(rep.get('caisse') or 0)})")
    return "a clos l'exercice"


def _open(r: Record) -> str:
    a = r.after or {}
    if isinstance(a.get("banque"), int):
        return (f"a ouvert l'exercice (ouverture : banque {format_eur(a['banque'])}, "
                f"caisse {format_eur(a.get('caisse') or 0)})")
    return "a ouvert l'exercice"


Sentence = Callable[[Record, Mapping[str, str]], str]

#: (object type, action) → what was done, as the verb phrase after « who ».
SENTENCES: dict[tuple[str, str], Sentence] = {
    ("entry", "create"): lambda r, p: f"a saisi {_piece(r, p)}",
    ("entry", "update"): lambda r, p: f"a modifié {_piece(r, p)}",
    ("entry", "delete"): lambda r, p: f"a supprimé {_piece(r, p)}",
    ("entry", "point"): _pointage,
    ("entry", "unpoint"): lambda r, p: f"a dépointé {_piece(r, p)}",
    ("entry", "attach"): lambda r, p: f"a joint le justificatif « {_get(r, 'fichier')} » à {_piece(r, p)}",
    ("entry", "detach"): lambda r, p: f"a retiré le justificatif « {_get(r, 'fichier')} » de {_piece(r, p)}",
    ("exercice", "open"): lambda r, p: _open(r),
    ("exercice", "import"): lambda r, p: _import(r),
    ("exercice", "lock"): lambda r, p: _lock(r),
    ("exercice", "unlock"): lambda r, p: "a rouvert le compte rendu financier soumis",
    ("exercice", "close"): lambda r, p: _close(r),
    ("exercice", "carry_forward"): lambda r, p: "a reporté les soldes de l'exercice précédent",
    ("cash_count", "create"): lambda r, p: f"a enregistré {_cash(r)}",
    ("subsidy", "create"): lambda r, p: f"a ajouté {_subsidy(r)}",
    ("subsidy", "update"): lambda r, p: f"a modifié {_subsidy(r)}",
    ("subsidy", "delete"): lambda r, p: f"a supprimé {_subsidy(r)}",
    ("durable_good", "create"): lambda r, p: f"a inscrit {_good(r)}",
    ("durable_good", "update"): lambda r, p: f"a modifié {_good(r)}",
    ("durable_good", "dispose"): lambda r, p: f"a sorti {_good(r)}",
    ("durable_good", "cancel_disposal"):
        lambda r, p: f"a annulé la sortie du bien « {_get(r, 'designation', r.object_id)} » de l'inventaire",
    ("durable_good", "delete"): lambda r, p: f"a supprimé {_good(r)}",
    ("coop", "create"): lambda r, p: f"a créé la coopérative {r.object_id}",
    ("coop", "training_reset"): lambda r, p: "a réinitialisé le bac à sable",
    ("ad", "create"): lambda r, p: f"a créé l'AD {r.object_id}",
    ("ad", "chart_import"): lambda r, p: f"a chargé le plan comptable de l'AD {r.object_id}",
    ("ad", "column_mapping_save"):
        lambda r, p: f"a enregistré les colonnes de tableur « {_get(r, 'nom', '?')} » pour l'AD {r.object_id}",
    ("user", "user_create"): lambda r, p: f"a créé le compte {r.object_id}",
    ("user", "user_reset"): lambda r, p: f"a réinitialisé le mot de passe du compte {r.object_id}",
    ("user", "user_unlock"): lambda r, p: f"a déverrouillé le compte {r.object_id}",
    ("user", "user_enable"): lambda r, p: f"a réactivé le compte {r.object_id}",
    ("user", "user_disable"): lambda r, p: f"a désactivé le compte {r.object_id}",
    ("user", "password_change"): lambda r, p: "a changé son mot de passe",
    ("user", "login_failed"): lambda r, p: f"connexion refusée au compte {r.object_id}",
    ("user", "login_throttled"): lambda r, p: f"connexions suspendues pour le compte {r.object_id}",
    ("user", "login_refused"): lambda r, p: f"connexion refusée au compte désactivé {r.object_id}",
}
#: Facts shown as before → after; the others tell their change in the sentence itself.
_SHOW_CHANGES = {"update"}
#: Records with no acting person to name (a refused login).
_NO_SUBJECT = {("user", "login_failed"), ("user", "login_throttled"), ("user", "login_refused")}


def describe(r: Record, pieces: Mapping[str, str] = {}, *, with_exercice: bool = True) -> str:  # noqa: B006
    """What was done: « a modifié la pièce 032 (exercice 2025-2026) »; opening and
    closing name it: « a ouvert l'exercice 2025-2026 (…) »."""
    make = SENTENCES.get((r.object_type, r.action))
    text = make(r, pieces) if make else f"a fait « {r.action} » sur {r.object_type} {r.object_id}"
    if r.object_type == "exercice" and r.action in ("open", "close") and r.exercice:
        return text.replace("l'exercice", f"l'exercice {r.exercice}", 1)
    return text + (_ex(r) if with_exercice else "")


def line(r: Record, roles: Roles = {}, pieces: Mapping[str, str] = {}, coop: str | None = None  # noqa: B006
         ) -> HistoryLine:
    """One record as a ``HistoryLine``."""
    key = (r.object_type, r.action)
    subject = "" if key in _NO_SUBJECT else who(r.actor, roles)
    shown = changes(r.before, r.after) if r.action in _SHOW_CHANGES else ()
    role = (tuple(roles.get(r.actor) or ()) + (None,))[0]
    return HistoryLine(r.id, r.at, subject, when(r.at), describe(r, pieces), shown, (r.reason or "").strip(),
                       role in (ADMIN_AD, FORMATEUR))


def lines(records: Iterable[Record], roles: Roles = {}, pieces: Mapping[str, str] = {},  # noqa: B006
          coop: str | None = None) -> list[HistoryLine]:
    return [line(r, roles, pieces, coop) for r in records]


# -- the teacher's notice -----------------------------------------------------------------
#: What the teacher is told of: changes of her books, not account or login events.
NOTICE_TYPES = {"entry", "exercice", "cash_count", "subsidy", "durable_good", "coop"}


def notices(records: Iterable[Record], viewer: str, coop: str, roles: Roles = {},  # noqa: B006
            pieces: Mapping[str, str] = {}) -> list[str]:  # noqa: B006
    """What the mandataire ``viewer`` is told, oldest first, of the records she has not
    acknowledged: each change of her books by the AD, a formateur or the platform, with
    its reason — « L'AD76 (ad76) a modifié la pièce 032 le 07/12 à 20:11 : motif … ».
    Her own changes, another mandataire's, and account events are left out. Pure: the
    dashboard's notice and any live refresh call it on the rows after the last one seen."""
    out = []
    for r in sorted(records, key=lambda r: r.id):
        if r.actor == viewer or r.object_type not in NOTICE_TYPES or not is_staff(r.actor, roles, coop):
            continue
        text = f"{staff_name(r.actor, roles)} {describe(r, pieces)} {when_short(r.at)}"
        reason = (r.reason or "").strip()
        text += f" : motif {reason}" if reason else ""
        shown = changes(r.before, r.after) if r.action in _SHOW_CHANGES else ()
        out.append(text + (" (" + " ; ".join(shown) + ")" if shown else ""))
    return out
