"""Defect 6 of issue 12: a large import and a writer on another coop at the same time.
On SQLite one write transaction holds the whole database: the other writer waits, and if
the busy timeout runs out it gets a French « base occupée » — never SQLite's English
« database is locked ». On PostgreSQL it does not wait at all (row locks per exercice).
The import validates before taking the write lock and stays all or nothing."""
from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest

from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
from retkoop_widgets.domain.errors import Conflict, RetkoopError
from retkoop_widgets.services.guard import writing
from retkoop_widgets.storage import db as storage_db
from tests.conftest import COOP, EX

OTHER = "AD76-0500"


def expense(day, libelle, cents):
    return EntryDraft(day, libelle, mode="virement", bank_out=cents, ventilation=(V("6064", cents),))


def drafts(n):
    return [(f"ligne {i + 2}", expense(date(2025, 9, 1) + timedelta(days=i % 360), f"Achat {i}", 100 + i % 50))
            for i in range(n)]


@pytest.fixture
def two_coops(books, monkeypatch):
    monkeypatch.setattr(storage_db, "SQLITE_BUSY_TIMEOUT_S", 1)  # the wait, shortened; read at each connection
    books.add_coop(OTHER, "École du Port", "AD76")
    books.open_exercice(OTHER, EX, 50000, 0)
    return books


def test_a_writer_on_another_coop_during_an_import_succeeds_or_is_told_in_french(two_coops, db_url):
    """Deterministic: the import's transaction is open (its first batch written) while the
    other coop's mandataire saves an entry."""
    from retkoop_widgets.services import Books
    books = two_coops
    other = Books(db_url, "prof", today=books.today, now=books.now)
    outcome = None
    with writing(books, COOP, EX) as w:  # an import in progress: lock taken, rows written, not committed
        w.repo.add_entries(w.exercice.id, [], "test", books.now())
        from retkoop_widgets.services.entries import _prepare_all
        ready = _prepare_all(books, w.repo.chart("AD76"), w.coop, w.exercice, [], drafts(200))
        w.repo.add_entries(w.exercice.id, ready, "test", books.now())
        try:
            outcome = other.record_entry(OTHER, EX, expense(date(2025, 10, 1), "Colle", 500))
        except RetkoopError as e:
            outcome = e
        w.audit("import", "exercice", w.exercice.id)
    if db_url.startswith("sqlite"):
        assert isinstance(outcome, Conflict)
        assert str(outcome) == ("la base de données est occupée par une autre opération (un gros import ?) depuis "
                                "plus de 1 secondes : rien n'a été enregistré, réessayez dans un instant")
        assert books.entries(OTHER, EX) == []
    else:  # PostgreSQL: another coop's exercice row is not locked by the import
        assert outcome.piece and [e.id for e in books.entries(OTHER, EX)] == [outcome.id]
    assert len(books.entries(COOP, EX)) == 200  # the import itself committed whole


def test_a_real_import_and_a_writer_at_the_same_time(two_coops, db_url):
    """A real ``import_drafts`` in a thread while the other coop writes in a loop: each
    write either succeeds or gets the French message; the import is whole."""
    from retkoop_widgets.services import Books
    books = two_coops
    other = Books(db_url, "prof", today=books.today, now=books.now)
    done = threading.Event()
    failures: list[BaseException] = []

    def run():
        try:
            books.import_drafts(COOP, EX, drafts(6000), source="gros.csv")
        except BaseException as e:  # noqa: BLE001 - reported below
            failures.append(e)
        finally:
            done.set()

    t = threading.Thread(target=run)
    t.start()
    saved, refused = 0, []
    while not done.is_set() or saved == 0:
        try:
            other.record_entry(OTHER, EX, expense(date(2025, 10, 1), "Colle", 500))
            saved += 1
        except Exception as e:  # noqa: BLE001 - every refusal is checked below
            refused.append(e)
        if saved + len(refused) > 400:
            break
    t.join()
    assert failures == []
    assert len(books.entries(COOP, EX)) == 6000
    assert len(books.entries(OTHER, EX)) == saved
    for e in refused:
        assert isinstance(e, Conflict) and "database is locked" not in str(e) and "occupée" in str(e)


def test_the_import_checks_permission_and_state_before_validating(two_coops):
    """Validation now runs before the write lock: a locked exercice still says so first."""
    from retkoop_widgets.domain.errors import LockedExercice
    books = two_coops
    books.close_exercice(OTHER, EX)
    bad = [("ligne 2", EntryDraft(date(2025, 9, 3), "", bank_out=100, ventilation=(V("6064", 100),)))]
    with pytest.raises(LockedExercice):
        books.import_drafts(OTHER, EX, bad)
