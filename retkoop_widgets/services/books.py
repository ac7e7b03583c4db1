"""``Books``: the use cases of a cooperative's books, each in one unit of work.

Every write:
* checks the acting user may write this coop (``Actor``) and that the exercice is open;
* locks the exercice (PostgreSQL ``SELECT … FOR UPDATE``; SQLite ``BEGIN IMMEDIATE``)
  so pièce numbers are allocated by one writer at a time and never twice;
* checks the version the user saw (optimistic locking): a stale edit is refused;
* writes an audit record (who, when, before, after) in the same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Callable, Iterable, Mapping, Sequence

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from ..domain import attachment as att
from ..domain import numbering
from ..domain.actor import Actor, as_actor
from ..domain.cash import CashCount, make_count
from ..domain.chart import Chart, parse_chart_csv
from ..domain.crf import Crf, crf_from_totals
from ..domain.inventory import DurableExpense, DurableGood, compare_register, durable_goods_codes
from ..domain.entry import Entry, EntryDraft, build_entry
from ..domain.errors import Conflict, Forbidden, NotFound, Problem, ValidationError
from ..domain.exercice import (CLOSED, REOPENED, SUBMITTED, Exercice, next_name, parse_name)
from ..domain.ledger import Alert, CahierLine, balances_at, review_treasury, running_balances
from ..domain.money import format_eur, to_decimal_str
from ..domain.subsidy import Subsidy, make_subsidy
from ..storage import inventory_repo, orm
from ..storage.db import forced_read_only, get_engine
from ..storage.repository import Repository, entry_snapshot, to_exercice, to_subsidy
from ..storage.uow import UnitOfWork


@dataclass(frozen=True)
class ExerciceSnapshot:
    exercice: Exercice
    entries: list[Entry]
    cash_counts: list[CashCount]
    subsidies: list[Subsidy]
    goods: list[DurableGood] = ()  # the inventory register's goods acquired in the exercice


def _current(exercices: Sequence[Exercice]) -> Exercice | None:
    """The latest exercice that is not closed (else the latest); ``exercices`` by name."""
    live = [e for e in exercices if e.state != CLOSED]
    return (live or list(exercices) or [None])[-1]


def _durable_expenses(found: Sequence[tuple[str, DurableExpense]], codes: frozenset[str]) -> list[DurableExpense]:
    """Each entry's part on THIS chart's biens durables account(s), in cahier date order:
    the query took the union of every AD's codes, and an entry may use two of them."""
    by_entry: dict[int, DurableExpense] = {}
    for account, x in found:
        if account in codes:
            prev = by_entry.get(x.entry_id)
            by_entry[x.entry_id] = x if prev is None else replace(prev, amount=prev.amount + x.amount)
    return sorted((x for x in by_entry.values() if x.amount), key=lambda x: (x.date, x.entry_id))


class Books:
    """Entry point to the ledger for one acting user.

    ``Books(url, actor)``; ``today``/``now`` are injectable clocks (tests, demo data).
    """

    def __init__(self, url: str | Engine | None = None, actor: Actor | str | None = None, *,
                 today: Callable[[], date] = date.today, now: Callable[[], datetime] = datetime.now,
                 read_only: bool = False):
        read_only = read_only or forced_read_only()
        self.engine = url if isinstance(url, Engine) else get_engine(url, read_only=read_only)
        self.actor = as_actor(actor)
        self.today = today
        self.now = now
        self.read_only = read_only

    def as_user(self, actor: Actor | str) -> "Books":
        return Books(self.engine, actor, today=self.today, now=self.now, read_only=self.read_only)

    def uow(self, write: bool = False) -> UnitOfWork:
        if write and self.read_only:
            raise Forbidden("connexion en lecture seule : aucune modification n'est possible")
        return UnitOfWork(self.engine, read_only=not write)

    def init_schema(self) -> None:
        from ..storage.schema import upgrade  # Alembic only here: report kernels and the CLI start faster
        upgrade(self.engine)

    # -- helpers -----------------------------------------------------------------------
    def _coop(self, repo: Repository, code: str, write: bool) -> orm.CoopRow:
        row = repo.coop(code)
        if row is None:
            raise NotFound(f"coopérative « {code} » inconnue")
        self.actor.require(write, row.code, row.ad_code, row.training)
        return row

    def _exercice(self, repo: Repository, coop: str, name: str, *, write: bool = False,
                  lock: bool = False) -> tuple[orm.CoopRow, orm.ExerciceRow]:
        c = self._coop(repo, coop, write)
        row = repo.exercice_row(coop, name, lock=lock)
        if row is None:
            parse_name(name)
            raise NotFound(f"l'exercice {name} de la coopérative {coop} n'est pas ouvert "
                           f"(retkoop exercice open {coop} {name})")
        return c, row

    def _writable(self, repo: Repository, coop: str, name: str) -> tuple[orm.CoopRow, orm.ExerciceRow, Exercice]:
        c, row = self._exercice(repo, coop, name, write=True, lock=True)
        ex = to_exercice(row)
        ex.require_writable()
        return c, row, ex

    def _audit(self, repo: Repository, action: str, object_type: str, object_id, *, coop=None,
               exercice=None, before=None, after=None, reason: str = "") -> None:
        repo.audit(actor=self.actor.login, action=action, object_type=object_type, object_id=object_id,
                   now=self.now(), coop=coop, exercice=exercice, before=before, after=after, reason=reason)

    # -- ADs, charts, coops ------------------------------------------------------------
    def add_ad(self, code: str, name: str) -> None:
        code = code.strip().upper()
        if not code or not name.strip():
            raise ValidationError("le code et le nom de l'AD sont obligatoires", "code")
        if self.actor.role not in ("system",):
            raise Forbidden("seul l'administrateur de la plateforme crée une AD")
        with self.uow(True) as uow:
            if uow.repo.ad(code):
                raise Conflict(f"l'AD {code} existe déjà")
            uow.session.add(orm.AdRow(code=code, name=name.strip()))
            self._audit(uow.repo, "create", "ad", code, after={"name": name.strip()})
            uow.commit()

    def ads(self) -> list[tuple[str, str]]:
        with self.uow() as uow:
            return [(r.code, r.name) for r in uow.repo.ads()]

    def import_chart(self, ad: str, csv_text: str, source: str = "fichier") -> Chart:
        chart = parse_chart_csv(csv_text, source)
        with self.uow(True) as uow:
            if uow.repo.ad(ad) is None:
                raise NotFound(f"AD « {ad} » inconnue")
            if not (self.actor.role == "system" or (self.actor.role == "admin-ad" and self.actor.ad == ad)):
                raise Forbidden(f"{self.actor.login} ne peut pas changer le plan comptable de {ad}")
            uow.repo.replace_chart(ad, chart)
            self._audit(uow.repo, "chart_import", "ad", ad, after={"comptes": len(chart)})
            uow.commit()
        return chart

    def chart(self, coop: str) -> Chart:
        with self.uow() as uow:
            return uow.repo.chart(self._coop(uow.repo, coop, False).ad_code)

    def add_coop(self, code: str, name: str, ad: str, *, numbering_mode: str = numbering.SINGLE,
                 training: bool = False) -> None:
        code, ad = code.strip().upper(), ad.strip().upper()
        if not code or not name.strip():
            raise ValidationError("le code et le nom de la coopérative sont obligatoires", "code")
        if numbering_mode not in (numbering.SINGLE, numbering.SPLIT):
            raise ValidationError("numérotation « unique » ou « RD » (recettes / dépenses)", "numbering")
        with self.uow(True) as uow:
            if uow.repo.ad(ad) is None:
                raise NotFound(f"AD « {ad} » inconnue (retkoop ad add {ad} --name …)")
            if self.actor.role not in ("system", "admin-ad", "formateur") or (
                    self.actor.role == "admin-ad" and self.actor.ad != ad):
                raise Forbidden(f"{self.actor.login} ne peut pas créer de coopérative dans {ad}")
            if uow.repo.coop(code):
                raise Conflict(f"la coopérative {code} existe déjà")
            uow.session.add(orm.CoopRow(code=code, name=name.strip(), ad_code=ad,
                                        numbering=numbering_mode, training=training))
            self._audit(uow.repo, "create", "coop", code, coop=code,
                        after={"name": name.strip(), "ad": ad, "numbering": numbering_mode, "training": training})
            uow.commit()

    def coop_info(self, code: str) -> dict:
        with self.uow() as uow:
            c = self._coop(uow.repo, code, False)
            ad = uow.repo.ad(c.ad_code)
            return {"code": c.code, "name": c.name, "ad": c.ad_code, "ad_name": ad.name if ad else "",
                    "numbering": c.numbering, "training": c.training,
                    "exercices": [(r.name, r.state) for r in uow.repo.exercices(code)]}

    def coops(self, ad: str | None = None, include_training: bool = True) -> list[dict]:
        with self.uow() as uow:
            return [{"code": c.code, "name": c.name, "ad": c.ad_code, "training": c.training}
                    for c in uow.repo.coops(ad, include_training)
                    if self.actor.may_read(c.code, c.ad_code, c.training)]

    # -- exercices ---------------------------------------------------------------------
    def open_exercice(self, coop: str, name: str, opening_bank: int = 0, opening_cash: int = 0) -> Exercice:
        parse_name(name)
        if opening_cash < 0:
            raise ValidationError("le solde d'ouverture de la caisse ne peut pas être négatif", "caisse")
        with self.uow(True) as uow:
            self._coop(uow.repo, coop, True)
            if uow.repo.exercice_row(coop, name):
                raise Conflict(f"l'exercice {name} de {coop} est déjà ouvert")
            row = orm.ExerciceRow(coop_code=coop, name=name, opening_bank=opening_bank,
                                  opening_cash=opening_cash, state="ouvert", version=1)
            uow.session.add(row)
            uow.session.flush()
            self._audit(uow.repo, "open", "exercice", row.id, coop=coop, exercice=name,
                        after={"banque": opening_bank, "caisse": opening_cash})
            uow.commit()
            return to_exercice(row)

    def exercice(self, coop: str, name: str) -> Exercice:
        with self.uow() as uow:
            return to_exercice(self._exercice(uow.repo, coop, name)[1])

    def exercices(self, coop: str) -> list[Exercice]:
        with self.uow() as uow:
            self._coop(uow.repo, coop, False)
            return [to_exercice(r) for r in uow.repo.exercices(coop)]

    def current_exercice(self, coop: str) -> Exercice | None:
        """The latest exercice that is not closed (else the latest)."""
        return _current(self.exercices(coop))

    def submit_exercice(self, coop: str, name: str, verificateurs: Sequence[dict] = (), *,
                        place: str = "", signed_on: date | None = None) -> Exercice:
        """Lock the books (CRF submitted). ``services.submission`` checks readiness first.

        The signature block (vérificateurs, place and date of signature) is kept in the
        lock's audit record, where ``submission.submission_info`` reads it back for the PDF:
        it belongs to that act of submission, and a reopening followed by a new submission
        records a new one."""
        with self.uow(True) as uow:
            _, row, ex = self._writable(uow.repo, coop, name)
            new = ex.to(SUBMITTED)
            before = {"etat": row.state}
            row.state, row.version = new.state, row.version + 1
            row.submitted_at, row.submitted_by = self.now(), self.actor.login
            row.verificateurs = list(verificateurs)
            self._audit(uow.repo, "lock", "exercice", row.id, coop=coop, exercice=name, before=before,
                        after={"etat": row.state, "verificateurs": list(verificateurs), "lieu": place.strip(),
                               "signe_le": signed_on.isoformat() if signed_on else None})
            uow.commit()
            return to_exercice(row)

    def reopen_exercice(self, coop: str, name: str, reason: str) -> Exercice:
        if not (reason or "").strip():
            raise ValidationError("indiquez la raison de la réouverture", "raison")
        if not self.actor.may_unlock:
            raise Forbidden("seule l'AD peut rouvrir un exercice soumis")
        with self.uow(True) as uow:
            _, row = self._exercice(uow.repo, coop, name, write=True, lock=True)
            new = to_exercice(row).to(REOPENED)
            before = {"etat": row.state}
            row.state, row.version = new.state, row.version + 1
            self._audit(uow.repo, "unlock", "exercice", row.id, coop=coop, exercice=name,
                        before=before, after={"etat": row.state}, reason=reason.strip())
            uow.commit()
            return to_exercice(row)

    def close_exercice(self, coop: str, name: str) -> Exercice:
        """Close the exercice and carry its closing balances into the next one's opening."""
        with self.uow(True) as uow:
            _, row = self._exercice(uow.repo, coop, name, write=True, lock=True)
            ex = to_exercice(row)
            closed = ex.to(CLOSED)
            bank, cash = balances_at(ex, uow.repo.entries(row.id))
            row.state, row.version = closed.state, row.version + 1
            nxt_name = next_name(name)
            nxt = uow.repo.exercice_row(coop, nxt_name, lock=True)
            if nxt is None:
                nxt = orm.ExerciceRow(coop_code=coop, name=nxt_name, opening_bank=bank, opening_cash=cash,
                                      state="ouvert", version=1)
                uow.session.add(nxt)
                uow.session.flush()
            else:
                if not to_exercice(nxt).writable:
                    raise Conflict(f"l'exercice {nxt_name} est déjà verrouillé : report impossible")
                before = {"banque": nxt.opening_bank, "caisse": nxt.opening_cash}
                nxt.opening_bank, nxt.opening_cash, nxt.version = bank, cash, nxt.version + 1
                self._audit(uow.repo, "carry_forward", "exercice", nxt.id, coop=coop, exercice=nxt_name,
                            before=before, after={"banque": bank, "caisse": cash})
            self._audit(uow.repo, "close", "exercice", row.id, coop=coop, exercice=name,
                        before={"etat": ex.state}, after={"etat": CLOSED, "report": {"banque": bank, "caisse": cash}})
            uow.commit()
            return to_exercice(nxt)

    # -- entries -----------------------------------------------------------------------
    def suggest_piece(self, coop: str, name: str, kind: str = "recette") -> str:
        with self.uow() as uow:
            c, row = self._exercice(uow.repo, coop, name)
            return numbering.next_piece(uow.repo.pieces(row.id), numbering.series_prefix(c.numbering, kind))

    def suggest_cheque(self, coop: str) -> str:
        with self.uow() as uow:
            self._coop(uow.repo, coop, False)
            return numbering.next_cheque(uow.repo.cheques(coop))

    def record_entry(self, coop: str, name: str, draft: EntryDraft) -> Entry:
        """Validate and save one entry; an empty pièce gets the next free number."""
        with self.uow(True) as uow:
            c, row, ex = self._writable(uow.repo, coop, name)
            entry = self._save_new(uow.repo, c, row, ex, draft)
            self._audit(uow.repo, "create", "entry", entry.id, coop=coop, exercice=name,
                        after=entry_snapshot(entry))
            self._commit_unique(uow, entry.piece)
            return entry

    def _save_new(self, repo: Repository, c: orm.CoopRow, row: orm.ExerciceRow, ex: Exercice,
                  draft: EntryDraft) -> Entry:
        entry = self._prepare(repo.chart(c.ad_code), c, ex, draft, numbering.PieceAllocator(repo.pieces(row.id)))
        (new_id,) = repo.add_entries(row.id, [entry], self.actor.login, self.now())
        return replace(entry, id=new_id, version=1)

    def _prepare(self, chart: Chart, c: orm.CoopRow, ex: Exercice, draft: EntryDraft,
                 used: numbering.PieceAllocator) -> Entry:
        """Validate a draft and give it its pièce (the next free one when empty); adds the
        pièce to ``used``. Must run under the exercice lock (see ``_writable``)."""
        piece = (draft.piece or "").strip()
        if not piece:
            probe = build_entry(replace(draft, piece="?"), chart, start=ex.start, end=ex.end,
                                exercice_name=ex.name)
            piece = used.next(numbering.series_prefix(c.numbering, probe.kind))
        elif piece in used:
            raise ValidationError(Problem(f"la pièce {piece} est déjà utilisée dans l'exercice {ex.name} "
                                          f"(prochain numéro libre : {used.next(piece.rstrip('0123456789'))})",
                                          "piece"))
        entry = build_entry(replace(draft, piece=piece), chart, start=ex.start, end=ex.end,
                            exercice_name=ex.name)
        used.add(piece)
        return entry

    def _commit_unique(self, uow: UnitOfWork, piece: str) -> None:
        try:
            uow.commit()
        except IntegrityError as exc:  # belt and braces: the lock should make this unreachable
            raise Conflict(f"la pièce {piece} vient d'être utilisée par une autre session : "
                           "enregistrez à nouveau pour obtenir un nouveau numéro") from exc

    def _entry_for_write(self, repo: Repository, entry_id: int, expected_version: int | None):
        erow = repo.entry_row(entry_id)
        if erow is None:
            raise NotFound(f"écriture n° {entry_id} introuvable (supprimée entre-temps ?)")
        ex_row = repo.s.get(orm.ExerciceRow, erow.exercice_id)
        c, ex_row = self._exercice(repo, ex_row.coop_code, ex_row.name, write=True, lock=True)
        ex = to_exercice(ex_row)
        ex.require_writable()
        repo.s.refresh(erow)
        if expected_version is not None and erow.version != expected_version:
            raise Conflict(f"la pièce {erow.piece} a été modifiée par {erow.updated_by} le "
                           f"{erow.updated_at:%d/%m/%Y à %H:%M} depuis que vous l'avez ouverte : "
                           "rechargez-la avant de la modifier (vos changements n'ont pas été enregistrés)")
        from ..storage.repository import to_entry
        return c, ex_row, ex, erow, to_entry(erow)

    def update_entry(self, entry_id: int, expected_version: int, draft: EntryDraft) -> Entry:
        with self.uow(True) as uow:
            c, ex_row, ex, erow, old = self._entry_for_write(uow.repo, entry_id, expected_version)
            piece = (draft.piece or "").strip() or old.piece
            if piece != old.piece and uow.repo.entry_row_by_piece(ex_row.id, piece):
                raise ValidationError(f"la pièce {piece} est déjà utilisée dans l'exercice {ex.name}", "piece")
            new = build_entry(replace(draft, piece=piece), uow.repo.chart(c.ad_code), start=ex.start,
                              end=ex.end, exercice_name=ex.name)
            flagged = old.changed_after_pointage or (
                old.pointed and old.money_signature() != new.money_signature())
            new = replace(new, changed_after_pointage=flagged)
            uow.repo.update_entry(erow, new, self.actor.login, self.now())
            new = replace(new, id=erow.id, version=erow.version)
            self._audit(uow.repo, "update", "entry", entry_id, coop=c.code, exercice=ex.name,
                        before=entry_snapshot(old), after=entry_snapshot(new))
            self._commit_unique(uow, piece)
            return new

    def delete_entry(self, entry_id: int, expected_version: int | None, reason: str = "") -> None:
        with self.uow(True) as uow:
            c, ex_row, ex, erow, old = self._entry_for_write(uow.repo, entry_id, expected_version)
            uow.session.delete(erow)
            self._audit(uow.repo, "delete", "entry", entry_id, coop=c.code, exercice=ex.name,
                        before=entry_snapshot(old), reason=reason)
            uow.commit()

    def point(self, entry_ids: Iterable[int], statement_date: date | None, *, pointed: bool = True,
              versions: Mapping[int, int] | None = None) -> int:
        """Tick (or untick) bank lines against a statement; returns how many changed.

        ``versions`` (entry id → version the caller saw): a line changed or pointed by
        someone else since is refused (``Conflict``) and nothing is pointed — what a
        statement import needs, since its proposal was computed from an earlier read."""
        ids = list(entry_ids)
        if versions is not None and set(ids) - set(versions):  # a caller's slip, not a user's
            raise ValueError(f"point(versions=…) lacks the versions of entries {sorted(set(ids) - set(versions))}")
        changed = 0
        with self.uow(True) as uow:
            for entry_id in ids:
                c, ex_row, ex, erow, old = self._entry_for_write(
                    uow.repo, entry_id, None if versions is None else versions[entry_id])
                if not old.bank:
                    raise ValidationError(f"la pièce {old.piece} ne passe pas par la banque : "
                                          "elle ne peut pas être pointée", "pointage")
                if pointed and statement_date and statement_date < old.date:
                    raise ValidationError(f"la pièce {old.piece} du {old.date:%d/%m/%Y} ne peut pas figurer "
                                          f"sur un relevé du {statement_date:%d/%m/%Y}", "pointage")
                if erow.pointed == pointed and (not pointed or erow.statement_date == statement_date):
                    continue
                before = {"pointe": erow.pointed, "date_releve": erow.statement_date.isoformat() if erow.statement_date else None}
                erow.pointed = pointed
                erow.statement_date = statement_date if pointed else None
                erow.version += 1
                erow.updated_at, erow.updated_by = self.now(), self.actor.login
                self._audit(uow.repo, "point" if pointed else "unpoint", "entry", entry_id, coop=c.code,
                            exercice=ex.name, before=before,
                            after={"pointe": pointed, "date_releve": statement_date.isoformat() if pointed and statement_date else None})
                changed += 1
            uow.commit()
        return changed

    def entries(self, coop: str, name: str) -> list[Entry]:
        with self.uow() as uow:
            _, row = self._exercice(uow.repo, coop, name)
            return uow.repo.entries(row.id)

    def entry(self, entry_id: int) -> Entry:
        from ..storage.repository import to_entry
        with self.uow() as uow:
            erow = uow.repo.entry_row(entry_id)
            if erow is None:
                raise NotFound(f"écriture n° {entry_id} introuvable")
            ex_row = uow.session.get(orm.ExerciceRow, erow.exercice_id)
            self._coop(uow.repo, ex_row.coop_code, False)
            return to_entry(erow)

    def snapshot(self, coop: str, name: str) -> "ExerciceSnapshot":
        """The exercice, its entries, cash counts, subsidies and inventory goods read in ONE
        transaction: a consistent picture for a screen that shows them together (the
        dashboard computes its live CRF from it)."""
        with self.uow() as uow:
            c, row = self._exercice(uow.repo, coop, name)
            ex = to_exercice(row)
            return ExerciceSnapshot(ex, uow.repo.entries(row.id), uow.repo.cash_counts(row.id),
                                    uow.repo.subsidies(row.id),
                                    inventory_repo.goods(uow.session, c.code, start=ex.start, end=ex.end))

    def cahier(self, coop: str, name: str) -> list[CahierLine]:
        with self.uow() as uow:
            _, row = self._exercice(uow.repo, coop, name)
            return running_balances(to_exercice(row), uow.repo.entries(row.id))

    def balances(self, coop: str, name: str, day: date | None = None) -> tuple[int, int]:
        with self.uow() as uow:
            _, row = self._exercice(uow.repo, coop, name)
            return balances_at(to_exercice(row), uow.repo.entries(row.id), day)

    # -- cash, subsidies, attachments --------------------------------------------------
    def record_cash_count(self, coop: str, name: str, day: date, counts: dict[int, int],
                          comment: str = "") -> CashCount:
        with self.uow(True) as uow:
            _, row, ex = self._writable(uow.repo, coop, name)
            if day and not ex.contains(day):
                raise ValidationError(f"la date {day:%d/%m/%Y} est hors de l'exercice {name}", "date")
            if day and day > self.today():
                raise ValidationError("un arrêté de caisse ne peut pas être daté dans le futur", "date")
            _, cash = balances_at(ex, uow.repo.entries(row.id), day)
            count = make_count(day, counts, cash, self.actor.login, comment)
            crow = orm.CashCountRow(exercice_id=row.id, date=day, counts={str(k): v for k, v in count.counts.items()},
                                    total=count.total, book_balance=cash, comment=comment,
                                    author=self.actor.login, recorded_at=self.now())
            uow.session.add(crow)
            uow.session.flush()
            self._audit(uow.repo, "create", "cash_count", crow.id, coop=coop, exercice=name,
                        after={"date": day.isoformat(), "compte": count.total, "solde_livre": cash, "ecart": count.gap})
            uow.commit()
            return replace(count, id=crow.id, recorded_at=crow.recorded_at)

    def cash_counts(self, coop: str, name: str) -> list[CashCount]:
        with self.uow() as uow:
            _, row = self._exercice(uow.repo, coop, name)
            return uow.repo.cash_counts(row.id)

    def add_subsidy(self, coop: str, name: str, grantor: str, grantor_type: str, object: str,
                    amount: int, date_received: date, entry_piece: str = "", proof: str = "") -> Subsidy:
        s = make_subsidy(grantor, grantor_type, object, amount, date_received, entry_piece, proof)
        with self.uow(True) as uow:
            _, row, ex = self._writable(uow.repo, coop, name)
            self._check_subsidy_links(uow.repo, row.id, ex, s)
            srow = orm.SubsidyRow(exercice_id=row.id, grantor=s.grantor, grantor_type=s.grantor_type,
                                  object=s.object, amount=s.amount, date_received=s.date_received,
                                  entry_piece=s.entry_piece, proof=s.proof, version=1)
            uow.session.add(srow)
            uow.session.flush()
            self._audit(uow.repo, "create", "subsidy", srow.id, coop=coop, exercice=name, after=_subsidy_dict(s))
            uow.commit()
            return to_subsidy(srow)

    def _check_subsidy_links(self, repo: Repository, exercice_id: int, ex: Exercice, s: Subsidy) -> None:
        if not ex.contains(s.date_received):
            raise ValidationError(f"la date de réception {s.date_received:%d/%m/%Y} est hors de "
                                  f"l'exercice {ex.name}", "date_received")
        if s.entry_piece:
            erow = repo.entry_row_by_piece(exercice_id, s.entry_piece)
            if erow is None:
                raise ValidationError(f"pièce {s.entry_piece} introuvable dans l'exercice", "entry_piece")
            if not any(p.account == "7410" for p in erow.postings):
                raise ValidationError(f"la pièce {s.entry_piece} n'est pas ventilée sur le compte 7410 "
                                      "(subventions publiques)", "entry_piece")
        if s.proof and repo.s.get(orm.BlobRow, s.proof) is None:
            raise ValidationError("justificatif introuvable", "proof")

    def update_subsidy(self, subsidy_id: int, expected_version: int, **fields) -> Subsidy:
        with self.uow(True) as uow:
            srow = uow.session.get(orm.SubsidyRow, subsidy_id)
            if srow is None:
                raise NotFound(f"subvention n° {subsidy_id} introuvable")
            ex_row = uow.session.get(orm.ExerciceRow, srow.exercice_id)
            _, row, ex = self._writable(uow.repo, ex_row.coop_code, ex_row.name)
            if srow.version != expected_version:
                raise Conflict("cette subvention a été modifiée entre-temps : rechargez-la")
            old = to_subsidy(srow)
            merged = {k: getattr(old, k) for k in ("grantor", "grantor_type", "object", "amount",
                                                     "date_received", "entry_piece", "proof")}
            merged.update(fields)
            s = make_subsidy(**merged)
            self._check_subsidy_links(uow.repo, row.id, ex, s)
            for k, v in merged.items():
                setattr(srow, k, getattr(s, k))
            srow.version += 1
            self._audit(uow.repo, "update", "subsidy", subsidy_id, coop=ex.coop, exercice=ex.name,
                        before=_subsidy_dict(old), after=_subsidy_dict(s))
            uow.commit()
            return to_subsidy(srow)

    def remove_subsidy(self, subsidy_id: int) -> None:
        with self.uow(True) as uow:
            srow = uow.session.get(orm.SubsidyRow, subsidy_id)
            if srow is None:
                raise NotFound(f"subvention n° {subsidy_id} introuvable")
            ex_row = uow.session.get(orm.ExerciceRow, srow.exercice_id)
            _, _, ex = self._writable(uow.repo, ex_row.coop_code, ex_row.name)
            self._audit(uow.repo, "delete", "subsidy", subsidy_id, coop=ex.coop, exercice=ex.name,
                        before=_subsidy_dict(to_subsidy(srow)))
            uow.session.delete(srow)
            uow.commit()

    def subsidies(self, coop: str, name: str) -> list[Subsidy]:
        with self.uow() as uow:
            _, row = self._exercice(uow.repo, coop, name)
            return uow.repo.subsidies(row.id)

    def store_blob(self, filename: str, content: bytes) -> str:
        """Check and store a file's bytes once (by SHA-256); returns the hash."""
        mime, digest = att.check(filename, content)
        with self.uow(True) as uow:
            if uow.session.get(orm.BlobRow, digest) is None:
                uow.session.add(orm.BlobRow(sha256=digest, mime=mime, size=len(content), content=content))
            uow.commit()
        return digest

    def attach(self, entry_id: int, filename: str, content: bytes) -> str:
        mime, digest = att.check(filename, content)
        with self.uow(True) as uow:
            c, ex_row, ex, erow, _ = self._entry_for_write(uow.repo, entry_id, None)
            if uow.session.get(orm.BlobRow, digest) is None:
                uow.session.add(orm.BlobRow(sha256=digest, mime=mime, size=len(content), content=content))
            exists = uow.session.scalars(select(orm.AttachmentRow).where(
                orm.AttachmentRow.entry_id == entry_id, orm.AttachmentRow.sha256 == digest)).first()
            if exists:
                raise Conflict(f"ce fichier est déjà joint à la pièce {erow.piece} (sous le nom {exists.filename})")
            uow.session.add(orm.AttachmentRow(entry_id=entry_id, sha256=digest, filename=filename[:255],
                                              uploaded_by=self.actor.login, uploaded_at=self.now()))
            self._audit(uow.repo, "attach", "entry", entry_id, coop=c.code, exercice=ex.name,
                        after={"fichier": filename, "sha256": digest, "type": mime, "taille": len(content)})
            uow.commit()
        return digest

    def attachments(self, coop: str, name: str) -> dict[int, list[dict]]:
        with self.uow() as uow:
            _, row = self._exercice(uow.repo, coop, name)
            ids = [e.id for e in uow.repo.entries(row.id)]
            return {k: [{"id": a.id, "filename": a.filename, "sha256": a.sha256, "uploaded_by": a.uploaded_by,
                         "uploaded_at": a.uploaded_at} for a in v]
                    for k, v in uow.repo.attachments(ids).items()}

    def blob(self, coop: str, sha256: str) -> tuple[str, bytes]:
        """A file's (mime, bytes), only if it is linked to this coop (no guessing other coops' files)."""
        with self.uow() as uow:
            self._coop(uow.repo, coop, False)
            linked = uow.session.scalars(
                select(orm.AttachmentRow.id).join(orm.EntryRow).join(orm.ExerciceRow)
                .where(orm.AttachmentRow.sha256 == sha256, orm.ExerciceRow.coop_code == coop)).first()
            linked = linked or uow.session.scalars(
                select(orm.SubsidyRow.id).join(orm.ExerciceRow)
                .where(orm.SubsidyRow.proof == sha256, orm.ExerciceRow.coop_code == coop)).first()
            b = uow.session.get(orm.BlobRow, sha256)
            if not linked or b is None:
                raise NotFound("pièce justificative introuvable")
            return b.mime, b.content

    # -- reports -----------------------------------------------------------------------
    def crf(self, coop: str, name: str) -> Crf:
        """The compte rendu financier of one exercice (see ``crfs``)."""
        return self.crfs([(coop, name)])[(coop, name)]

    def crfs(self, wanted: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Crf]:
        """The CRFs of many (coop, exercice) pairs, from set queries: per-account totals,
        each entry's treasury movements as plain tuples, full lines only for those a CRF
        reports on (``ledger.review_treasury``), cash counts, subsidies and the inventory
        check — each ONE statement for all the pairs, so an AD's overview of 650 coops
        costs a dozen queries instead of 650 × 10. Every coop is permission-checked; an
        unknown coop or exercice raises as ``crf`` always did."""
        wanted = list(dict.fromkeys(wanted))
        today = self.today()
        with self.uow() as uow:
            repo, session = uow.repo, uow.session
            codes = list(dict.fromkeys(c for c, _ in wanted))
            coops = repo.coop_rows(codes)
            exercices = {(r.coop_code, r.name): r for r in repo.exercice_rows(codes)}
            for code, name in wanted:  # the refusals of ``_exercice``, in the order asked
                c = coops.get(code)
                if c is None:
                    raise NotFound(f"coopérative « {code} » inconnue")
                self.actor.require(False, c.code, c.ad_code, c.training)
                if (code, name) not in exercices:
                    parse_name(name)
                    raise NotFound(f"l'exercice {name} de la coopérative {code} n'est pas ouvert "
                                   f"(retkoop exercice open {code} {name})")
            rows = {pair: exercices[pair] for pair in wanted}
            ids = [r.id for r in rows.values()]
            ads = {a.code: a.name for a in repo.ads()}
            charts = {ad: repo.chart(ad) for ad in {coops[c].ad_code for c, _ in wanted}}
            durable_codes = {ad: durable_goods_codes(chart) for ad, chart in charts.items()}
            ends = {r.id: to_exercice(r).end for r in rows.values()}
            movements, details = repo.treasury_movements_many(ids), repo.treasury_details_many(ids, today, ends)
            totals, expenses = repo.ventilation_totals_many(ids, set().union(*durable_codes.values()))
            counts, subsidies = repo.cash_counts_many(ids), repo.subsidies_many(ids)
            goods = inventory_repo.goods_of_coops(session, codes)
            out = {}
            for (code, name), row in rows.items():
                c, ex, xid = coops[code], to_exercice(row), row.id
                review = review_treasury(ex, movements[xid], details[xid], today)
                mine = _durable_expenses(expenses[xid], durable_codes[c.ad_code])
                out[(code, name)] = crf_from_totals(
                    ex, totals[xid], review, charts[c.ad_code],
                    register=compare_register(ex, goods[code], mine),
                    cash_count=counts[xid][-1] if counts[xid] else None, subsidies=subsidies[xid],
                    coop_name=c.name, ad=ads.get(c.ad_code) or c.ad_code,
                    submitted_at=row.submitted_at.strftime("%d/%m/%Y") if row.submitted_at else None)
            return out

    def exercice_dates(self, wanted: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[date | None, date | None]]:
        """Per (coop, exercice): the last entry's date and the last pointage (statement
        date), for overviews; one GROUP BY for all the pairs. Unreadable or unknown pairs
        are left out."""
        with self.uow() as uow:
            codes = list(dict.fromkeys(c for c, _ in wanted))
            coops = {code: r for code, r in uow.repo.coop_rows(codes).items()
                     if self.actor.may_read(r.code, r.ad_code, r.training)}
            rows = {(r.coop_code, r.name): r.id for r in uow.repo.exercice_rows(list(coops))}
            pairs = {pair: rows[pair] for pair in wanted if pair in rows}
            dates = uow.repo.entry_dates_many(list(pairs.values()))
            return {pair: dates[xid] for pair, xid in pairs.items()}

    def current_exercices(self, coops: Sequence[str]) -> dict[str, Exercice]:
        """``current_exercice`` of many coops in one query (readable coops only)."""
        with self.uow() as uow:
            readable = [code for code, r in uow.repo.coop_rows(list(coops)).items()
                        if self.actor.may_read(r.code, r.ad_code, r.training)]
            by_coop: dict[str, list[Exercice]] = {}
            for r in uow.repo.exercice_rows(readable):  # by name
                by_coop.setdefault(r.coop_code, []).append(to_exercice(r))
            return {code: _current(exs) for code, exs in by_coop.items()}

    def alerts(self, coop: str, name: str) -> list[Alert]:
        return list(self.crf(coop, name).alerts)

    def audit_log(self, coop: str, limit: int = 200) -> list[dict]:
        with self.uow() as uow:
            self._coop(uow.repo, coop, False)
            rows = uow.session.scalars(select(orm.AuditRow).where(orm.AuditRow.coop_code == coop)
                                       .order_by(orm.AuditRow.id.desc()).limit(limit))
            return [{"at": r.at, "actor": r.actor, "action": r.action, "object": f"{r.object_type} {r.object_id}",
                     "exercice": r.exercice, "before": r.before, "after": r.after, "reason": r.reason} for r in rows]

    # -- bulk import -------------------------------------------------------------------
    def import_drafts(self, coop: str, name: str, drafts: Sequence[tuple[str, EntryDraft]],
                      source: str = "import") -> list[Entry]:
        """Save all drafts or none. ``drafts`` are (location, draft); every problem is
        reported with its location (``ligne 12, pièce D014``)."""
        with self.uow(True) as uow:
            c, row, ex = self._writable(uow.repo, coop, name)
            used = numbering.PieceAllocator(uow.repo.pieces(row.id))
            chart = uow.repo.chart(c.ad_code)
            problems: list[Problem] = []
            ready: list[Entry] = []
            in_file: dict[str, str] = {}
            for where, draft in drafts:
                piece = (draft.piece or "").strip()
                if piece and piece in in_file:
                    problems.append(Problem(f"pièce {piece} en double (déjà {in_file[piece]})", "piece", where))
                    continue
                try:
                    e = self._prepare(chart, c, ex, draft, used)
                except ValidationError as err:
                    problems.extend(p.located(where) for p in err.problems)
                    continue
                in_file[e.piece] = where
                ready.append(e)
            if problems:
                raise ValidationError(problems)
            ids = uow.repo.add_entries(row.id, ready, self.actor.login, self.now())
            saved = [replace(e, id=i, version=1) for e, i in zip(ready, ids)]
            now = self.now()
            uow.repo.audit_many([{"at": now, "actor": self.actor.login, "action": "create", "coop_code": coop,
                                  "exercice": name, "object_type": "entry", "object_id": str(e.id),
                                  "before": None, "after": entry_snapshot(e), "reason": f"import {source}"}
                                 for e in saved])
            self._audit(uow.repo, "import", "exercice", row.id, coop=coop, exercice=name,
                        after={"source": source, "ecritures": len(saved),
                               "pieces": [e.piece for e in saved][:1000]})
            self._commit_unique(uow, "importée")
            return saved


def _subsidy_dict(s: Subsidy) -> dict:
    return {"organisme": s.grantor, "type": s.grantor_type, "objet": s.object, "montant": s.amount,
            "date": s.date_received.isoformat(), "piece": s.entry_piece, "justificatif": s.proof}
