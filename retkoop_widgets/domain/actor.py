"""Who is acting, and what they may reach. Pure rules; the hub and the CLI build an Actor."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import Forbidden

MANDATAIRE, ADMIN_AD, FORMATEUR, ANALYSTE, SYSTEM = "mandataire", "admin-ad", "formateur", "analyste", "system"
ROLES = (MANDATAIRE, ADMIN_AD, FORMATEUR, ANALYSTE)


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
