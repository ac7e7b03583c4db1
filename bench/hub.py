"""Hub benchmark: login → usable dashboard (cold, warm), memory per active mandataire,
and how many concurrent mandataire sessions a 24 GB machine holds.

Real hub, real proxy, real Voilà serving the repository's ``notebooks/tableau_de_bord.ipynb``,
headless Chromium. ``usable`` = the entry form's "Valider" button is on screen.

    .venv/bin/python bench/hub.py [--sessions 20] [--port 18000]

Memory is measured per session as the single-user server plus its kernels (process tree),
as RSS and as PSS (shared pages split between processes: the honest figure for "how many
fit"). The capacity estimate keeps 2 GiB for the system, the hub and the proxy.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from retkoop_widgets.demo import seed_demo  # noqa: E402
from retkoop_widgets.hub.launcher import HubProcess, HubSettings, prepare_database  # noqa: E402
from retkoop_widgets.services import Books  # noqa: E402
from retkoop_widgets.services.accounts import Accounts  # noqa: E402

PASSWORD = "mot-de-passe-du-banc-2026"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
GIB = 1024 ** 3
MACHINE = 24 * GIB
RESERVED = 2 * GIB


def setup(root: Path, n: int, port: int) -> HubSettings:
    url = f"sqlite:///{root / 'retkoop.sqlite3'}"
    settings = HubSettings(db_url=url, port=port, data_dir=root / "hub", notebooks_dir=REPO / "retkoop_widgets" / "notebooks",
                           server_ports=(port + 10, port + 10 + n + 5))
    prepare_database(settings)
    books = Books(url)
    seed_demo(books)
    acc = Accounts(url)
    for i in range(1, n + 1):
        code = f"AD76-9{i:03d}"
        books.add_coop(code, f"École du banc n° {i}", "AD76")
        books.open_exercice(code, "2025-2026", 100000, 5000)
        acc.add(f"banc{i:02d}", "mandataire", coop=code, password=PASSWORD)
    return settings


def login_to_usable(ctx, base: str, login: str) -> tuple[float, object]:
    page = ctx.new_page()
    page.set_default_timeout(180_000)
    page.goto(f"{base}/hub/login")
    page.fill("#username_input", login)
    page.fill("#password_input", PASSWORD)
    t0 = time.perf_counter()
    page.click("#login_submit")
    page.wait_for_selector(".rk-valider", timeout=180_000)
    return time.perf_counter() - t0, page


def reopen(ctx, url: str) -> float:
    page = ctx.new_page()
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(".rk-valider", timeout=180_000)
    dt = time.perf_counter() - t0
    page.close()
    return dt


def session_memory() -> dict[str, tuple[int, int, int]]:
    """{user: (rss, pss, server-only pss)} of each single-user server and its kernels."""
    out = {}
    for p in psutil.process_iter(["cmdline", "environ"]):
        try:
            cmd = " ".join(p.info["cmdline"] or [])
            if "jupyterhub-singleuser" not in cmd:
                continue
            user = (p.info["environ"] or {}).get("JUPYTERHUB_USER", "?")
            rss = pss = 0
            for q in [p] + p.children(recursive=True):
                m = q.memory_full_info()
                rss += m.rss
                pss += getattr(m, "pss", m.uss)
            out[user] = (rss, pss, getattr(p.memory_full_info(), "pss", 0))
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return out


def base_memory(hub: HubProcess) -> int:
    root = psutil.Process(hub.proc.pid)
    total = 0
    for q in [root] + root.children(recursive=True):
        if "jupyterhub-singleuser" in " ".join(q.cmdline()) or any(
                "jupyterhub-singleuser" in " ".join(a.cmdline()) for a in q.parents()):
            continue
        total += getattr(q.memory_full_info(), "pss", q.memory_info().rss)
    return total


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--port", type=int, default=18000)
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright
    root = Path(tempfile.mkdtemp(prefix="retkoop-bench-hub-"))
    settings = setup(root, a.sessions, a.port)
    base = settings.url
    t0 = time.perf_counter()
    hub = HubProcess(settings).start()
    print(f"load average before the run: {', '.join(f'{x:.1f}' for x in psutil.getloadavg())} "
          f"on {psutil.cpu_count()} CPUs")
    print(f"hub start (hub + proxy ready): {time.perf_counter() - t0:.1f} s")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
            contexts, cold = [], []
            for i in range(1, a.sessions + 1):
                ctx = browser.new_context(viewport={"width": 1366, "height": 900})
                dt, page = login_to_usable(ctx, base, f"banc{i:02d}")
                cold.append(dt)
                contexts.append((ctx, page))
                if i in (1, 5, 10, 20):
                    print(f"  {i:>2} sessions open, last login → usable {dt:.1f} s", flush=True)
            url = f"{base}/user/banc01/voila/render/tableau_de_bord.ipynb"
            warm = [reopen(contexts[0][0], url) for _ in range(3)]
            time.sleep(5)
            mem = session_memory()
            hub_base = base_memory(hub)
            browser.close()
    finally:
        hub.stop()
    rss = [v[0] for v in mem.values()]
    pss = [v[1] for v in mem.values()]
    # banc01 has 1 + 3 reopened pages' kernels; the others one page each: take the median
    per_rss, per_pss = statistics.median(rss), statistics.median(pss)
    print(f"login → usable dashboard, cold (spawn + Voilà + kernel): median {statistics.median(cold):.1f} s, "
          f"first {cold[0]:.1f} s, max {max(cold):.1f} s over {len(cold)} logins")
    print(f"reopen dashboard, warm (server running, new kernel): median {statistics.median(warm):.1f} s "
          f"({', '.join(f'{w:.1f}' for w in warm)})")
    print(f"memory per active mandataire (server + kernel): RSS {per_rss / 2**20:.0f} MiB, "
          f"PSS {per_pss / 2**20:.0f} MiB (median of {len(mem)} sessions; the server alone: PSS "
          f"{statistics.median(v[2] for v in mem.values()) / 2**20:.0f} MiB, the rest is the kernel)")
    print(f"hub + proxy + culler: PSS {hub_base / 2**20:.0f} MiB; all {len(mem)} sessions: "
          f"PSS {sum(pss) / 2**30:.2f} GiB, RSS {sum(rss) / 2**30:.2f} GiB")
    fit_pss = int((MACHINE - RESERVED - hub_base) // per_pss)
    fit_rss = int((MACHINE - RESERVED - hub_base) // per_rss)
    print(f"24 GB machine (2 GiB kept for the system): ~{fit_pss} concurrent mandataire sessions "
          f"(by PSS), {fit_rss} by the pessimistic RSS; target ≥ 100: "
          f"{'met' if fit_rss >= 100 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
