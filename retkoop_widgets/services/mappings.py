"""Spreadsheet column mappings saved for an AD (« Reprendre un cahier tableur »).

An AD prepares, once, the mapping of the spreadsheet cahier its coops keep (which row
holds the headers, which column is the date, the bank, each account…) and saves it under
a name; every coop of that AD then finds it offered when it imports its cahier, in the
dashboard and in ``retkoop import --colonnes NOM``. Saving is an AD's act (the same
permission as its chart of accounts: ``Actor.may_change_chart``), audited; reading is
open to whoever may read the coop. The mapping is stored as its JSON and read back by
``io.spreadsheet.Mapping.from_json``, so a saved mapping and a file agree.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..domain.errors import Forbidden, NotFound, ValidationError
from ..domain.text import printable, text_problems
from ..io.spreadsheet import Mapping
from ..storage.records import SavedMapping
from .guard import reading, writing

if TYPE_CHECKING:  # pragma: no cover
    from .books import Books

NAME_MAX = 100


def _clean_name(name: str) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError("donnez un nom aux colonnes enregistrées (ex. « Cahier OCCE 76 »)", "nom")
    if len(name) > NAME_MAX:
        raise ValidationError(f"nom des colonnes trop long ({len(name)} caractères, {NAME_MAX} au plus)", "nom")
    problems = text_problems(name, "libelle")
    if problems:
        raise ValidationError(f"nom des colonnes « {printable(name[:40])} » : {problems[0].message}", "nom")
    return name


def save_column_mapping(books: "Books", ad: str, name: str, mapping: Mapping) -> bool:
    """Save ``mapping`` for the AD under ``name`` (replacing one of that name); True if it
    replaced one. Only the AD (or the system) may."""
    name, ad = _clean_name(name), (ad or "").strip().upper()
    with writing(books) as w:
        if w.repo.ad(ad) is None:
            raise NotFound(f"AD « {printable(ad[:20])} » inconnue")
        if not books.actor.may_change_chart(ad):
            raise Forbidden(f"{books.actor.login} ne peut pas enregistrer de colonnes pour l'AD {ad} : "
                            "seule l'AD le peut")
        replaced = w.repo.save_column_mapping(SavedMapping(ad, name, mapping.to_json(), books.now(),
                                                           books.actor.login))
        w.audit("column_mapping_save", "ad", ad, after={"nom": name, "remplace": replaced})
    return replaced


def column_mappings(books: "Books", coop: str) -> dict[str, Mapping]:
    """The mappings the coop's AD saved, by name (what its imports offer)."""
    with reading(books, coop) as r:
        saved = r.repo.column_mappings(r.coop.ad_code)
    return {m.name: Mapping.from_json(m.mapping, f"colonnes « {m.name} »") for m in saved}


def column_mapping(books: "Books", coop: str, name: str) -> Mapping:
    """One saved mapping of the coop's AD, by name, or a French refusal naming those there are."""
    found = column_mappings(books, coop)
    key = " ".join(str(name or "").split())
    if key not in found:
        known = ", ".join(f"« {n} »" for n in found) or "aucune"
        raise NotFound(f"pas de colonnes enregistrées sous le nom « {printable(key[:40])} » pour l'AD de "
                       f"{coop} (enregistrées : {known})")
    return found[key]
