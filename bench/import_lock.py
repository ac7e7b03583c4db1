"""How long a large import holds SQLite's write lock (issue 12, defect 6).

Runs ``Books.import_drafts`` of N lines (default 100,000) in a thread on a fresh SQLite
file while the main thread probes the write lock every 20 ms (``BEGIN IMMEDIATE`` with no
wait): prints the import's total time and the longest stretch during which another writer
would have had to wait. The import validates before it takes the lock, so the second
figure is the insert and commit only. Usage: ``python bench/import_lock.py [N]``.
"""
from __future__ import annotations

import sqlite3
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path


def main(n: int) -> None:
    from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
    from retkoop_widgets.services import Books
    path = Path(tempfile.mkdtemp(prefix="rk-bench-lock-")) / "b.sqlite3"
    books = Books(f"sqlite:///{path}", "bench", today=lambda: date(2026, 9, 15))
    books.init_schema()
    books.add_ad("AD76", "OCCE")
    books.add_coop("AD76-0421", "École", "AD76")
    books.open_exercice("AD76-0421", "2025-2026", 100, 0)
    drafts = [(f"ligne {i + 2}", EntryDraft(date(2025, 9, 1) + timedelta(days=i % 360), f"Achat {i}",
                                            mode="virement", bank_out=100 + i % 50,
                                            ventilation=(V("6064", 100 + i % 50),))) for i in range(n)]
    done = threading.Event()

    def run():
        t0 = time.perf_counter()
        books.import_drafts("AD76-0421", "2025-2026", drafts)
        print(f"import of {n} lines: {time.perf_counter() - t0:.1f} s")
        done.set()

    threading.Thread(target=run).start()
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    longest, since = 0.0, None
    while not done.is_set():
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            if since is not None:
                longest, since = max(longest, time.perf_counter() - since), None
        except sqlite3.OperationalError:
            since = since or time.perf_counter()
        time.sleep(0.02)
    if since is not None:
        longest = max(longest, time.perf_counter() - since)
    print(f"longest wait for the write lock: {longest:.1f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
