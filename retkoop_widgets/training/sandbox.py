"""Training sessions: sandbox coops, trainee accounts, reset, progress.

A session named ``MARS`` in AD76 with 3 trainees is:

* coops ``FORM-MARS-01`` … ``FORM-MARS-03`` (flagged ``training``: never counted in an
  AD's analyses, reachable by formateurs), each with the scenario's exercice opened at
  1 250,00 € bank and 48,70 € cash;
* accounts ``form-mars-01`` … (role mandataire, one sandbox each) created through
  ``services.accounts.Accounts`` with a temporary password to hand out.

``reset_sandbox`` empties one sandbox in a single audited transaction (entries with their
postings and attachments, cash counts, subsidies, later exercices) and reopens its
exercice with the scenario's opening balances: the trainee starts again from scratch.
It refuses anything that is not a training coop.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from dataclasses import replace

import pandas as pd

from ..domain.actor import MANDATAIRE
from ..domain.errors import Forbidden, NotFound, RetkoopError, ValidationError
from ..domain.exercice import OPEN, parse_name
from ..services.books import Books
from ..services.guard import writing
from . import scenario as sc
from .checks import Sandbox, Verdict, check_all

PREFIX = "FORM"
MAX_TRAINEES = 40


def normalize_session(name: str) -> str:
    """``"mars 2026"`` → ``MARS-2026``; refuses what cannot be part of a coop code."""
    s = re.sub(r"[\s_]+", "-", (name or "").strip().upper())
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9-]{0,19}", s):
        raise ValidationError(f"nom de session « {name} » invalide : 1 à 20 lettres, chiffres ou tirets "
                              "(ex. MARS-2026)", "session")
    return s


def sandbox_code(session: str, n: int) -> str:
    return f"{PREFIX}-{normalize_session(session)}-{n:02d}"


def trainee_login(session: str, n: int) -> str:
    return f"form-{normalize_session(session).lower()}-{n:02d}"


@dataclass
class SessionResult:
    """What the trainer hands out: one line per trainee."""

    session: str
    exercice: str
    trainees: list[dict] = field(default_factory=list)  # coop, login, password (temporary) or ""
    accounts_note: str = ""  # French: why accounts were not created, if they were not

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.trainees, columns=["coop", "login", "password"]).rename(
            columns={"coop": "Bac à sable", "login": "Identifiant", "password": "Mot de passe provisoire"})


def _require_trainer(books: Books) -> None:
    if not books.actor.may_train:
        raise Forbidden(f"{books.actor.login} n'est pas formateur : gestion des sessions impossible")


def create_session(books: Books, session: str, ad: str, trainees: int, exercice: str | None = None,
                   *, accounts: bool = True) -> SessionResult:
    """Create the sandboxes (and, through the accounts service, the trainee accounts)."""
    _require_trainer(books)
    session = normalize_session(session)
    if not 1 <= int(trainees) <= MAX_TRAINEES:
        raise ValidationError(f"nombre de stagiaires entre 1 et {MAX_TRAINEES}", "stagiaires")
    exercice = exercice or sc.default_exercice(books.today())
    parse_name(exercice)
    existing = {c["code"] for c in books.coops()}
    taken = [sandbox_code(session, n) for n in range(1, trainees + 1) if sandbox_code(session, n) in existing]
    if taken:
        from ..domain.errors import Conflict
        raise Conflict(f"la session {session} existe déjà ({', '.join(taken[:3])}…) : choisissez un autre nom "
                       "ou réinitialisez ses bacs à sable")
    result = SessionResult(session, exercice)
    for n in range(1, trainees + 1):
        code = sandbox_code(session, n)
        books.add_coop(code, f"Bac à sable {session} n° {n}", ad, training=True)
        books.open_exercice(code, exercice, sc.OPENING_BANK, sc.OPENING_CASH)
        result.trainees.append({"coop": code, "login": trainee_login(session, n), "password": ""})
    if accounts:
        result.accounts_note = create_trainee_accounts(books, result)
    return result


def create_trainee_accounts(books: Books, result: SessionResult) -> str:
    """One mandataire account per sandbox, through ``services.accounts`` (never around it).

    Returns "" when every account was created, else a French note saying why not (e.g. the
    acting user may not create accounts): the sandboxes stay usable by the trainer.
    """
    from ..services.accounts import Accounts
    acc = Accounts(books.engine, books.actor, now=books.now)
    notes = []
    for t in result.trainees:
        try:
            t["password"] = acc.add(t["login"], MANDATAIRE, coop=t["coop"],
                                    full_name=f"Stagiaire {result.session} n° {t['coop'][-2:]}") or ""
        except RetkoopError as e:
            notes.append(f"{t['login']} : {e}")
    if notes:
        return "comptes stagiaires non créés — " + " ; ".join(notes[:3]) + (" …" if len(notes) > 3 else "")
    return ""


def session_coops(books: Books, session: str) -> list[dict]:
    prefix = f"{PREFIX}-{normalize_session(session)}-"
    return [c for c in books.coops() if c["training"] and c["code"].startswith(prefix)]


def sessions(books: Books) -> list[str]:
    """Names of the sessions whose sandboxes the acting user can see."""
    names = set()
    for c in books.coops():
        m = re.fullmatch(rf"{PREFIX}-(.+)-\d{{2}}", c["code"])
        if c["training"] and m:
            names.add(m.group(1))
    return sorted(names)


def sandbox_exercice(books: Books, coop: str) -> str:
    """The sandbox's exercice: the earliest one (later ones appear only if a trainee closed it)."""
    exs = books.exercices(coop)
    if not exs:
        raise NotFound(f"le bac à sable {coop} n'a pas d'exercice ouvert")
    return exs[0].name


def load_sandbox(books: Books, coop: str, exercice: str | None = None) -> Sandbox:
    """Everything the checkers look at, read through ``Books`` (permission checks included)."""
    exercice = exercice or sandbox_exercice(books, coop)
    crf = None
    try:
        crf = books.crf(coop, exercice)
    except AssertionError:  # InvariantBreach: the checkers report the inconsistency themselves
        crf = None
    return Sandbox(coop=coop, exercice=books.exercice(coop, exercice),
                   entries=tuple(books.entries(coop, exercice)),
                   cash_counts=tuple(books.cash_counts(coop, exercice)),
                   subsidies=tuple(books.subsidies(coop, exercice)), crf=crf, today=books.today())


def reset_sandbox(books: Books, coop: str, reason: str = "réinitialisation du bac à sable") -> dict:
    """Empty a sandbox and reopen its exercice; one transaction, one audit record."""
    _require_trainer(books)
    coop = coop.strip().upper()
    with writing(books) as w:
        c = w.repo.coop(coop)
        if c is None:
            raise NotFound(f"bac à sable « {coop} » inconnu")
        if not c.training:
            raise Forbidden(f"{coop} n'est pas un bac à sable de formation : réinitialisation refusée")
        w.require_coop(coop)
        exs = w.repo.exercices(coop)
        if not exs:
            raise NotFound(f"le bac à sable {coop} n'a pas d'exercice")
        keep, later = exs[0], exs[1:]
        counted = w.repo.delete_exercice_contents([e.id for e in exs])
        before = {**counted, "etat": keep.state, "exercices": [e.name for e in exs]}
        for e in later:
            w.repo.delete_exercice(e.id)
        w.repo.save_exercice(replace(keep, state=OPEN, version=keep.version + 1, opening_bank=sc.OPENING_BANK,
                                     opening_cash=sc.OPENING_CASH))
        w.repo.save_submission(keep.id, None)
        w.audit("training_reset", "coop", coop, coop=coop, exercice=keep.name, before=before,
                after={"etat": OPEN, "banque": sc.OPENING_BANK, "caisse": sc.OPENING_CASH}, reason=reason)
    return before


def progress(books: Books, session: str) -> pd.DataFrame:
    """Trainees × exercises: the status of every checker (« à faire », « à corriger », « réussi »)."""
    rows = []
    for c in session_coops(books, session):
        verdicts = check_all(load_sandbox(books, c["code"]))
        row = {"Bac à sable": c["code"]}
        row.update({sc.exercise(k).short: v.status for k, v in verdicts.items()})
        row["Réussis"] = f"{sum(v.done for v in verdicts.values())}/{len(verdicts)}"
        rows.append(row)
    cols = ["Bac à sable"] + [e.short for e in sc.EXERCISES] + ["Réussis"]
    return pd.DataFrame(rows, columns=cols).set_index("Bac à sable")


def verdicts_for(books: Books, coop: str, exercice: str | None = None) -> dict[str, Verdict]:
    return check_all(load_sandbox(books, coop, exercice))
