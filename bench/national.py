"""The whole OCCE's books in one PostgreSQL: prints figures, asserts nothing.

    nice .venv/bin/python bench/national.py [--scale 1.0] [--keep] [--explain] [--notebook]

Builds, in a database of its own (``retkoop_national`` on ``RETKOOP_BENCH_PG``, default
``postgresql://postgres@127.0.0.1:5432``; dropped and recreated, dropped again at the end
unless ``--keep``), the books of 45,000 × ``scale`` coops in 100 × ``scale`` ADs (at least
2): one exercice 2025-2026 each with 150–450 entries (~300) shaped like a real year
(``bench/ledger.year_entries``: receipts, split expenses, cash deposits, pointage), their
postings and the derived ``entry.bank``/``entry.cash`` as the ledger writes them, four cash
counts, subsidies for a third of the coops, and one training coop per AD. The first AD always
has 650 coops (the largest real AD) so that its figures can be compared between scales.

Loading: the schema comes from the migrations; the secondary indexes of the big tables are
dropped, every row goes in through ``COPY … FROM STDIN`` (psycopg 3 ``cursor.copy``; foreign
key triggers off for the session, ids given), the indexes are built again, then ``VACUUM
ANALYZE``. Then, through the real code paths:

1. one coop's CRF (``Books.crf``): median and p95 over 200 random coops (target ≤ 50 ms);
2. the AD overview of the 650-coop AD (``ad_dashboard.queries.ad_overview``; ≤ 1.5 s);
3. its departmental analysis (``analysis.analyse_ad``; with ``--notebook`` also the notebook
   end to end through papermill; ≤ 10 s);
4. the national summary by AD and rubric (``storage.aggregates.national_summary``; ≤ 60 s);
5. the database size on disk.

``--explain`` also runs EXPLAIN (ANALYZE, BUFFERS) on every statement of steps 1–4 and prints,
per statement, the pages it touched and any sequential scan of a big table: run it at two
scales — a statement whose pages grow with the database rather than with the coop or AD asked
is a defect (docs/performance.md).
"""
from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import psycopg  # noqa: E402
from sqlalchemy import create_engine, event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from ledger import EX, year_entries  # noqa: E402
from retkoop_widgets.services import Books  # noqa: E402

DB = "retkoop_national"
BIG_AD = 650
TODAY = date(2026, 9, 15)
BIG_TABLES = ("entry", "posting", "cash_count", "subsidy", "exercice", "coop", "durable_good", "attachment",
              "deleted_piece", "audit_log")
LOADED = ("ad", "coop", "exercice", "entry", "posting", "cash_count", "subsidy")


def admin_url() -> str:
    return os.environ.get("RETKOOP_BENCH_PG", "postgresql://postgres@127.0.0.1:5432").rstrip("/")


def recreate(name: str) -> str:
    with psycopg.connect(f"{admin_url()}/postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    return f"{admin_url()}/{name}"


def drop(name: str) -> None:
    with psycopg.connect(f"{admin_url()}/postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sa_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


# --- generating -----------------------------------------------------------------------------

NULL = "\\N"  # COPY's text format for NULL


def _esc(s: str) -> str:
    return s.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


class Loader:
    """Generates coops year by year and streams them to PostgreSQL with COPY, in batches."""

    def __init__(self, conn: psycopg.Connection, seed: int = 2026):
        self.conn, self.rng = conn, random.Random(seed)
        self.entry_id = self.posting_id = self.exercice_id = self.count_id = self.subsidy_id = 0
        self.buf: dict[str, list[str]] = {t: [] for t in LOADED}
        self.pending: list[tuple] = []
        self.counts: dict[str, int] = dict.fromkeys(LOADED, 0)
        self.now = datetime(2026, 9, 1, 12).isoformat(sep=" ")

    def ad(self, code: str, name: str) -> None:
        self.buf["ad"].append(f"{code}\t{name}\n")

    def coop(self, code: str, ad: str, n_entries: int, training: bool = False) -> None:
        rng = self.rng
        self.buf["coop"].append(f"{code}\tÉcole {code}\t{ad}\tunique\t{'t' if training else 'f'}\n")
        self.exercice_id += 1
        xid = self.exercice_id
        submitted = not training and rng.random() < 0.6
        state = "soumis" if submitted else "ouvert"
        sub_at = f"2026-09-{rng.randint(1, 30):02d} 18:00:00" if submitted else NULL
        self.buf["exercice"].append(
            f"{xid}\t{code}\t{EX}\t{rng.randint(0, 500_000)}\t{rng.randint(0, 20_000)}\t{state}\t1\t{sub_at}\t"
            f"{'mandataire' if submitted else NULL}\n")
        self.pending += [(item["date"], xid, item) for item in year_entries(n_entries, rng)]
        for m in (10, 1, 4, 6):
            self.count_id += 1
            day = date(2025 if m >= 9 else 2026, m, 28)
            total = rng.randint(0, 20_000)
            self.buf["cash_count"].append(
                f"{self.count_id}\t{xid}\t{day}\t{{}}\t{total}\t{total - rng.choice((0, 0, 0, 50))}\t\tbench\t"
                f"{self.now}\n")
        if rng.random() < 0.33:
            self.subsidy_id += 1
            self.buf["subsidy"].append(f"{self.subsidy_id}\t{xid}\tMairie\tcommune\tprojet\t{rng.randint(100, 3000) * 100}"
                                       f"\t2026-01-10\t\t\t1\n")
        if len(self.pending) >= 300_000:
            self.flush()

    def _entries(self) -> None:
        """The pending entries of every coop generated since the last flush, numbered in
        date order as a live database numbers them (coops type their entries through the
        year, interleaved): one coop's entries are spread over the table, not side by side."""
        self.pending.sort(key=lambda t: (t[0], t[1]))
        entries, postings, rng = self.buf["entry"], self.buf["posting"], self.rng
        for _, xid, item in self.pending:
            self.entry_id += 1
            eid, amount, kind = self.entry_id, item["amount"], item["kind"]
            sign = 1
            if kind == "deposit":
                lines = [("512", amount, ""), ("530", -amount, "")]
                libelle = "Remise d'espèces en banque"
            else:
                sign = 1 if kind == "receipt" else -1
                lines = [("530" if item["cash"] else "512", sign * amount, "")]
                lines += [(a, -sign * c, item["action"]) for a, c in item["parts"]]
                libelle = ("Recette " if sign > 0 else "Dépense ") + f"n° {item['i']}"
            bank = sum(a for acc, a, _ in lines if acc == "512")
            cash = sum(a for acc, a, _ in lines if acc == "530")
            pointed = item["pointed"]
            cheque = f"{rng.randint(1000000, 9999999)}" if item["mode"] == "chèque" and sign < 0 else ""
            entries.append(
                f"{eid}\t{xid}\t{item['i'] + 1:04d}\t{item['date']}\t{_esc(libelle)}\t{item['tiers']}\t{item['mode']}\t"
                f"{cheque}\t{bank}\t{cash}\t{'t' if pointed else 'f'}\t{pointed or NULL}\tf\t1\t"
                f"{self.now}\tbench\t{self.now}\tbench\n")
            for line, (acc, a, action) in enumerate(lines):
                self.posting_id += 1
                postings.append(f"{self.posting_id}\t{eid}\t{line}\t{acc}\t{a}\t{action}\n")
        self.pending.clear()

    COLUMNS = {
        "ad": "code, name",
        "coop": "code, name, ad_code, numbering, training",
        "exercice": "id, coop_code, name, opening_bank, opening_cash, state, version, submitted_at, submitted_by",
        "entry": "id, exercice_id, piece, date, libelle, tiers, mode, cheque, bank, cash, pointed, statement_date, "
                 "changed_after_pointage, version, created_at, created_by, updated_at, updated_by",
        "posting": "id, entry_id, line, account, amount, action",
        "cash_count": "id, exercice_id, date, counts, total, book_balance, comment, author, recorded_at",
        "subsidy": "id, exercice_id, grantor, grantor_type, object, amount, date_received, entry_piece, proof, version",
    }

    def flush(self) -> None:
        self._entries()
        with self.conn.cursor() as cur:
            for table in LOADED:
                rows = self.buf[table]
                if not rows:
                    continue
                with cur.copy(f"COPY {table} ({self.COLUMNS[table]}) FROM STDIN") as cp:
                    for k in range(0, len(rows), 20_000):
                        cp.write("".join(rows[k:k + 20_000]).encode())
                self.counts[table] += len(rows)
                rows.clear()
        self.conn.commit()


def plan_coops(scale: float) -> list[tuple[str, int]]:
    """(AD code, number of real coops) for each AD: the first has 650, the others share the rest."""
    total = max(2, round(45_000 * scale))
    n_ads = max(2, round(100 * scale))
    big = min(BIG_AD, total // 2)
    rest, others = total - big, n_ads - 1
    sizes = [rest // others + (1 if k < rest % others else 0) for k in range(others)]
    return [("AD01", big)] + [(f"AD{k + 2:02d}", s) for k, s in enumerate(sizes)]


def secondary_indexes(conn) -> list[tuple[str, str]]:
    """(name, CREATE INDEX …) of the loaded tables' indexes that back no constraint."""
    return conn.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' AND i.tablename = ANY(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)", (list(LOADED),)).fetchall()


def load(url: str, scale: float) -> dict:
    t0 = time.perf_counter()
    Books(sa_url(url), "bench").init_schema()
    t_schema = time.perf_counter()
    with psycopg.connect(url) as conn:
        indexes = secondary_indexes(conn)
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        conn.execute("SET session_replication_role = replica")  # no FK triggers: ids are consistent by construction
        conn.commit()
        ld = Loader(conn)
        plan = plan_coops(scale)
        for ad, _ in plan:
            ld.ad(ad, f"OCCE {ad}")
        for k in range(1, max(n for _, n in plan) + 1):  # round robin over the ADs: all of them type at once
            for ad, n in plan:
                if k <= n:
                    ld.coop(f"{ad}-{k:04d}", ad, ld.rng.randint(150, 450))
        for ad, _ in plan:
            ld.coop(f"FORM-{ad}", ad, 40, training=True)
        ld.flush()
        t_copy = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '512MB'")
        for _, ddl in indexes:
            conn.execute(ddl)
        for table, col in (("exercice", "id"), ("entry", "id"), ("posting", "id"), ("cash_count", "id"),
                           ("subsidy", "id")):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{col}'), (SELECT max({col}) FROM {table}))")
        conn.commit()
        t_index = time.perf_counter()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
        t_vacuum = time.perf_counter()
    return {"plan": plan, "counts": ld.counts, "schema": t_schema - t0, "copy": t_copy - t_schema,
            "indexes": t_index - t_copy, "n_indexes": len(indexes), "vacuum": t_vacuum - t_index,
            "total": t_vacuum - t0}


# --- measuring ------------------------------------------------------------------------------

class Recorder:
    """Every statement SQLAlchemy sends while ``on``, to EXPLAIN them afterwards."""

    def __init__(self):
        self.on, self.statements = False, []
        event.listen(Engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if self.on and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.statements.append((statement, parameters))

    def take(self, fn):
        self.statements, self.on = [], True
        try:
            fn()
        finally:
            self.on = False
        return self.statements


def _seq_scans(node: dict, out: list[str]) -> None:
    """The sequential scans of big tables in a JSON plan, with the rows each one read."""
    if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") in BIG_TABLES:
        rows = node.get("Actual Rows", 0) * node.get("Actual Loops", 1) + node.get("Rows Removed by Filter", 0)
        out.append(f"{node['Relation Name']} ({rows:,} rows read)")
    for child in node.get("Plans", []):
        _seq_scans(child, out)


def explain(url: str, label: str, statements) -> None:
    """Each statement's buffers (pages touched) and its sequential scans of big tables."""
    engine = create_engine(sa_url(url))
    print(f"  EXPLAIN ANALYZE of {label}: {len(statements)} statement(s)")
    with engine.connect() as conn:
        for sql, params in statements:
            plan = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", params).scalar()[0]
            seq, top = [], plan["Plan"]
            _seq_scans(top, seq)
            pages = top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0)
            head = re.sub(r"\s+", " ", sql)[:90]
            flag = "  SEQ SCAN: " + ", ".join(seq) if seq else ""
            print(f"    {plan['Execution Time']:8.1f} ms {pages:9,} pages  {head}{flag}")
    engine.dispose()


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def measure(url: str, plan, args) -> None:
    from retkoop_widgets.ad_dashboard.queries import ad_overview
    from retkoop_widgets.analysis import analyse_ad
    from retkoop_widgets.storage.aggregates import national_summary
    rec = Recorder() if args.explain else None
    books = Books(sa_url(url), "bench", today=lambda: TODAY)
    rng = random.Random(5)
    coops = [f"{ad}-{k:04d}" for ad, n in plan for k in range(1, n + 1)]
    books.crf(coops[0], EX)  # connection pool, imports
    times, cpu = [], []
    for code in rng.sample(coops, min(200, len(coops))):
        t, c = time.perf_counter(), time.process_time()
        books.crf(code, EX)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    print(f"1. Books.crf, {len(times)} random coops: median {statistics.median(times) * 1000:.1f} ms, "
          f"p95 {pct(times, 95) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms (target ≤ 50 ms); "
          f"this process's CPU: median {statistics.median(cpu) * 1000:.1f} ms, p95 {pct(cpu, 95) * 1000:.1f} ms")
    if rec:
        explain(url, "one Books.crf", rec.take(lambda: books.crf(coops[len(coops) // 2], EX)))

    ad, n_big = plan[0]
    times, cpu = [], []
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time()
        rows = ad_overview(books, ad)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    print(f"2. AD overview (ad_overview) of {ad}, {len(rows)} coops: best {min(times):.2f} s, "
          f"median {statistics.median(times):.2f} s (target ≤ 1.5 s); this process's CPU: best {min(cpu):.2f} s")
    if rec:
        explain(url, "ad_overview", rec.take(lambda: ad_overview(books, ad)))

    times = []
    for _ in range(3):
        t = time.perf_counter()
        a = analyse_ad(sa_url(url), ad, EX, TODAY)
        times.append(time.perf_counter() - t)
    steps = ", ".join(f"{k} {v:.2f}" for k, v in a.timings.items())
    print(f"3. departmental analysis (analyse_ad) of {ad}, {len(a.coops)} coops, {len(a.anomalies)} anomalies: "
          f"best {min(times):.2f} s, median {statistics.median(times):.2f} s (target ≤ 10 s)\n     steps: {steps}")
    if rec:
        explain(url, "analyse_ad", rec.take(lambda: analyse_ad(sa_url(url), ad, EX, TODAY)))
    if args.notebook:
        print(f"   the notebook end to end (papermill, kernel start, charts, XLSX): {notebook(url, ad):.1f} s")

    times = []
    for _ in range(2):
        t = time.perf_counter()
        summary = national_summary(sa_url(url), EX)
        times.append(time.perf_counter() - t)
    ads = {r.ad for r in summary}
    print(f"4. national summary by AD and rubric (national_summary): {len(summary)} rows over {len(ads)} ADs: "
          f"best {min(times):.2f} s, median {statistics.median(times):.2f} s (target ≤ 60 s)")
    if rec:
        explain(url, "national_summary", rec.take(lambda: national_summary(sa_url(url), EX)))

    with psycopg.connect(url) as c:
        size = c.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        tables = c.execute(
            "SELECT relname, pg_total_relation_size(oid), pg_relation_size(oid) FROM pg_class "
            "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 2 DESC LIMIT 4").fetchall()
    detail = ", ".join(f"{n} {t / 2**30:.2f} GiB ({r / 2**30:.2f} heap)" for n, t, r in tables)
    print(f"5. database size on disk: {size / 2**30:.2f} GiB — {detail}")


def notebook(url: str, ad: str) -> float:
    import papermill as pm
    before = os.environ.get("RETKOOP_DB_URL")
    os.environ["RETKOOP_DB_URL"] = sa_url(url)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            pm.execute_notebook(str(ROOT / "retkoop_widgets" / "notebooks" / "analyse_departementale.ipynb"),
                                f"{tmp}/out.ipynb", parameters={"ad": ad, "aujourdhui": "15/09/2026",
                                                                "export_xlsx": f"{tmp}/analyse.xlsx"},
                                cwd=tmp, progress_bar=False, kernel_name="python3")
            return time.perf_counter() - t
    finally:
        if before is None:
            os.environ.pop("RETKOOP_DB_URL", None)
        else:
            os.environ["RETKOOP_DB_URL"] = before


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the 45,000 coops (0.01: 450)")
    ap.add_argument("--keep", action="store_true", help="keep the database (default: dropped at the end)")
    ap.add_argument("--reuse", action="store_true", help="measure an existing database (kept by --keep)")
    ap.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE every statement measured")
    ap.add_argument("--notebook", action="store_true", help="also run the analysis notebook (papermill)")
    ap.add_argument("--db", default=DB)
    args = ap.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.2f} / {os.getloadavg()[1]:.2f} / {os.getloadavg()[2]:.2f} "
          f"on {os.cpu_count()} cores (a shared machine) at {datetime.now():%H:%M}")
    plan = plan_coops(args.scale)
    try:
        if args.reuse:
            url = f"{admin_url()}/{args.db}"
        else:
            url = recreate(args.db)
            info = load(url, args.scale)
            c = info["counts"]
            print(f"loaded {sum(n for _, n in plan):,} coops in {len(plan)} ADs (+{len(plan)} training): "
                  f"{c['entry']:,} entries, {c['posting']:,} postings, {c['cash_count']:,} cash counts, "
                  f"{c['subsidy']:,} subsidies in {info['total']:.0f} s — schema {info['schema']:.1f} s, "
                  f"generate + COPY {info['copy']:.0f} s ({c['entry'] / info['copy']:,.0f} entries/s), "
                  f"{info['n_indexes']} indexes {info['indexes']:.0f} s, VACUUM ANALYZE {info['vacuum']:.0f} s")
        measure(url, plan, args)
    finally:
        if not args.keep:
            drop(args.db)
            print(f"dropped {args.db}")
    print(f"load average {os.getloadavg()[0]:.2f} / {os.getloadavg()[1]:.2f} / {os.getloadavg()[2]:.2f} "
          f"at {datetime.now():%H:%M}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
