"""Eight processes saving entries at the same time never share a pièce number and lose
nothing (SQLite with BEGIN IMMEDIATE, PostgreSQL with a row lock on the exercice)."""
from __future__ import annotations

import multiprocessing as mp
from datetime import date

from conftest import COOP, EX

WRITERS, PER_WRITER = 8, 12


def _writer(url: str, n: int, barrier) -> list[str]:
    from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
    from retkoop_widgets.services import Books
    books = Books(url, f"writer-{n}")
    barrier.wait()
    pieces = []
    for i in range(PER_WRITER):
        amount = 100 * (n + 1) + i
        e = books.record_entry(COOP, EX, EntryDraft(date(2025, 10, 1 + i), f"Recette {n}-{i}", bank_in=amount,
                                                    ventilation=(V("7560", amount),)))
        pieces.append(e.piece)
    return pieces


def test_eight_processes_saving_at_once_get_distinct_pieces(books, db_url):
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(WRITERS)
        with ctx.Pool(WRITERS) as pool:
            results = pool.starmap(_writer, [(db_url, n, barrier) for n in range(WRITERS)])
    handed_out = [p for r in results for p in r]
    assert len(handed_out) == len(set(handed_out)) == WRITERS * PER_WRITER
    stored = books.entries(COOP, EX)
    assert sorted(e.piece for e in stored) == [f"{i:03d}" for i in range(1, WRITERS * PER_WRITER + 1)]
    expected_total = sum(100 * (n + 1) + i for n in range(WRITERS) for i in range(PER_WRITER))
    assert books.crf(COOP, EX).total_produits == expected_total
    # every save is audited once
    assert sum(1 for r in books.audit_log(COOP, limit=1000) if r["action"] == "create" and r["object"].startswith("entry")) == WRITERS * PER_WRITER
