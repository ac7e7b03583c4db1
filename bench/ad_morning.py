"""The AD's morning view (``services.follow_up.morning_view``) on an AD of many coops.

Loads the AD of ``bench/ledger.py`` (``--coops`` × ``--per-coop`` entries, Core bulk
insert; it also prints that file's totals and ``ad_overview`` figures), then times the
morning view: exercices, the CRFs of the whole AD (readiness), the analysis queries
(alerts), ranking. Run: ``python bench/ad_morning.py [--db URL] [--coops 500] [--per-coop 400]``.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from ledger import bench_totals, prepare, timed  # noqa: E402

from retkoop_widgets.domain.actor import Actor  # noqa: E402
from retkoop_widgets.services import Books  # noqa: E402
from retkoop_widgets.services.follow_up import morning_view, reminders_xlsx  # noqa: E402
from retkoop_widgets.storage.db import redact  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    ap.add_argument("--coops", type=int, default=500)
    ap.add_argument("--per-coop", type=int, default=400)
    args = ap.parse_args(argv)
    tmp = None
    if not args.db:
        tmp = tempfile.TemporaryDirectory(prefix="retkoop-bench-")
        args.db = f"sqlite:///{tmp.name}/bench.sqlite3"
    url = prepare(args.db)
    print(f"database: {redact(url)}")
    bench_totals(url, args.coops, args.per_coop)
    books = Books(url, Actor("ad99", "admin-ad", ad="AD99"), today=lambda: date(2026, 12, 7))
    view, best, median = timed(lambda: morning_view(books, "AD99"), repeat=3)
    print(f"morning view (AD99, {len(view.rows)} coops: deadline, readiness, alerts by kind, ranking): "
          f"best {best:.2f} s, median {median:.2f} s — {view.summary}")
    data, best, _ = timed(lambda: reminders_xlsx(view.rows), repeat=3)
    print(f"reminder list XLSX of {len(view.rows)} coops: {len(data) // 1024} KiB in {best * 1000:.0f} ms")
    if tmp:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
