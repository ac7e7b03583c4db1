"""An in-memory unit of work and repository: the service layer's tests without a database.

``fake_books(actor, today=…, now=…)`` is a ``Books`` wired by ``services.bootstrap`` to
``FakeUnitOfWork``: the same use cases, guard and domain rules, with the repository's
methods written over dicts. A unit of work works on a deep copy of the store and puts it
back on ``commit`` (a refusal or an exception leaves the store as it was, as the
database's rollback does); a duplicate pièce in one exercice is refused at commit with
``DuplicateKey``, as the database's unique constraint does.

What the fake does NOT model (the SQLite/PostgreSQL runs cover them): row locks and
concurrent writers, SQL's query plans, read-only connections (``Books(read_only=True)``
still refuses writes before any unit of work), the Alembic schema.

Adding a repository method for a use case: add it here too, with the same name and
return types (``storage.records`` and the domain's records).
"""
from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date, datetime
from typing import Collection

from retkoop_widgets.domain.cash import CashCount
from retkoop_widgets.domain.chart import BANK, CASH, Chart, default_chart
from retkoop_widgets.domain.entry import Entry
from retkoop_widgets.domain.exercice import Exercice
from retkoop_widgets.domain.inventory import DurableExpense, DurableGood
from retkoop_widgets.domain.numbering import DeletedPiece
from retkoop_widgets.domain.subsidy import Subsidy
from retkoop_widgets.storage.records import (Ad, Attachment, AuditRecord, Coop, SavedMapping, StoredEntry,
                                             StoredGood, Submission, UserRecord)
from retkoop_widgets.storage.uow import DuplicateKey


class FakeStore:
    """What a database would hold, as plain dicts (ids from one counter)."""

    def __init__(self):
        self.ads: dict[str, Ad] = {}
        self.charts: dict[str, Chart] = {}
        self.coops: dict[str, Coop] = {}
        self.users: dict[str, tuple[str, str | None, str]] = {}  # login -> (role, coop, full name)
        self.accounts: dict[str, UserRecord] = {}  # app_user (``storage.accounts_repo``)
        self.user_ads: dict[str, str] = {}  # login -> AD code (admin-ad, analyste)
        self.history_seen: dict[tuple[str, str], int] = {}  # (login, coop) -> last audit id acknowledged
        self.exercices: dict[int, Exercice] = {}
        self.submissions: dict[int, Submission] = {}
        self.entries: dict[int, StoredEntry] = {}
        self.cash_counts: dict[int, tuple[int, CashCount]] = {}
        self.subsidies: dict[int, tuple[int, Subsidy]] = {}
        self.blobs: dict[str, tuple[str, bytes]] = {}
        self.attachments: dict[int, Attachment] = {}
        self.deleted_pieces: list[tuple[int, DeletedPiece]] = []  # (exercice id, tombstone)
        self.goods: dict[int, StoredGood] = {}
        self.mappings: dict[tuple[str, str], SavedMapping] = {}  # (AD, name) -> saved column mapping
        self.audit: list[tuple[str | None, AuditRecord]] = []  # (coop, record), oldest first
        self.coop_changes: dict[str, int] = {}  # what migration 0011's trigger counts
        self.presence: dict[str, tuple[str, str, datetime]] = {}  # session -> (coop, login, seen_at)
        self.last_id = 0


class FakeRepository:
    def __init__(self, data: FakeStore):
        self.d = data

    def _id(self) -> int:
        self.d.last_id += 1
        return self.d.last_id

    # -- AD, chart, coop -------------------------------------------------------------
    def ad(self, code: str) -> Ad | None:
        return self.d.ads.get(code)

    def ads(self) -> list[Ad]:
        return sorted(self.d.ads.values(), key=lambda a: a.code)

    def add_ad(self, ad: Ad) -> None:
        self.d.ads[ad.code] = ad

    def chart(self, ad_code: str | None) -> Chart:
        return self.d.charts.get(ad_code) or default_chart()

    def replace_chart(self, ad_code: str, chart: Chart) -> None:
        self.d.charts[ad_code] = chart

    def coop(self, code: str) -> Coop | None:
        return self.d.coops.get(code)

    def add_coop(self, coop: Coop) -> None:
        self.d.coops[coop.code] = coop

    def coops(self, ad_code: str | None = None, include_training: bool = True) -> list[Coop]:
        return [c for _, c in sorted(self.d.coops.items())
                if (not ad_code or c.ad_code == ad_code) and (include_training or not c.training)]

    def coops_by_code(self, codes: list[str]) -> dict[str, Coop]:
        return {c: self.d.coops[c] for c in codes if c in self.d.coops}

    def mandataire_names(self, coop: str) -> list[str]:
        users = {**self.d.users, **{u.login: (u.role, u.coop, u.full_name) for u in self.d.accounts.values()}}
        return [name or login for login, (role, c, name) in sorted(users.items())
                if role == "mandataire" and c == coop]

    # -- exercices -------------------------------------------------------------------
    def exercice(self, coop: str, name: str, *, lock: bool = False) -> Exercice | None:
        return next((x for x in self.d.exercices.values() if x.coop == coop and x.name == name), None)

    def exercice_by_id(self, exercice_id: int) -> Exercice | None:
        return self.d.exercices.get(exercice_id)

    def exercices(self, coop: str) -> list[Exercice]:
        return sorted((x for x in self.d.exercices.values() if x.coop == coop), key=lambda x: x.name)

    def exercices_of(self, coops: list[str]) -> list[Exercice]:
        wanted = set(coops)
        return sorted((x for x in self.d.exercices.values() if x.coop in wanted), key=lambda x: (x.coop, x.name))

    def add_exercice(self, ex: Exercice) -> Exercice:
        ex = replace(ex, id=self._id())
        self.d.exercices[ex.id] = ex
        return ex

    def save_exercice(self, ex: Exercice) -> None:
        self.d.exercices[ex.id] = ex

    def submission(self, exercice_id: int) -> Submission:
        return self.d.submissions.get(exercice_id, Submission())

    def submissions_many(self, ids: list[int]) -> dict[int, Submission]:
        return {i: self.submission(i) for i in ids}

    def save_submission(self, exercice_id: int, sub: Submission | None) -> None:
        self.d.submissions[exercice_id] = sub or Submission()

    def delete_exercice_contents(self, exercice_ids: list[int]) -> dict[str, int]:
        ids = set(exercice_ids)
        gone = {i for i, s in self.d.entries.items() if s.exercice_id in ids}
        counted = {"ecritures": len(gone),
                   "arretes_de_caisse": sum(1 for x, _ in self.d.cash_counts.values() if x in ids),
                   "subventions": sum(1 for x, _ in self.d.subsidies.values() if x in ids)}
        self.d.entries = {i: s for i, s in self.d.entries.items() if i not in gone}
        self.d.attachments = {i: a for i, a in self.d.attachments.items() if a.entry_id not in gone}
        self.d.cash_counts = {i: v for i, v in self.d.cash_counts.items() if v[0] not in ids}
        self.d.subsidies = {i: v for i, v in self.d.subsidies.items() if v[0] not in ids}
        self.d.deleted_pieces = [(x, d) for x, d in self.d.deleted_pieces if x not in ids]
        return counted

    def delete_exercice(self, exercice_id: int) -> None:
        del self.d.exercices[exercice_id]
        self.d.submissions.pop(exercice_id, None)

    # -- entries ---------------------------------------------------------------------
    def _of(self, exercice_id: int) -> list[Entry]:
        return sorted((s.entry for s in self.d.entries.values() if s.exercice_id == exercice_id),
                      key=lambda e: (e.date, e.id))

    def entries(self, exercice_id: int) -> list[Entry]:
        return self._of(exercice_id)

    def treasury_movements_many(self, ids: list[int]) -> dict[int, list[tuple]]:
        return {i: [(e.date, e.piece, e.id, e.bank, e.cash) for e in self._of(i)] for i in ids}

    def treasury_details_many(self, ids: list[int], today: date, ends: dict[int, date]) -> dict[int, list]:
        # ``review_treasury`` ignores lines it does not report on: every entry will do.
        return {i: self._of(i) for i in ids}

    def late_bank_lines_many(self, ends: dict[int, date]) -> dict[int, list]:
        # every bank line: ``review_treasury`` keeps only those not on the statement in time
        return {i: [e for e in self._of(i) if e.bank] for i in ends}

    def ventilation_totals_many(self, ids: list[int], durable_codes: Collection[str] = ()):
        totals: dict[int, dict[str, int]] = {i: {} for i in ids}
        durable: dict[int, list[tuple[str, DurableExpense]]] = {i: [] for i in ids}
        for i in ids:
            for e in self._of(i):
                parts: dict[str, int] = {}
                for p in e.postings:
                    if p.account in (BANK, CASH):
                        continue
                    totals[i][p.account] = totals[i].get(p.account, 0) + p.amount
                    if p.account in durable_codes:
                        parts[p.account] = parts.get(p.account, 0) + p.amount
                durable[i].extend((a, DurableExpense(e.id, e.piece, e.date, e.libelle, t)) for a, t in parts.items())
        return totals, durable

    def cash_counts_many(self, ids: list[int]) -> dict[int, list[CashCount]]:
        return {i: sorted((c for x, c in self.d.cash_counts.values() if x == i), key=lambda c: (c.date, c.id))
                for i in ids}

    def subsidies_many(self, ids: list[int]) -> dict[int, list[Subsidy]]:
        return {i: sorted((s for x, s in self.d.subsidies.values() if x == i), key=lambda s: (s.date_received, s.id))
                for i in ids}

    def entry_dates_many(self, ids: list[int]) -> dict[int, tuple[date | None, date | None]]:
        out = {}
        for i in ids:
            es = self._of(i)
            out[i] = (max((e.date for e in es), default=None),
                      max((e.statement_date for e in es if e.statement_date), default=None))
        return out

    def stored_entry(self, entry_id: int) -> StoredEntry | None:
        return self.d.entries.get(entry_id)

    def entry_by_piece(self, exercice_id: int, piece: str) -> Entry | None:
        return next((e for e in self._of(exercice_id) if e.piece == piece), None)

    def pieces(self, exercice_id: int) -> list[str]:
        return [e.piece for e in self._of(exercice_id)] + [d.piece for x, d in self.d.deleted_pieces
                                                           if x == exercice_id]

    def column_mappings(self, ad: str) -> list[SavedMapping]:
        return [m for (a, _n), m in sorted(self.d.mappings.items()) if a == ad]

    def save_column_mapping(self, m: SavedMapping) -> bool:
        replaced = (m.ad, m.name) in self.d.mappings
        self.d.mappings[(m.ad, m.name)] = m
        return replaced

    def deleted_pieces(self, exercice_id: int) -> list[DeletedPiece]:
        return [d for x, d in self.d.deleted_pieces if x == exercice_id]

    def add_deleted_piece(self, exercice_id: int, d: DeletedPiece) -> None:
        if any(x == exercice_id and old.piece == d.piece for x, old in self.d.deleted_pieces):
            raise DuplicateKey(d.piece)
        self.d.deleted_pieces.append((exercice_id, d))

    def cheques(self, coop: str) -> list[str]:
        mine = {x.id for x in self.exercices(coop)}
        return [s.entry.cheque for s in self.d.entries.values() if s.exercice_id in mine and s.entry.cheque
                and any(p.account == BANK and p.amount < 0 for p in s.entry.postings)]

    def add_entries(self, exercice_id: int, entries: list[Entry], actor: str, now: datetime) -> list[int]:
        ids = []
        for e in entries:
            i = self._id()
            self.d.entries[i] = StoredEntry(replace(e, id=i, version=1), exercice_id, actor, now)
            ids.append(i)
        return ids

    def update_entry(self, entry_id: int, e: Entry, actor: str, now: datetime) -> int:
        old = self.d.entries[entry_id]
        version = old.entry.version + 1
        self.d.entries[entry_id] = replace(old, entry=replace(e, id=entry_id, version=version), updated_by=actor,
                                           updated_at=now)
        return version

    def set_pointed(self, entry_id: int, pointed: bool, statement_date: date | None, actor: str,
                    now: datetime) -> int:
        old = self.d.entries[entry_id]
        e = replace(old.entry, pointed=pointed, statement_date=statement_date, version=old.entry.version + 1)
        self.d.entries[entry_id] = replace(old, entry=e, updated_by=actor, updated_at=now)
        return e.version

    def delete_entry(self, entry_id: int) -> None:
        del self.d.entries[entry_id]
        self.d.attachments = {i: a for i, a in self.d.attachments.items() if a.entry_id != entry_id}
        self.d.goods = {i: replace(g, good=replace(g.good, entry_id=None)) if g.good.entry_id == entry_id else g
                        for i, g in self.d.goods.items()}  # ON DELETE SET NULL

    def entry_last_change(self, exercice_id: int) -> datetime | None:
        return max((s.updated_at for s in self.d.entries.values() if s.exercice_id == exercice_id), default=None)

    # -- cash counts, subsidies ------------------------------------------------------
    def cash_counts(self, exercice_id: int) -> list[CashCount]:
        return self.cash_counts_many([exercice_id])[exercice_id]

    def subsidies(self, exercice_id: int) -> list[Subsidy]:
        return self.subsidies_many([exercice_id])[exercice_id]

    def add_cash_count(self, exercice_id: int, count: CashCount) -> CashCount:
        count = replace(count, id=self._id())
        self.d.cash_counts[count.id] = (exercice_id, count)
        return count

    def subsidy(self, subsidy_id: int) -> tuple[Subsidy, int] | None:
        found = self.d.subsidies.get(subsidy_id)
        return (found[1], found[0]) if found else None

    def add_subsidy(self, exercice_id: int, s: Subsidy) -> Subsidy:
        s = replace(s, id=self._id(), version=1)
        self.d.subsidies[s.id] = (exercice_id, s)
        return s

    def update_subsidy(self, subsidy_id: int, s: Subsidy) -> Subsidy:
        exercice_id, old = self.d.subsidies[subsidy_id]
        s = replace(s, id=subsidy_id, version=old.version + 1)
        self.d.subsidies[subsidy_id] = (exercice_id, s)
        return s

    def delete_subsidy(self, subsidy_id: int) -> None:
        del self.d.subsidies[subsidy_id]

    # -- files -----------------------------------------------------------------------
    def has_blob(self, sha256: str) -> bool:
        return sha256 in self.d.blobs

    def add_blob(self, sha256: str, mime: str, content: bytes) -> None:
        self.d.blobs.setdefault(sha256, (mime, content))

    def blob_of_coop(self, coop: str, sha256: str) -> tuple[str, bytes] | None:
        mine = {x.id for x in self.exercices(coop)}
        linked = any(a.sha256 == sha256 and self.d.entries[a.entry_id].exercice_id in mine
                     for a in self.d.attachments.values()) or any(
            x in mine and s.proof == sha256 for x, s in self.d.subsidies.values())
        return self.d.blobs.get(sha256) if linked else None

    def attachment_name(self, entry_id: int, sha256: str) -> str | None:
        return next((a.filename for a in self.d.attachments.values()
                     if a.entry_id == entry_id and a.sha256 == sha256), None)

    def add_attachment(self, entry_id: int, sha256: str, filename: str, actor: str, now: datetime) -> None:
        i = self._id()
        self.d.attachments[i] = Attachment(i, entry_id, sha256, filename[:255], actor, now)

    def remove_attachment(self, attachment_id: int) -> None:
        self.d.attachments.pop(attachment_id, None)

    def attachments(self, entry_ids: list[int]) -> dict[int, list[Attachment]]:
        out: dict[int, list[Attachment]] = {}
        wanted = set(entry_ids)
        for _, a in sorted(self.d.attachments.items()):
            if a.entry_id in wanted:
                out.setdefault(a.entry_id, []).append(a)
        return out

    # -- inventory -------------------------------------------------------------------
    def _with_piece(self, g: DurableGood) -> DurableGood:
        found = self.d.entries.get(g.entry_id) if g.entry_id is not None else None
        return replace(g, piece=found.entry.piece if found else "")

    def stored_good(self, good_id: int, *, lock: bool = False) -> StoredGood | None:
        found = self.d.goods.get(good_id)
        return replace(found, good=self._with_piece(found.good)) if found else None

    def goods(self, coop: str, *, start: date | None = None, end: date | None = None,
              include_disposed: bool = True) -> list[DurableGood]:
        out = [self._with_piece(s.good) for s in self.d.goods.values() if s.coop_code == coop
               and (end is None or s.good.acquired_on <= end)
               and (start is None or s.good.disposed_on is None or s.good.disposed_on >= start)
               and (include_disposed or s.good.disposed_on is None)]
        return sorted(out, key=lambda g: (g.acquired_on, g.id))

    def add_good(self, coop: str, good: DurableGood, actor: str, now: datetime) -> DurableGood:
        good = replace(good, id=self._id(), version=1)
        self.d.goods[good.id] = StoredGood(good, coop, actor, now)
        return good

    def save_good(self, good_id: int, good: DurableGood, actor: str, now: datetime) -> int:
        old = self.d.goods[good_id]
        version = old.good.version + 1
        self.d.goods[good_id] = replace(old, good=replace(good, id=good_id, version=version), updated_by=actor,
                                        updated_at=now)
        return version

    def delete_good(self, good_id: int) -> None:
        del self.d.goods[good_id]

    def durable_expenses(self, exercice_id: int, codes) -> list[DurableExpense]:
        codes = set(codes)
        out = []
        for e in self._of(exercice_id):
            total = sum(p.amount for p in e.postings if p.account in codes)
            if total:
                out.append(DurableExpense(e.id, e.piece, e.date, e.libelle, total))
        return out

    def goods_of_coops(self, coops: list[str]) -> dict[str, list[DurableGood]]:
        return {c: self.goods(c) for c in coops}

    # -- audit -----------------------------------------------------------------------
    def audit(self, *, actor: str, action: str, object_type: str, object_id, now: datetime,
              coop: str | None = None, exercice: str | None = None, before: dict | None = None,
              after: dict | None = None, reason: str = "") -> None:
        self.d.audit.append((coop, AuditRecord(now, actor, action, object_type, str(object_id), exercice,
                                               copy.deepcopy(before), copy.deepcopy(after), reason,
                                               self._id(), coop)))
        self._changed(coop)

    def _changed(self, coop: str | None) -> None:
        """The database's trigger on audit_log (migration 0011): one more change of the coop."""
        if coop is not None:
            self.d.coop_changes[coop] = self.d.coop_changes.get(coop, 0) + 1

    def audit_many(self, rows: list[dict]) -> None:
        for r in rows:
            self.d.audit.append((r["coop_code"], AuditRecord(r["at"], r["actor"], r["action"], r["object_type"],
                                                             r["object_id"], r["exercice"], r["before"],
                                                             r["after"], r["reason"], self._id(),
                                                             r["coop_code"])))
            self._changed(r["coop_code"])

    def audit_log(self, coop: str, limit: int = 200) -> list[AuditRecord]:
        return [r for c, r in reversed(self.d.audit) if c == coop][:limit]

    def audit_records(self, coop: str, *, exercice: str | None = None, since: datetime | None = None,
                      after_id: int | None = None, before_id: int | None = None, actor: str | None = None,
                      not_actor: str | None = None, limit: int = 50) -> list[AuditRecord]:
        return [r for c, r in reversed(self.d.audit)
                if c == coop and (exercice is None or r.exercice == exercice) and (since is None or r.at >= since)
                and (after_id is None or r.id > after_id) and (before_id is None or r.id < before_id)
                and (actor is None or r.actor == actor) and (not_actor is None or r.actor != not_actor)][:limit]

    def actor_roles(self, logins: list[str]) -> dict[str, tuple[str, str | None, str | None]]:
        return {login: (self.d.users[login][0], self.d.users[login][1], self.d.user_ads.get(login))
                for login in set(logins) if login in self.d.users}

    def history_seen(self, login: str, coop: str) -> int | None:
        return self.d.history_seen.get((login, coop))

    def set_history_seen(self, login: str, coop: str, audit_id: int, now: datetime) -> None:
        key = (login, coop)
        self.d.history_seen[key] = max(audit_id, self.d.history_seen.get(key, audit_id))

    def last_audit(self, coop: str, exercice: str, action: str) -> AuditRecord | None:
        return next((r for c, r in reversed(self.d.audit)
                     if c == coop and r.exercice == exercice and r.action == action), None)


    # -- accounts (``storage.accounts_repo``) ----------------------------------------------
    def user(self, login: str, with_hash: bool = False) -> UserRecord | None:
        u = self.d.accounts.get(login) if login else None
        return u if u is None or with_hash else replace(u, password_hash=None)

    def users(self, with_hash: bool = False) -> list[UserRecord]:
        return [self.user(k, with_hash) for k in sorted(self.d.accounts)]

    def add_user(self, u: UserRecord) -> None:
        if u.login in self.d.accounts:
            raise DuplicateKey(f"compte {u.login} en double")
        self.d.accounts[u.login] = u

    def save_user(self, u: UserRecord) -> None:
        old = self.d.accounts[u.login]
        self.d.accounts[u.login] = replace(u, created_at=old.created_at, created_by=old.created_by,
                                           password_hash=old.password_hash if u.password_hash is None
                                           else u.password_hash)

    def user_audit_events(self, after_id: int, actions: tuple[str, ...]) -> list[tuple[int, str]]:
        """Audit ids are 1-based positions in the append-only list."""
        return [(i, r.object_id) for i, (_, r) in enumerate(self.d.audit, start=1)
                if i > after_id and r.object_type == "user" and r.action in actions]

    def last_audit_id(self) -> int:
        return len(self.d.audit)

    def last_change_of(self, coop: str, object_type: str, object_id) -> AuditRecord | None:
        return next((r for c, r in reversed(self.d.audit)
                     if c == coop and r.object_type == object_type and r.object_id == str(object_id)), None)

    # -- live: change counter, presence ------------------------------------------------
    def change_version(self, coop: str) -> int:
        return self.d.coop_changes.get(coop, 0)

    def touch_presence(self, session: str, coop: str, login: str, now: datetime) -> None:
        self.d.presence[session] = (coop, login, now)

    def forget_presence(self, session: str) -> None:
        self.d.presence.pop(session, None)

    def expire_presence(self, before: datetime) -> None:
        self.d.presence = {s: v for s, v in self.d.presence.items() if v[2] >= before}

    def present(self, coop: str, since: datetime) -> list[tuple[str, str]]:
        return sorted(((s, v[1]) for s, v in self.d.presence.items() if v[0] == coop and v[2] >= since),
                      key=lambda x: (x[1], x[0]))


class FakeUnitOfWork:
    """``with`` opens a private copy of the store; ``commit`` puts it back."""

    def __init__(self, store: FakeStore, *, read_only: bool = False):
        self.store, self.read_only = store, read_only
        self.commits = 0

    def __enter__(self) -> "FakeUnitOfWork":
        self.repo = FakeRepository(copy.deepcopy(self.store))
        return self

    def __exit__(self, *exc) -> None:
        self.repo = None  # rollback: the copy is dropped

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("read-only unit of work")
        seen = set()
        for s in self.repo.d.entries.values():  # the database's uq_entry_piece
            key = (s.exercice_id, s.entry.piece)
            if key in seen:
                raise DuplicateKey(f"pièce {s.entry.piece} en double")
            seen.add(key)
        self.store.__dict__.update(copy.deepcopy(self.repo.d).__dict__)
        self.commits += 1


def fake_uow_factory(store: FakeStore | None = None):
    """``factory(read_only=…)`` over one store (``factory.store``), what ``bootstrap`` takes."""
    store = store or FakeStore()

    def factory(*, read_only: bool = False) -> FakeUnitOfWork:
        return FakeUnitOfWork(store, read_only=read_only)
    factory.store = store
    return factory


def fake_books(actor=None, **clocks):
    from retkoop_widgets.services.bootstrap import bootstrap
    return bootstrap(actor=actor, uow_factory=fake_uow_factory(), **clocks)
