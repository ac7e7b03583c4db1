"""Who is acting, and what they may reach. Pure rules; the hub and the CLI build an Actor."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import Forbidden, ValidationError

MANDATAIRE, ADMIN_AD, FORMATEUR, ANALYSTE, SYSTEM = "mandataire", "admin-ad", "formateur", "analyste", "system"
ROLES = (MANDATAIRE, ADMIN_AD, FORMATEUR, ANALYSTE)
#: Audited actions that set a coop up rather than change what it has kept: no reason asked.
SETUP_ACTIONS = frozenset({"open"})


@dataclass(frozen=True)
class Actor:
    login: str
    role: str = SYSTEM
    coop: str | None = None  # mandataire
    ad: str | None = None  # admin-ad, analyste: their AD (None: none at all, see ``national``)
    national: bool = False  # analyste only: reads EVERY AD (configured by name on the hub)

    def may_read(self, coop: str, ad: str, training: bool = False) -> bool:
        if self.role == SYSTEM:
            return True
        if self.role == MANDATAIRE:
            return coop == self.coop
        if self.role == ADMIN_AD:  # AD staff reach their own AD only, never "every AD"
            return self.ad is not None and ad == self.ad
        if self.role == ANALYSTE:  # a departmental analyst, or a national one explicitly
            return self.national or (self.ad is not None and ad == self.ad)
        if self.role == FORMATEUR:
            return training
        return False

    def may_write(self, coop: str, ad: str, training: bool = False) -> bool:
        return self.role != ANALYSTE and self.may_read(coop, ad, training)

    def require(self, write: bool, coop: str, ad: str, training: bool = False) -> None:
        ok = self.may_write(coop, ad, training) if write else self.may_read(coop, ad, training)
        if not ok:
            what = "modifier" if write else "consulter"
            raise Forbidden(f"{self.login} n'a pas le droit de {what} la coopérative {coop}")

    @property
    def must_give_reason(self) -> bool:
        """Whether this person's changes to a coop's books must say why: AD staff and
        formateurs change books a teacher keeps, and the teacher reads their reason in the
        history and in the notice of her dashboard (``domain.history``). The mandataire
        keeps her own books (no reason asked); the platform (CLI, imports, demo data) acts
        on the AD's instructions outside the books' screens."""
        return self.role in (ADMIN_AD, FORMATEUR)

    def require_reason(self, reason: str, coop: str, action: str = "") -> None:
        """Refuse, in French, a change of ``coop`` without a reason when one is due
        (``must_give_reason``). The guard calls it for every audited change of a coop's
        books; opening an exercice (``SETUP_ACTIONS``: it changes nothing already kept,
        and is how a formateur prepares a sandbox) asks none."""
        if action in SETUP_ACTIONS:
            return
        if self.must_give_reason and not (reason or "").strip():
            who = "l'AD" if self.role == ADMIN_AD else "un formateur"
            raise ValidationError(f"indiquez le motif de la correction : une modification faite par {who} "
                                  f"sur les comptes de la coopérative {coop} doit dire pourquoi "
                                  "(le mandataire le lira dans l'historique)", "motif")

    @property
    def may_unlock(self) -> bool:
        """Reopen a submitted exercice: the AD (or the platform)."""
        return self.role in (ADMIN_AD, SYSTEM)

    @property
    def may_create_ad(self) -> bool:
        return self.role == SYSTEM

    def may_change_chart(self, ad: str) -> bool:
        """Replace an AD's chart of accounts: the platform, or that AD's own staff."""
        return self.role == SYSTEM or (self.role == ADMIN_AD and self.ad == ad)

    def may_create_coop(self, ad: str) -> bool:
        """The platform, the AD's staff in their AD, formateurs (training sandboxes)."""
        return self.role in (SYSTEM, FORMATEUR) or (self.role == ADMIN_AD and self.ad == ad)

    @property
    def may_train(self) -> bool:
        """Create, reset and follow training sessions."""
        return self.role in (SYSTEM, FORMATEUR, ADMIN_AD)


SYSTEM_ACTOR = Actor("système")


def as_actor(actor: "Actor | str | None") -> Actor:
    if actor is None:
        return SYSTEM_ACTOR
    if isinstance(actor, str):
        return Actor(actor)
    return actor
