"""Submitting the compte rendu financier (CRF) to the AD, and what the AD sees of it.

Why a module of its own: ``Books.submit_exercice`` only locks the books; whether the
books are *ready* to be handed over is a matter of OCCE practice (pointage done, cash
counted at closing, subsidies traceable, two vérificateurs aux comptes of whom one is a
parent and none is the bookkeeper). Those checks are gathered here so the dashboard, the
CLI and the PDF all give the same answers, in French, all at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Sequence

from ..domain.actor import MANDATAIRE
from ..domain.chart import fold_text
from ..domain.crf import Crf
from ..domain.errors import InvariantBreach, Problem, RetkoopError, ValidationError
from ..domain.exercice import CLOSED, REOPENED, STATE_LABELS, SUBMITTED, WRITABLE
from ..domain.money import format_eur
from .books import Books
from .guard import reading

# The cash must be counted in the last weeks of the exercice: on or after 1 August.
CLOSING_COUNT_MONTH_DAY = (8, 1)
QUALITES = ("parent", "enseignant", "personnel de l'école", "élu", "autre")


@dataclass(frozen=True)
class SubmissionInfo:
    """What the PDF and the AD need to know about an exercice's submission."""

    state: str
    submitted_at: datetime | None = None
    submitted_by: str = ""
    verificateurs: tuple[dict, ...] = ()
    reopened_at: datetime | None = None
    reopened_by: str = ""
    reopen_reason: str = ""
    mandataires: tuple[str, ...] = field(default=())
    place: str = ""                 # "Fait à …" of the signature block
    signed_on: date | None = None   # "… le jj/mm/aaaa"

    @property
    def label(self) -> str:
        """One French line for the PDF footer and the AD's list."""
        if self.state == SUBMITTED and self.submitted_at:
            return f"soumis le {self.submitted_at:%d/%m/%Y}"
        if self.state == REOPENED:
            when = f" le {self.reopened_at:%d/%m/%Y}" if self.reopened_at else ""
            return f"rouvert par l'AD{when}"
        if self.state == CLOSED:
            return STATE_LABELS[CLOSED]
        return "non soumis (projet)"


def mandataire_names(books: Books, coop: str) -> list[str]:
    """Full names (else logins) of the coop's mandataire accounts, for the signature block."""
    with books.uow() as uow:
        return uow.repo.mandataire_names(coop)


def submission_info(books: Books, coop: str, exercice: str) -> SubmissionInfo:
    """The exercice's state and last submission, read from the exercice itself (migration
    0006: however many audit records follow, a submitted CRF keeps its date, vérificateurs
    and place of signature); the reopening, when the exercice is reopened, from its own
    audit record."""
    with reading(books, coop, exercice) as r:
        ex = r.exercice
        sub = r.repo.submission(ex.id)
        unlock = r.repo.last_audit(r.coop.code, ex.name, "unlock") if ex.state == REOPENED else None
        mandataires = r.repo.mandataire_names(coop)
    info = SubmissionInfo(state=ex.state, mandataires=tuple(mandataires))
    if sub.submitted_at is not None:
        info = replace(info, submitted_at=sub.submitted_at, submitted_by=sub.submitted_by,
                       verificateurs=tuple(sub.verificateurs), place=sub.place, signed_on=sub.signed_on)
    if unlock is not None:
        info = replace(info, reopened_at=unlock.at, reopened_by=unlock.actor, reopen_reason=unlock.reason or "")
    return info


def check_crf(crf: Crf, today: date) -> list[Problem]:
    """Readiness problems visible in the CRF itself (pure: no database)."""
    ex = crf.exercice
    problems: list[Problem] = []
    if ex.state not in WRITABLE:
        problems.append(Problem(f"l'exercice {ex.name} est déjà {'soumis' if ex.state == SUBMITTED else ex.state} : "
                                "il ne peut pas être soumis à nouveau", "etat"))
    for a in crf.alerts:
        if a.code == "pointee_modifiee":
            problems.append(Problem(f"{a.message} ; dépointez-la puis pointez-la à nouveau", "pointage", a.piece))
        elif a.code == "date_future":
            problems.append(Problem(f"{a.message} : une opération qui n'a pas encore eu lieu ne peut pas "
                                    "figurer dans le compte rendu", "date", a.piece))
    cash, cc = crf.closing_cash, crf.cash_count
    closing_from = date(ex.end.year, *CLOSING_COUNT_MONTH_DAY)
    if cash != 0:  # an empty cash box needs no count
        if cc is None:
            problems.append(Problem(f"la caisse contient {format_eur(cash)} au livre : faites un arrêté de "
                                    f"caisse de clôture (à partir du {closing_from:%d/%m/%Y})", "caisse"))
        elif cc.date < closing_from:
            problems.append(Problem(f"le dernier arrêté de caisse date du {cc.date:%d/%m/%Y} : faites un "
                                    f"arrêté de clôture (à partir du {closing_from:%d/%m/%Y})", "caisse"))
        elif cc.book_balance != cash:
            problems.append(Problem(f"la caisse a bougé depuis l'arrêté du {cc.date:%d/%m/%Y} (solde alors "
                                    f"{format_eur(cc.book_balance)}, au 31/08 {format_eur(cash)}) : "
                                    "refaites un arrêté de caisse", "caisse"))
        elif cc.gap and not (cc.comment or "").strip():
            problems.append(Problem(f"arrêté de caisse du {cc.date:%d/%m/%Y} : {cc.verdict().lower()} sans "
                                    "explication ; refaites le comptage ou consignez l'écart en commentaire",
                                    "caisse"))
    if crf.subsidies_total != crf.account_7410:
        problems.append(Problem(f"le tableau des subventions totalise {format_eur(crf.subsidies_total)} mais le "
                                f"compte 7410 totalise {format_eur(crf.account_7410)} : complétez le tableau",
                                "subventions"))
    return problems


def check_submission(books: Books, coop: str, exercice: str) -> list[Problem]:
    """Every reason the CRF cannot be submitted yet (empty list: ready)."""
    try:
        crf = books.crf(coop, exercice)
    except InvariantBreach:
        return [Problem("incohérence interne dans les comptes (report + produits − charges ≠ soldes "
                        "finaux) : contactez votre AD, ne soumettez pas", "invariant")]
    return check_crf(crf, books.today())


def parse_verificateur(text: str) -> dict:
    """``"Claire Martin:parent"`` → ``{"nom": "Claire Martin", "qualite": "parent"}`` (CLI form)."""
    nom, sep, qualite = (text or "").rpartition(":")
    if not sep:
        nom, qualite = text, ""
    return {"nom": nom.strip(), "qualite": qualite.strip().lower()}


def check_verificateurs(verificateurs: Sequence[dict], mandataires: Sequence[str]) -> list[Problem]:
    problems: list[Problem] = []
    names = set()
    folded_mandataires = {fold_text(m) for m in mandataires if m}
    for i, v in enumerate(verificateurs, start=1):
        nom, qualite = (v.get("nom") or "").strip(), fold_text(v.get("qualite") or "")
        if not nom:
            problems.append(Problem(f"vérificateur {i} : le nom est obligatoire", "verificateurs"))
            continue
        if not qualite:
            problems.append(Problem(f"vérificateur {i} ({nom}) : indiquez sa qualité "
                                    f"({', '.join(QUALITES)})", "verificateurs"))
        if fold_text(nom) in names:
            problems.append(Problem(f"{nom} figure deux fois parmi les vérificateurs", "verificateurs"))
        names.add(fold_text(nom))
        if fold_text(nom) in folded_mandataires:
            problems.append(Problem(f"{nom} tient les comptes (mandataire) : il ou elle ne peut pas les "
                                    "vérifier", "verificateurs"))
    if len(names) < 2:
        problems.append(Problem("il faut au moins deux vérificateurs aux comptes", "verificateurs"))
    if not any(fold_text(v.get("qualite") or "").startswith("parent") for v in verificateurs):
        problems.append(Problem("au moins un vérificateur aux comptes doit être un parent d'élève",
                                "verificateurs"))
    return problems


def check_signature(place: str, signed_on: date | None, today: date, exercice_start: date) -> list[Problem]:
    """The "Fait à …, le …" line of the signature block: both required, the date neither
    in the future nor before the exercice began."""
    problems = []
    if not (place or "").strip():
        problems.append(Problem("indiquez le lieu de signature (ex. Rouen)", "lieu"))
    if signed_on is None:
        problems.append(Problem("indiquez la date de signature (jj/mm/aaaa)", "date"))
    elif signed_on > today:
        problems.append(Problem(f"la date de signature ({signed_on:%d/%m/%Y}) ne peut pas être dans le futur",
                                "date"))
    elif signed_on < exercice_start:
        problems.append(Problem(f"la date de signature ({signed_on:%d/%m/%Y}) précède le début de l'exercice "
                                f"({exercice_start:%d/%m/%Y})", "date"))
    return problems


def submit(books: Books, coop: str, exercice: str, verificateurs: Sequence[dict], *, lieu: str = "",
           signed_on: date | None = None, reconciliation_confirmed: bool = False):
    """Check everything, then lock the exercice (``Books.submit_exercice``).

    ``lieu`` and ``signed_on`` are the place and date the vérificateurs signed (printed in
    the CRF's signature block). ``reconciliation_confirmed``: the mandataire states that the
    reconciliation table (unpointed lines, expected statement balance) matches the bank
    statement of 31/08 — the software cannot see the statement, so a person must say so.
    """
    problems = check_submission(books, coop, exercice)
    mandataires = set(mandataire_names(books, coop))
    if books.actor.role == MANDATAIRE:
        mandataires.add(books.actor.login)
    problems += check_verificateurs(verificateurs, sorted(mandataires))
    problems += check_signature(lieu, signed_on, books.today(), books.exercice(coop, exercice).start)
    if not reconciliation_confirmed:
        problems.append(Problem("confirmez que le tableau de rapprochement bancaire correspond au relevé "
                                "du 31/08 (lignes non pointées et solde du relevé)", "rapprochement"))
    if problems:
        raise ValidationError(problems)
    clean = [{"nom": v["nom"].strip(), "qualite": fold_text(v["qualite"])} for v in verificateurs]
    return books.submit_exercice(coop, exercice, clean, place=lieu.strip(), signed_on=signed_on)


def reopen(books: Books, coop: str, exercice: str, reason: str):
    """The AD unlocks a submitted exercice (audited with its reason by ``Books``)."""
    return books.reopen_exercice(coop, exercice, reason)


def submissions(books: Books, ad: str, exercice: str) -> list[dict]:
    """What the AD sees: every coop of the AD with the state of its CRF for ``exercice``."""
    out = []
    for c in books.coops(ad, include_training=False):
        try:
            info = submission_info(books, c["code"], exercice)
            out.append({"coop": c["code"], "nom": c["name"], "etat": info.state, "statut": info.label,
                        "soumis_le": info.submitted_at, "soumis_par": info.submitted_by,
                        "verificateurs": list(info.verificateurs), "raison_reouverture": info.reopen_reason})
        except RetkoopError as e:  # an exercice not opened yet: say so, do not hide the coop
            out.append({"coop": c["code"], "nom": c["name"], "etat": "absent", "statut": str(e),
                        "soumis_le": None, "soumis_par": "", "verificateurs": [], "raison_reouverture": ""})
    return out
