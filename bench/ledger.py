"""Ledger benchmarks: prints figures, asserts nothing (timings never go in tests).

    .venv/bin/python bench/ledger.py                      # a temporary SQLite file
    .venv/bin/python bench/ledger.py --db postgresql://postgres@127.0.0.1:5432/retkoop_bench
                                                          # (re)creates that database

1. import speed: a generated 5,000-entry cahier CSV through ``parse_cahier`` +
   ``Books.import_drafts`` (one transaction); then ``retkoop import`` (the CLI command,
   in-process) of 2,000- and 20,000-entry cahiers: the rate must stay flat (linear), target
   ≥ 3,000 entries/s at 20,000 (``--import-sizes``);
2. CRF time at 5,000 entries (target ≤ 50 ms), split into loading and computing, with the
   top of a profile;
3. per-coop totals for 500 coops × 400 entries (target ≤ 1 s) with
   ``services.aggregates.totals_by_coop`` (rows bulk-inserted with SQLAlchemy Core: this
   measures the query, not the writes);
   and the AD dashboard's overview of those 500 coops (every coop's CRF, ``Books.crfs``);
4. the CRF of (2) again, in that full database.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from retkoop_widgets.domain.chart import default_chart  # noqa: E402
from retkoop_widgets.domain.crf import compute_crf  # noqa: E402
from retkoop_widgets.domain.money import format_plain  # noqa: E402
from retkoop_widgets.io.cahier_csv import FIXED_HEADERS, parse_cahier  # noqa: E402
from retkoop_widgets.services import Books  # noqa: E402
from retkoop_widgets.services.aggregates import totals_by_coop  # noqa: E402
from retkoop_widgets.storage import orm  # noqa: E402
from retkoop_widgets.storage.db import redact, resolve_url  # noqa: E402
from retkoop_widgets.storage.repository import to_exercice  # noqa: E402

EX = "2025-2026"
START = date(2025, 9, 1)
CHART = default_chart()
PRODUITS = [a.code for a in CHART.of_class("produit")]
CHARGES = [a.code for a in CHART.of_class("charge")]


def prepare(url: str) -> str:
    """An empty, migrated database at ``url`` (a PostgreSQL database is dropped and recreated)."""
    url = resolve_url(url)
    u = make_url(url)
    if u.get_backend_name() == "postgresql":
        admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)'))
            c.execute(text(f'CREATE DATABASE "{u.database}"'))
        admin.dispose()
    Books(url, "bench").init_schema()
    return url


def vacuum_analyze(engine) -> None:
    """What autovacuum does after a bulk load (PostgreSQL). Without the visibility map a
    fresh table makes index-only scans look costly, and the planner scans every posting
    of the database for one coop's CRF: a state a live database is not left in."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def year_entries(n: int, rng: random.Random, start: date = START) -> list[dict]:
    """One school year of ``n`` plausible entries, in date order: 55 % receipts, 35 %
    expenses (a fifth of both split over 2–3 accounts), 10 % cash deposits at the bank; a
    quarter of receipts and expenses in cash; 90 % of the bank lines (deposits included) dated
    before mid-July pointed on a statement 20 days later.
    Each item says what a cahier line says (``kind``, ``date``, ``amount`` in cents,
    ``parts``: [(account, cents)], ``cash``, ``tiers``, ``mode``, ``action``, ``pointed``);
    ``generate_cahier`` writes them as CSV, ``bench/national.py`` as postings for COPY."""
    end = date(start.year + 1, 8, 31)
    days = sorted(start + timedelta(days=rng.randrange(365)) for _ in range(n))
    out = []
    for i, d in enumerate(days):
        r = rng.random()
        amount = rng.randrange(100, 80_000)
        item = {"i": i, "date": d, "amount": amount, "piece": f"{i + 1:05d}" if rng.random() < 0.7 else "",
                "tiers": "", "mode": "", "action": "", "pointed": None, "cash": False, "parts": []}
        if r < 0.10:
            item["kind"] = "deposit"
        else:
            receipt = r < 0.65
            k = 1 if rng.random() < 0.8 else rng.randrange(2, 4)
            accounts = rng.sample(PRODUITS if receipt else CHARGES, k)
            parts = [amount // k] * k
            parts[0] += amount - sum(parts)
            cash = rng.random() < 0.25
            item.update(kind="receipt" if receipt else "expense", parts=list(zip(accounts, parts)), cash=cash,
                        tiers=rng.choice(["Familles", "Mairie", "OCCE 76", "Cultura", ""]),
                        mode="espèces" if cash else rng.choice(["chèque", "virement", "carte"]))
            item["action"] = rng.choice(["", "", "Classe verte", "Noël"])
        # bank lines are pointed on the next statement, most of them (the last weeks' are not yet)
        if not item["cash"] and d < end - timedelta(days=45) and rng.random() < 0.9:
            item["pointed"] = min(d + timedelta(days=20), end)
        out.append(item)
    return out


def generate_cahier(n: int, seed: int = 42) -> str:
    """A plausible cahier CSV of ``year_entries``."""
    rng = random.Random(seed)
    codes = PRODUITS + CHARGES
    header = list(FIXED_HEADERS) + ["Action"] + codes
    lines = [";".join(header)]
    for item in year_entries(n, rng):
        row = dict.fromkeys(header, "")
        row["Pièce"] = item["piece"]
        row["Date"] = f"{item['date']:%d/%m/%Y}"
        amount, i = item["amount"], item["i"]
        if item["kind"] == "deposit":
            row["Libellé"] = "Remise d'espèces en banque"
            row["Banque entrée"] = row["Caisse sortie"] = format_plain(amount)
            if item["pointed"]:
                row["Pointé"] = f"{item['pointed']:%d/%m/%Y}"
        else:
            receipt = item["kind"] == "receipt"
            for a, c in item["parts"]:
                row[a] = format_plain(c)
            row["Libellé"] = ("Recette " if receipt else "Dépense ") + f"n° {i}"
            row["Tiers"] = item["tiers"]
            col = ("Caisse " if item["cash"] else "Banque ") + ("entrée" if receipt else "sortie")
            row[col] = format_plain(amount)
            row["Mode"] = item["mode"]
            row["Action"] = item["action"]
            if item["pointed"]:
                row["Pointé"] = f"{item['pointed']:%d/%m/%Y}"
        lines.append(";".join(row[h] for h in header))
    return "\ufeff" + "\r\n".join(lines) + "\r\n"


def timed(fn, repeat: int = 5):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return result, min(times), statistics.median(times)


def bench_import_and_crf(url: str, n: int) -> None:
    books = Books(url, "bench", today=lambda: date(2026, 9, 15))
    books.add_ad("AD76", "OCCE Seine-Maritime")
    books.add_coop("AD76-0001", "Bench", "AD76")
    books.open_exercice("AD76-0001", EX, 184237, 6350)
    csv_text = generate_cahier(n)
    t0 = time.perf_counter()
    drafts = parse_cahier(csv_text.encode("utf-8"), CHART)
    t1 = time.perf_counter()
    books.import_drafts("AD76-0001", EX, drafts, source="bench.csv")
    t2 = time.perf_counter()
    print(f"import {n} entries ({len(csv_text) / 1e6:.1f} MB CSV): parse {t1 - t0:.2f} s "
          f"({n / (t1 - t0):,.0f}/s), import_drafts {t2 - t1:.2f} s; total {n / (t2 - t0):,.0f} entries/s")
    vacuum_analyze(books.engine)

    crf, best, median = timed(lambda: books.crf("AD76-0001", EX))
    print(f"Books.crf at {crf.entries_count} entries: best {best * 1000:.0f} ms, median {median * 1000:.0f} ms "
          f"(target ≤ 50 ms)")
    with books.uow() as uow:
        row = uow.repo.exercice_row("AD76-0001", EX)
        ex, exercice_id = to_exercice(row), row.id
        entries, lb, lm = timed(lambda: uow.repo.entries(exercice_id))
        print(f"  repo.entries (every entry with its postings; cahier, exports): best {lb * 1000:.0f} ms, "
              f"median {lm * 1000:.0f} ms")
        for part in ("ventilation_totals_many", "treasury_movements_many"):  # the loaders Books.crf uses
            _, pb, pm = timed(lambda part=part: getattr(uow.repo, part)([exercice_id]))
            print(f"  repo.{part}: best {pb * 1000:.0f} ms, median {pm * 1000:.0f} ms")
    _, cb, cm = timed(lambda: compute_crf(ex, entries, CHART, today=date(2026, 9, 15)))
    print(f"  compute_crf over loaded entries (pure Python): best {cb * 1000:.0f} ms, median {cm * 1000:.0f} ms")
    prof = cProfile.Profile()
    prof.enable()
    books.crf("AD76-0001", EX)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(12)
    print("  profile of one Books.crf (top 12 by own time):")
    for line in out.getvalue().splitlines():
        if line.strip() and (line.lstrip()[:1].isdigit() or "ncalls" in line):
            print("   ", line.rstrip()[:150])


def bench_import_scaling(url: str, sizes: list[int]) -> None:
    """``retkoop import`` (the CLI command, in-process: parse_cahier + Books.import_drafts, one
    transaction) of cahiers of growing size, each into a coop of its own: the rate must not
    fall as the cahier grows (linear; target ≥ 3,000 entries/s at 20,000 entries)."""
    import os
    from retkoop_widgets.cli import main as cli
    books = Books(url, "bench", today=lambda: date(2026, 9, 15))
    books.add_ad("AD27", "OCCE Eure")
    before = os.environ.get("RETKOOP_DB_URL")
    os.environ["RETKOOP_DB_URL"] = url
    rates = []
    try:
        with tempfile.TemporaryDirectory(prefix="retkoop-import-") as tmp:
            for n in sizes:
                coop = f"AD27-{n:06d}"
                books.add_coop(coop, f"Import {n}", "AD27")
                books.open_exercice(coop, EX, 184237, 6350)
                path = Path(tmp) / f"cahier-{n}.csv"
                path.write_text(generate_cahier(n, seed=n), encoding="utf-8", newline="")
                out = io.StringIO()
                t0, c0 = time.perf_counter(), time.process_time()
                stdout, sys.stdout = sys.stdout, out
                try:
                    rc = cli(["import", coop, EX, str(path)])
                finally:
                    sys.stdout = stdout
                dt, cpu = time.perf_counter() - t0, time.process_time() - c0
                rates.append(n / dt)
                print(f"retkoop import {n:,} entries ({path.stat().st_size / 1e6:.1f} MB): {dt:.2f} s, "
                      f"{n / dt:,.0f} entries/s; this process's CPU {cpu:.2f} s = {n / cpu:,.0f} entries/s "
                      f"(load average {os.getloadavg()[0]:.1f}) — rc {rc}: {out.getvalue().strip()}")
    finally:
        if before is None:
            os.environ.pop("RETKOOP_DB_URL", None)
        else:
            os.environ["RETKOOP_DB_URL"] = before
    if len(rates) > 1:
        print(f"  rate at {sizes[-1]:,} / rate at {sizes[0]:,}: {rates[-1] / rates[0]:.2f} "
              f"(1.0 = linear; target ≥ 3,000 entries/s at 20,000)")


def bench_totals(url: str, coops: int, per_coop: int) -> None:
    books = Books(url, "bench")
    engine = books.engine
    rng = random.Random(7)
    now = datetime(2026, 9, 15, 9)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(insert(orm.AdRow), [{"code": "AD99", "name": "AD du bench"}])
        conn.execute(insert(orm.CoopRow), [{"code": f"AD99-{i:04d}", "name": f"Coop {i}", "ad_code": "AD99",
                                            "numbering": "unique", "training": False} for i in range(coops)])
        conn.execute(insert(orm.ExerciceRow), [{"coop_code": f"AD99-{i:04d}", "name": EX, "opening_bank": 100000,
                                                "opening_cash": 5000, "state": "ouvert", "version": 1}
                                               for i in range(coops)])
        ex_ids = dict(conn.execute(select(orm.ExerciceRow.coop_code, orm.ExerciceRow.id)
                                   .where(orm.ExerciceRow.coop_code.like("AD99-%"))).all())
        next_id = (conn.execute(select(orm.EntryRow.id).order_by(orm.EntryRow.id.desc()).limit(1)).scalar() or 0) + 1
        entries, postings = [], []
        for i in range(coops):
            exercice_id = ex_ids[f"AD99-{i:04d}"]
            for k in range(per_coop):
                eid = next_id
                next_id += 1
                entries.append({"id": eid, "exercice_id": exercice_id, "piece": f"{k + 1:03d}",
                                "date": START + timedelta(days=rng.randrange(365)), "libelle": "x", "tiers": "",
                                "mode": "", "cheque": "", "pointed": False, "statement_date": None,
                                "changed_after_pointage": False, "version": 1, "created_at": now,
                                "created_by": "bench", "updated_at": now, "updated_by": "bench"})
                amount = rng.randrange(100, 50_000)
                receipt = rng.random() < 0.55
                treasury = "512" if rng.random() < 0.8 else "530"
                signed = amount if receipt else -amount
                # the derived columns, as the ledger writes them (migration 0003): the CRF's
                # invariant compares them with the postings and would refuse the books otherwise
                entries[-1]["bank"], entries[-1]["cash"] = (signed, 0) if treasury == "512" else (0, signed)
                postings.append({"entry_id": eid, "line": 0, "account": treasury,
                                 "amount": signed, "action": ""})
                account = rng.choice(PRODUITS if receipt else CHARGES)
                postings.append({"entry_id": eid, "line": 1, "account": account,
                                 "amount": -amount if receipt else amount, "action": ""})
        for chunk in range(0, len(entries), 20_000):
            conn.execute(insert(orm.EntryRow), entries[chunk:chunk + 20_000])
        for chunk in range(0, len(postings), 50_000):
            conn.execute(insert(orm.PostingRow), postings[chunk:chunk + 50_000])
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('entry', 'id'), (SELECT max(id) FROM entry))"))
        vacuum_analyze(engine)
    print(f"loaded {coops} coops × {per_coop} entries = {len(entries):,} entries, {len(postings):,} postings "
          f"(Core bulk insert) in {time.perf_counter() - t0:.1f} s")
    rows, best, median = timed(lambda: totals_by_coop(engine, ad="AD99"), repeat=5)
    print(f"totals_by_coop(AD99): {len(rows):,} rows (coop × account) — best {best * 1000:.0f} ms, "
          f"median {median * 1000:.0f} ms (target ≤ 1 s)")
    per_coop_sum = {}
    for r in rows:
        per_coop_sum[r.coop] = per_coop_sum.get(r.coop, 0) + r.amount
    assert set(per_coop_sum.values()) == {0}, "postings of a coop must sum to zero"
    _, best_all, median_all = timed(lambda: totals_by_coop(engine), repeat=3)
    print(f"totals_by_coop(all ADs): best {best_all * 1000:.0f} ms, median {median_all * 1000:.0f} ms")
    from retkoop_widgets.ad_dashboard.queries import ad_overview  # the AD dashboard's table: a CRF per coop
    rows, best, median = timed(lambda: ad_overview(Books(url, "bench"), "AD99"), repeat=3)
    print(f"AD dashboard overview (ad_overview, {len(rows)} coops: state, balances, alerts of each CRF): "
          f"best {best:.2f} s, median {median:.2f} s")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    ap.add_argument("--entries", type=int, default=5000)
    ap.add_argument("--coops", type=int, default=500)
    ap.add_argument("--per-coop", type=int, default=400)
    ap.add_argument("--import-sizes", default="2000,20000",
                    help="cahier sizes for the retkoop import scaling (comma-separated; empty: skip)")
    args = ap.parse_args(argv)
    tmp = None
    if not args.db:
        tmp = tempfile.TemporaryDirectory(prefix="retkoop-bench-")
        args.db = f"sqlite:///{tmp.name}/bench.sqlite3"
    url = prepare(args.db)
    print(f"database: {redact(url)}")
    bench_import_and_crf(url, args.entries)
    if args.import_sizes:
        bench_import_scaling(url, [int(n) for n in args.import_sizes.split(",")])
    bench_totals(url, args.coops, args.per_coop)
    # the same CRF once the database also holds the other coops' 200,000 entries: one
    # coop's CRF must not depend on the size of the whole database (index use, not scans)
    books = Books(url, "bench", today=lambda: date(2026, 9, 15))
    crf, best, median = timed(lambda: books.crf("AD76-0001", EX), repeat=9)
    print(f"Books.crf at {crf.entries_count} entries in the full database: best {best * 1000:.0f} ms, "
          f"median {median * 1000:.0f} ms (target ≤ 50 ms)")
    if tmp:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
