"""The inventory register of durable goods (registre d'inventaire des biens durables).

Why a register next to the books: an OCCE coop spends on account 68 (*biens durables*,
OCCE code 68000008) for things that last beyond the school year — a tablet, a
projector, a sewing machine. The expense closes with the exercice, the object does not:
the coop must still be able to say what it owns, since when, for how much, where it is,
and when and why it left (broken, given, sold, lost or stolen). So a ``DurableGood``
belongs to the coop, not to an exercice; its *acquisition* falls in one exercice (the one
containing its date) and, when linked, comes from one expense entry on account 68 of
that exercice.

Rules (``build_good`` reports every broken one at once, in French):

* a designation (≤ 200 characters), an acquisition date between 01/01/1980 and today,
  a value in cents > 0 (the caller parsed it with ``money.parse_amount``), a quantity
  from 1 to 10 000;
* ``value`` is the value of the whole line (all units together), as on the invoice: it
  is what compares with account 68; ``unit_value`` is derived for display;
* a disposal (sortie d'inventaire) needs both a date — not before the acquisition, not
  after today — and a reason among ``DISPOSAL_REASONS``; "autre" needs a comment saying
  what happened;
* a disposal concerns the whole line (to dispose of one tablet of four, record the four
  as separate lines, or change the quantity and record the disposed one on its own).

``compare_register`` is the check against the books: the goods acquired in an exercice
should add up to the exercice's total on account 68, and every 68 expense should have
its goods in the register (like the subsidies table against account 7410 in ``crf.py``).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Iterable, Sequence

from .chart import Chart, occe_code
from .errors import Problem, ValidationError
from .exercice import Exercice, name_for
from .ledger import Alert
from .money import MAX_CENTS, format_eur

DURABLE_GOODS_ACCOUNT = "68"
DURABLE_GOODS_OCCE = occe_code(DURABLE_GOODS_ACCOUNT)  # 68000008
DISPOSAL_REASONS = ("hors d'usage", "donné", "vendu", "perdu/volé", "autre")
EARLIEST = date(1980, 1, 1)  # before that, a typing slip is certain (schools keep no older goods)
MAX_QUANTITY = 10_000


@dataclass(frozen=True)
class GoodDraft:
    """A good as a user types it (value already parsed into cents by the caller)."""

    designation: str
    acquired_on: date | None
    value: int
    entry_id: int | None = None  # the expense entry (on 68) that bought it
    location: str = ""  # "classe de CM1", "salle informatique"…
    quantity: int = 1
    disposed_on: date | None = None
    disposal_reason: str = ""
    comment: str = ""


@dataclass(frozen=True)
class DurableGood:
    """A valid line of the register; immutable. ``piece`` is the linked entry's pièce
    number, filled by the storage layer when it reads the good (display only)."""

    designation: str
    acquired_on: date
    value: int
    entry_id: int | None = None
    location: str = ""
    quantity: int = 1
    disposed_on: date | None = None
    disposal_reason: str = ""
    comment: str = ""
    piece: str = ""
    id: int | None = None
    version: int = 1

    @property
    def disposed(self) -> bool:
        return self.disposed_on is not None

    @property
    def exercice(self) -> str:
        """The exercice of the acquisition (``2025-2026``)."""
        return name_for(self.acquired_on)

    @property
    def unit_value(self) -> int:
        """Value of one unit, rounded down to the cent (display only)."""
        return self.value // self.quantity

    def held_during(self, start: date, end: date) -> bool:
        """Owned at some point between ``start`` and ``end`` (acquired by the end, not
        disposed of before the start): the goods an exercice's register lists."""
        return self.acquired_on <= end and (self.disposed_on is None or self.disposed_on >= start)

    def held_on(self, day: date) -> bool:
        return self.acquired_on <= day and (self.disposed_on is None or self.disposed_on > day)

    def to_draft(self) -> GoodDraft:
        return GoodDraft(self.designation, self.acquired_on, self.value, self.entry_id, self.location,
                         self.quantity, self.disposed_on, self.disposal_reason, self.comment)


def build_good(draft: GoodDraft, *, today: date) -> DurableGood:
    """Validate a draft and return the ``DurableGood``; raise every problem at once."""
    problems: list[Problem] = []

    def refuse(msg: str, fld: str) -> None:
        problems.append(Problem(msg, fld))

    designation = " ".join((draft.designation or "").split())
    if not designation:
        refuse("la désignation du bien est obligatoire (ex. « Tablette tactile »)", "designation")
    elif len(designation) > 200:
        refuse("la désignation dépasse 200 caractères", "designation")
    acquired = draft.acquired_on
    if acquired is None:
        refuse("la date d'acquisition est obligatoire", "acquired_on")
    elif acquired < EARLIEST:
        refuse(f"la date d'acquisition {acquired:%d/%m/%Y} est invraisemblable "
               f"(avant le {EARLIEST:%d/%m/%Y})", "acquired_on")
    elif acquired > today:
        refuse(f"la date d'acquisition {acquired:%d/%m/%Y} est dans le futur", "acquired_on")
    value = draft.value
    if isinstance(value, bool) or not isinstance(value, int):
        refuse("la valeur doit être un montant en centimes", "value")
    elif value <= 0:
        refuse("la valeur du bien doit être positive", "value")
    elif value > MAX_CENTS:
        refuse(f"la valeur {format_eur(value)} dépasse 10 000 000 € — vérifiez la saisie", "value")
    qty = draft.quantity
    if isinstance(qty, bool) or not isinstance(qty, int):
        refuse("la quantité doit être un nombre entier", "quantity")
    elif qty < 1:
        refuse("la quantité doit être au moins 1", "quantity")
    elif qty > MAX_QUANTITY:
        refuse(f"la quantité {qty} dépasse {MAX_QUANTITY:,} — vérifiez la saisie".replace(",", " "), "quantity")
    location = " ".join((draft.location or "").split())
    if len(location) > 100:
        refuse("le lieu dépasse 100 caractères", "location")
    comment = (draft.comment or "").strip()
    if len(comment) > 1000:
        refuse("le commentaire dépasse 1 000 caractères", "comment")
    disposed, reason = draft.disposed_on, (draft.disposal_reason or "").strip()
    if disposed is not None:
        if not reason:
            refuse("indiquez le motif de la sortie d'inventaire "
                   f"({', '.join(DISPOSAL_REASONS)})", "disposal_reason")
        if acquired is not None and disposed < acquired:
            refuse(f"la date de sortie {disposed:%d/%m/%Y} précède la date d'acquisition "
                   f"{acquired:%d/%m/%Y}", "disposed_on")
        elif disposed > today:
            refuse(f"la date de sortie {disposed:%d/%m/%Y} est dans le futur", "disposed_on")
    elif reason:
        refuse("un motif de sortie est indiqué sans date de sortie", "disposed_on")
    if reason and reason not in DISPOSAL_REASONS:
        refuse(f"motif de sortie « {reason} » inconnu ({', '.join(DISPOSAL_REASONS)})", "disposal_reason")
    elif reason == "autre" and not comment:
        refuse("motif « autre » : expliquez la sortie en commentaire", "comment")
    if draft.entry_id is not None and (isinstance(draft.entry_id, bool) or not isinstance(draft.entry_id, int)):
        refuse("pièce de dépense invalide", "entry_id")
    if problems:
        raise ValidationError(problems)
    return DurableGood(designation=designation, acquired_on=acquired, value=value, entry_id=draft.entry_id,
                       location=location, quantity=qty, disposed_on=disposed, disposal_reason=reason,
                       comment=comment)


def dispose(good: DurableGood, day: date | None, reason: str, comment: str = "", *, today: date) -> DurableGood:
    """The good taken out of the register (sortie d'inventaire), validated like a new one.
    A comment given here is added to the good's comment (its history stays)."""
    if good.disposed:
        raise ValidationError(f"« {good.designation} » est déjà sorti de l'inventaire le "
                              f"{good.disposed_on:%d/%m/%Y} ({good.disposal_reason})", "disposed_on")
    if day is None:
        raise ValidationError("la date de sortie est obligatoire", "disposed_on")
    note = (comment or "").strip()
    merged = "\n".join(t for t in (good.comment, note) if t)
    draft = replace(good.to_draft(), disposed_on=day, disposal_reason=(reason or "").strip(),
                    comment=merged)
    problems: list[Problem] = []
    if (reason or "").strip() == "autre" and not note:  # the good's older comment does not explain it
        problems.append(Problem("motif « autre » : expliquez la sortie en commentaire", "comment"))
    try:
        new = build_good(draft, today=today)
    except ValidationError as err:
        raise ValidationError(err.problems + [p for p in problems if p not in err.problems]) from None
    if problems:
        raise ValidationError(problems)
    return replace(new, piece=good.piece, id=good.id, version=good.version)


# -- the register against the books ----------------------------------------------------
def durable_goods_codes(chart: Chart) -> frozenset[str]:
    """Short codes of the chart's *biens durables* account(s): OCCE code 68000008, or the
    short code 68 (an AD's variant may name it differently, never number it otherwise)."""
    codes = {a.code for a in chart if a.code_occe == DURABLE_GOODS_OCCE or a.code == DURABLE_GOODS_ACCOUNT}
    return frozenset(codes or {DURABLE_GOODS_ACCOUNT})


@dataclass(frozen=True)
class DurableExpense:
    """An entry of the exercice ventilated on the biens durables account: ``amount`` is
    the part on that account (cents, positive)."""

    entry_id: int
    piece: str
    date: date
    libelle: str
    amount: int


@dataclass(frozen=True)
class RegisterCheck:
    exercice: str
    account_total: int  # total of account 68 in the exercice
    goods_total: int  # value of the goods acquired in the exercice
    unrecorded: tuple[DurableExpense, ...]  # 68 expenses with no good in the register
    mismatched: tuple[tuple[DurableExpense, int], ...]  # (expense, value of its goods) that differ
    unlinked: tuple[DurableGood, ...]  # goods of the exercice without a pièce
    stray: tuple[DurableGood, ...]  # goods linked to an entry that is not (or no longer) on 68
    alerts: tuple[Alert, ...]

    @property
    def gap(self) -> int:
        return self.goods_total - self.account_total

    @property
    def ok(self) -> bool:
        return not self.alerts


def compare_register(exercice: Exercice, goods: Iterable[DurableGood],
                     expenses: Sequence[DurableExpense]) -> RegisterCheck:
    """The register against account 68 for one exercice (pure).

    ``goods``: any goods of the coop (those acquired outside the exercice are ignored);
    ``expenses``: the exercice's entries on the biens durables account. Alerts, in French:
    totals that differ, each 68 expense with no good, each expense whose goods add up to
    another amount, goods linked to an entry that is not on 68; goods without a pièce are
    listed (an old good carried over from a paper register has none, which is fine when
    the totals agree)."""
    mine = [g for g in goods if exercice.contains(g.acquired_on)]
    by_entry: dict[int, list[DurableGood]] = {}
    for g in mine:
        if g.entry_id is not None:
            by_entry.setdefault(g.entry_id, []).append(g)
    account_total = sum(e.amount for e in expenses)
    goods_total = sum(g.value for g in mine)
    alerts: list[Alert] = []
    unrecorded, mismatched = [], []
    for e in sorted(expenses, key=lambda x: (x.date, x.piece)):
        linked = by_entry.get(e.entry_id)
        if not linked:
            unrecorded.append(e)
            alerts.append(Alert("inventaire_piece_sans_bien",
                                f"la pièce {e.piece} du {e.date:%d/%m/%Y} ({e.libelle}) porte "
                                f"{format_eur(e.amount)} en biens durables (68) mais aucun bien n'est "
                                "inscrit à l'inventaire pour elle", piece=e.piece, entry_id=e.entry_id, date=e.date))
            continue
        value = sum(g.value for g in linked)
        if value != e.amount:
            mismatched.append((e, value))
            alerts.append(Alert("inventaire_piece_ecart",
                                f"la pièce {e.piece} porte {format_eur(e.amount)} en biens durables (68) mais "
                                f"les biens inscrits pour elle valent {format_eur(value)} : écart de "
                                f"{format_eur(abs(value - e.amount))}", piece=e.piece, entry_id=e.entry_id,
                                date=e.date))
    known = {e.entry_id for e in expenses}
    stray = tuple(g for g in mine if g.entry_id is not None and g.entry_id not in known)
    for g in stray:
        alerts.append(Alert("inventaire_piece_hors_68",
                            f"le bien « {g.designation} » est rattaché à la pièce {g.piece or g.entry_id} qui "
                            "n'est pas ventilée sur le compte 68 (biens durables)", piece=g.piece,
                            entry_id=g.entry_id, date=g.acquired_on))
    unlinked = tuple(g for g in mine if g.entry_id is None)
    if goods_total != account_total:
        alerts.insert(0, Alert("inventaire_68",
                               f"le registre d'inventaire totalise {format_eur(goods_total)} de biens acquis en "
                               f"{exercice.name} mais le compte 68 (biens durables) totalise "
                               f"{format_eur(account_total)} : écart de {format_eur(abs(goods_total - account_total))}"))
    return RegisterCheck(exercice=exercice.name, account_total=account_total, goods_total=goods_total,
                         unrecorded=tuple(unrecorded), mismatched=tuple(mismatched), unlinked=unlinked,
                         stray=stray, alerts=tuple(alerts))
