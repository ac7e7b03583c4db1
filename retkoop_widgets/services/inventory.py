"""The inventory register of durable goods: use cases over ``Books``.

Each write runs in ``guard.writing`` and, like the ledger's own writes:
* checks the acting user may write the coop (``Scope.require_coop`` → ``Actor.require``):
  an analyst or a read-only connection is refused (``Forbidden``);
* locks and checks the exercice the change belongs to (``require_writable`` →
  ``LockedExercice`` when it is submitted or closed);
* checks the version the user saw (``Conflict`` in French when stale), under a row lock
  on the good (PostgreSQL ``FOR UPDATE``; SQLite is serialised by ``BEGIN IMMEDIATE``);
* writes an audit record (who, when, before, after) in the same transaction.

Which exercice a change belongs to: a good outlives the exercice that bought it, so
*adding, correcting or deleting* a good touches its acquisition exercice (the one
containing ``acquired_on``), while *taking it out of the register* (or undoing that)
touches the exercice of the disposal date — a tablet bought in a closed year must still
be disposable today. Goods dated in an exercice the coop never opened in Retkoop (a
paper register carried over) are not blocked by any lock.

Delete is for a line recorded by mistake: a good already disposed of stays in the
register (its history is the point of the register); undo the disposal first if the
disposal itself was the mistake.
"""
from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Sequence

from ..domain.dates import format_date
from ..domain.errors import NotFound, ValidationError
from ..domain.exercice import name_for, parse_name
from ..domain.inventory import (DurableGood, GoodDraft, RegisterCheck, build_good, compare_register,
                                dispose, durable_goods_codes)
from ..domain.money import format_plain
from ..io.cahier_csv import guard
from ..storage.inventory_repo import good_snapshot
from ..storage.records import Coop, StoredGood
from .guard import Scope, exercice_name, reading, writing

if TYPE_CHECKING:  # pragma: no cover
    from .books import Books

OBJECT = "durable_good"
CSV_HEADERS = ("Désignation", "Quantité", "Date d'acquisition", "Valeur", "Pièce", "Lieu", "Date de sortie",
               "Motif de sortie", "Commentaire")


# -- helpers -------------------------------------------------------------------------
def _require_writable(w: Scope, coop: str, day: date) -> str:
    """Lock the exercice containing ``day`` (if the coop has it) and refuse when it is
    submitted or closed; returns its name for the audit record."""
    name = name_for(day)
    ex = w.repo.exercice(coop, name, lock=True)
    if ex is not None:
        ex.require_writable()
    return name


def _for_write(w: Scope, good_id: int) -> tuple[Coop, StoredGood]:
    found = w.repo.stored_good(good_id, lock=True)
    if found is None:
        raise NotFound(f"bien n° {good_id} introuvable dans l'inventaire (supprimé entre-temps ?)")
    return w.require_coop(found.coop_code), found


def _check_version(w: Scope, found: StoredGood, expected_version: int | None) -> None:
    g = found.good
    w.check_version(g.version, expected_version,
                    f"« {g.designation} » a été modifié par {found.updated_by} le "
                    f"{found.updated_at:%d/%m/%Y à %H:%M} depuis que vous l'avez ouvert : rechargez "
                    "l'inventaire avant de le modifier (vos changements n'ont pas été enregistrés)")


def _check_link(w: Scope, c: Coop, good: DurableGood) -> str:
    """The linked entry must be an expense of this coop, on the biens durables account,
    in the acquisition's exercice (else the register-vs-68 check could never agree).
    Returns its pièce."""
    if good.entry_id is None:
        return ""
    found = w.repo.stored_entry(good.entry_id)
    ex = w.repo.exercice_by_id(found.exercice_id) if found is not None else None
    if found is None or ex is None or ex.coop != c.code:
        raise ValidationError("pièce de dépense introuvable (supprimée entre-temps ?)", "entry_id")
    e = found.entry
    wanted = name_for(good.acquired_on)
    if ex.name != wanted:
        raise ValidationError(f"la pièce {e.piece} est de l'exercice {ex.name} mais la date d'acquisition "
                              f"{good.acquired_on:%d/%m/%Y} tombe dans l'exercice {wanted} : inscrivez le bien à "
                              "la date de sa dépense", "acquired_on")
    codes = durable_goods_codes(w.repo.chart(c.ad_code))
    if not any(p.account in codes and p.amount > 0 for p in e.postings):
        raise ValidationError(f"la pièce {e.piece} n'est pas une dépense ventilée sur le compte 68 "
                              "(biens durables)", "entry_id")
    return e.piece


# -- writes --------------------------------------------------------------------------
def add_good(books: "Books", coop: str, draft: GoodDraft) -> DurableGood:
    """Record a good in the coop's register."""
    with writing(books, coop) as w:
        c = w.coop
        good = build_good(draft, today=books.today())
        exercice = _require_writable(w, c.code, good.acquired_on)
        piece = _check_link(w, c, good)
        saved = w.repo.add_good(c.code, replace(good, piece=piece), books.actor.login, books.now())
        w.audit("create", OBJECT, saved.id, exercice=exercice, after=good_snapshot(saved))
    return saved


def update_good(books: "Books", good_id: int, expected_version: int | None, draft: GoodDraft) -> DurableGood:
    """Correct a good's acquisition (designation, date, value, pièce, place, quantity,
    comment). Its disposal is kept as it is: ``dispose_good``/``cancel_disposal`` change it.
    Both the old and the new acquisition exercices must be writable."""
    with writing(books) as w:
        c, found = _for_write(w, good_id)
        old = found.good
        new = build_good(replace(draft, disposed_on=old.disposed_on, disposal_reason=old.disposal_reason),
                         today=books.today())
        for day in sorted({old.acquired_on, new.acquired_on}, key=name_for):
            _require_writable(w, c.code, day)
        _check_version(w, found, expected_version)
        piece = _check_link(w, c, new)
        version = w.repo.save_good(good_id, new, books.actor.login, books.now())
        saved = replace(new, id=good_id, version=version, piece=piece)
        w.audit("update", OBJECT, good_id, exercice=new.exercice, before=good_snapshot(old),
                after=good_snapshot(saved))
    return saved


def dispose_good(books: "Books", good_id: int, expected_version: int | None, day: date | None, reason: str,
                 comment: str = "") -> DurableGood:
    """Take a good out of the register (sortie d'inventaire): date and reason, audited in
    the exercice of the disposal date."""
    with writing(books) as w:
        c, found = _for_write(w, good_id)
        old = found.good
        _check_version(w, found, expected_version)
        new = dispose(old, day, reason, comment, today=books.today())
        exercice = _require_writable(w, c.code, new.disposed_on)
        saved = replace(new, version=w.repo.save_good(good_id, new, books.actor.login, books.now()))
        w.audit("dispose", OBJECT, good_id, exercice=exercice, before=good_snapshot(old),
                after=good_snapshot(saved), reason=new.disposal_reason)
    return saved


def cancel_disposal(books: "Books", good_id: int, expected_version: int | None, reason: str = "") -> DurableGood:
    """Undo a disposal entered by mistake (the good is held again); the audit keeps both."""
    with writing(books) as w:
        c, found = _for_write(w, good_id)
        old = found.good
        if not old.disposed:
            raise ValidationError(f"« {old.designation} » n'est pas sorti de l'inventaire", "disposed_on")
        exercice = _require_writable(w, c.code, old.disposed_on)
        _check_version(w, found, expected_version)
        new = replace(old, disposed_on=None, disposal_reason="")
        saved = replace(new, version=w.repo.save_good(good_id, new, books.actor.login, books.now()))
        w.audit("cancel_disposal", OBJECT, good_id, exercice=exercice, before=good_snapshot(old),
                after=good_snapshot(saved), reason=(reason or "").strip())
    return saved


def delete_good(books: "Books", good_id: int, expected_version: int | None, reason: str = "") -> None:
    """Remove a line recorded by mistake. A disposed good stays in the register."""
    with writing(books) as w:
        c, found = _for_write(w, good_id)
        old = found.good
        if old.disposed:
            raise ValidationError(f"« {old.designation} » est sorti de l'inventaire le {old.disposed_on:%d/%m/%Y} : "
                                  "il reste au registre, qui garde l'historique des sorties (si la sortie est une "
                                  "erreur, annulez-la d'abord)", "disposed_on")
        exercice = _require_writable(w, c.code, old.acquired_on)
        _check_version(w, found, expected_version)
        w.audit("delete", OBJECT, good_id, exercice=exercice, before=good_snapshot(old),
                reason=(reason or "").strip())
        w.repo.delete_good(good_id)


# -- reads ---------------------------------------------------------------------------
def list_goods(books: "Books", coop: str, exercice: str | None = None, *,
               include_disposed: bool = True) -> list[DurableGood]:
    """The coop's register in acquisition order. ``exercice``: only the goods held at some
    point during it (acquired by its end, not disposed of before its start); without
    ``include_disposed``: only the goods still held today."""
    start = end = None
    if exercice:  # « 2025/2026 » as typed is 2025-2026, like every entry point (guard.exercice_name)
        start, end = parse_name(exercice_name(exercice))
    with reading(books, coop) as r:
        return r.repo.goods(r.coop.code, start=start, end=end, include_disposed=include_disposed)


def good(books: "Books", good_id: int) -> DurableGood:
    with reading(books) as r:
        found = r.repo.stored_good(good_id)
        if found is None:
            raise NotFound(f"bien n° {good_id} introuvable dans l'inventaire")
        r.require_coop(found.coop_code)
        return found.good


def check_register(books: "Books", coop: str, exercice: str) -> RegisterCheck:
    """The register against account 68 for one exercice (``domain.inventory.compare_register``)."""
    with reading(books, coop, exercice) as r:
        ex = r.exercice
        codes = durable_goods_codes(r.repo.chart(r.coop.ad_code))
        expenses = r.repo.durable_expenses(ex.id, codes)
        goods = r.repo.goods(r.coop.code, start=ex.start, end=ex.end)
        return compare_register(ex, goods, expenses)


def register_csv(goods: Sequence[DurableGood]) -> str:
    """The register as CSV for a spreadsheet: BOM, ``;``, CRLF, decimal comma, dates
    jj/mm/aaaa; text a spreadsheet would run as a formula gets the apostrophe text mark
    (``io.cahier_csv.guard``)."""
    out = io.StringIO(newline="")
    w = csv.writer(out, delimiter=";", quotechar='"', lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(CSV_HEADERS)
    for g in goods:
        w.writerow([guard(g.designation), g.quantity, format_date(g.acquired_on), format_plain(g.value), guard(g.piece),
                    guard(g.location), format_date(g.disposed_on), g.disposal_reason, guard(g.comment)])
    return "\ufeff" + out.getvalue()


# -- demo ----------------------------------------------------------------------------
# The demo coop's one 68 expense is pièce 022, "Tablette pour la classe (inventaire)",
# 329,00 € on 20/03/2026: a tablet and its keyboard case, for the CM1 class.
DEMO_GOODS = (("Tablette tactile 10 pouces", 29900), ("Étui-clavier pour la tablette", 3000))
DEMO_LOCATION = "classe de CM1"


def seed_inventory_demo(books: "Books", coop: str, exercice: str) -> list[DurableGood]:
    """Inscribe the goods of the exercice's 68 expenses that have none yet (idempotent).

    The first such expense becomes the two demo goods when their values add up to its
    amount (the demo coop's tablet); any other one becomes one good named after its
    libellé. Returns the goods recorded (none when the exercice has no 68 expense)."""
    out: list[DurableGood] = []
    for n, e in enumerate(check_register(books, coop, exercice).unrecorded):
        lines = DEMO_GOODS if n == 0 and sum(v for _, v in DEMO_GOODS) == e.amount else (
            (e.libelle.replace("(inventaire)", "").strip() or e.libelle, e.amount),)
        for designation, value in lines:
            out.append(add_good(books, coop, GoodDraft(designation, e.date, value, entry_id=e.entry_id,
                                                       location=DEMO_LOCATION)))
    return out
