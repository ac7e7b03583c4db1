"""``Books``: the public face of the ledger's use cases, for one acting user.

Widgets, the CLI, reports, notebooks and tests call ``Books(url, actor).record_entry(…)``.
The use cases themselves live in one module per area, each a set of plain functions
taking the ``Books`` first (the shape of ``services/inventory.py``):

=====================  =====================================================
``administration``     ADs, charts of accounts, coops, the audit log
``exercices``          open, submit (lock), reopen, close with carry-forward
``entries``            record, correct, delete, import; cahier and balances
``pointage``           tick bank lines against a statement
``cash``               cash counts (arrêtés de caisse)
``subsidies``          the subsidy table (account 7410)
``attachments``        files (pièces justificatives)
``crf``                the compte rendu financier, one or many (with the previous
                       exercice's figures); overview dates
``mappings``           spreadsheet column mappings an AD saves for its coops' imports
``inventory``          the inventory register of durable goods
``submission``         readiness checks and the submission shown to the AD
=====================  =====================================================

Every write runs inside ``guard.writing`` (permission, exercice lock, writable state,
version, audit, one transaction). ``Books`` holds what a use case needs from outside:
the actor, the clocks and a unit-of-work factory — the SQL one for a URL or engine, or
any other (the in-memory fake of the tests) through ``bootstrap``.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Callable

from ..domain.actor import Actor, as_actor
from ..domain.errors import Forbidden
from ..storage.db import engine_of, forced_read_only
from ..storage.uow import sql_unit_of_work
from . import administration as _administration, attachments as _attachments, cash as _cash, crf as _crf
from . import entries as _entries, exercices as _exercices, pointage as _pointage, subsidies as _subsidies
from . import mappings as _mappings
from .entries import ExerciceSnapshot  # noqa: F401  (public name, kept where it was)


class Books:
    """Entry point to the ledger for one acting user.

    ``Books(url, actor)``; ``today``/``now`` are injectable clocks (tests, demo data);
    ``uow_factory`` replaces the database (``factory(read_only=…)`` → a unit of work):
    see ``services.bootstrap``.
    """

    def __init__(self, url=None, actor: Actor | str | None = None, *,
                 today: Callable[[], date] = date.today, now: Callable[[], datetime] = datetime.now,
                 read_only: bool = False, uow_factory: Callable | None = None):
        if uow_factory is None:
            read_only = read_only or forced_read_only()
            self.engine = engine_of(url, read_only=read_only)
            uow_factory = sql_unit_of_work(self.engine)
        else:
            self.engine = getattr(uow_factory, "engine", None)
        self.uow_factory = uow_factory
        self.actor = as_actor(actor)
        self.today = today
        self.now = now
        self.read_only = read_only

    #: Why the person makes the changes of this ``Books`` (``because``): stored in every
    #: audit record, required of AD staff and formateurs (``guard.Scope.audit``).
    reason: str = ""

    def as_user(self, actor: Actor | str) -> "Books":
        return Books(self.engine, actor, today=self.today, now=self.now, read_only=self.read_only,
                     uow_factory=self.uow_factory)

    def because(self, reason: str) -> "Books":
        """The same books, for the same person, with the reason of the changes about to be
        made (« pièce 032 : montant corrigé avec la mandataire »)."""
        b = Books(self.engine, self.actor, today=self.today, now=self.now, read_only=self.read_only,
                  uow_factory=self.uow_factory)
        b.reason = (reason or "").strip()
        return b

    def uow(self, write: bool = False):
        if write and self.read_only:
            raise Forbidden("connexion en lecture seule : aucune modification n'est possible")
        return self.uow_factory(read_only=not write)

    def init_schema(self) -> None:
        from ..storage.schema import upgrade  # Alembic only here: report kernels and the CLI start faster
        upgrade(self.engine)

    # -- ADs, charts, coops, audit (services.administration) ---------------------------
    add_ad = _administration.add_ad
    ads = _administration.ads
    import_chart = _administration.import_chart
    chart = _administration.chart
    add_coop = _administration.add_coop
    coop_info = _administration.coop_info
    coops = _administration.coops
    audit_log = _administration.audit_log

    # -- exercices (services.exercices) ------------------------------------------------
    open_exercice = _exercices.open_exercice
    exercice = _exercices.exercice
    exercices = _exercices.exercices
    current_exercice = _exercices.current_exercice
    current_exercices = _exercices.current_exercices
    submit_exercice = _exercices.submit_exercice
    reopen_exercice = _exercices.reopen_exercice
    close_exercice = _exercices.close_exercice

    # -- entries (services.entries, services.pointage) ---------------------------------
    suggest_piece = _entries.suggest_piece
    suggest_cheque = _entries.suggest_cheque
    record_entry = _entries.record_entry
    update_entry = _entries.update_entry
    delete_entry = _entries.delete_entry
    deleted_pieces = _entries.deleted_pieces
    import_drafts = _entries.import_drafts
    entry = _entries.entry
    snapshot = _entries.snapshot
    cahier = _entries.cahier
    balances = _entries.balances
    entries = _entries.entries
    point = _pointage.point
    carried_lines = _pointage.carried_lines

    # -- cash, subsidies, attachments --------------------------------------------------
    record_cash_count = _cash.record_cash_count
    cash_counts = _cash.cash_counts
    add_subsidy = _subsidies.add_subsidy
    update_subsidy = _subsidies.update_subsidy
    remove_subsidy = _subsidies.remove_subsidy
    subsidies = _subsidies.subsidies
    store_blob = _attachments.store_blob
    attach = _attachments.attach
    detach = _attachments.detach
    attachments = _attachments.attachments
    blob = _attachments.blob

    # -- reports (services.crf) --------------------------------------------------------
    crf = _crf.crf
    crfs = _crf.crfs
    previous_year = _crf.previous

    # -- spreadsheet column mappings saved for an AD (services.mappings) ---------------
    save_column_mapping = _mappings.save_column_mapping
    column_mappings = _mappings.column_mappings
    column_mapping = _mappings.column_mapping
    exercice_dates = _crf.exercice_dates
    alerts = _crf.alerts
