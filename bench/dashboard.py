"""Dashboard figures (prints them; never a timed test).

    .venv/bin/python bench/dashboard.py [--screenshots docs/screenshots]

1. time to build the cahier view at 2,000 entries (target ≤ 300 ms);
2. click on "Valider" → visible confirmation in Chromium (target ≤ 300 ms);
3. first widget visible, cold (first page after the server starts) and warm;
4. kernel memory after visiting every section (target ≤ 150 MB).
Uses ports 18850-18859 and temporary SQLite databases; stops what it starts.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from retkoop_widgets import dashboard_server as ds  # noqa: E402
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine  # noqa: E402
from retkoop_widgets.services import Books  # noqa: E402

COOP, EX = "AD76-0421", "2025-2026"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--lang=fr-FR"]
SECTIONS = ["Saisie", "Cahier", "Caisse", "Subventions", "Pièces justificatives", "Bilan", "Exports"]


def big_books(url: str, n: int = 2000) -> Books:
    b = Books(url, "bench")
    b.init_schema()
    b.add_ad("AD76", "OCCE Seine-Maritime")
    b.add_coop(COOP, "École des Tilleuls", "AD76")
    b.open_exercice(COOP, EX, 184237, 6350)
    rnd = random.Random(7)
    drafts = []
    for i in range(n):
        day = date(2025, 9, 1) + timedelta(days=rnd.randrange(365))
        cents = rnd.randrange(100, 30000)
        if i % 3 == 0:
            d = EntryDraft(day, f"Participation familles {i}", bank_in=cents, mode="chèque",
                           ventilation=(VentilationLine("7560", cents),))
        elif i % 7 == 0:
            d = EntryDraft(day, f"Achat espèces {i}", cash_out=min(cents, 500), mode="espèces",
                           ventilation=(VentilationLine("6064", min(cents, 500)),))
        else:
            d = EntryDraft(day, f"Facture {i}", tiers="Fournisseur", bank_out=cents, mode="virement",
                           ventilation=(VentilationLine("6064", cents - cents // 3), VentilationLine("6181", cents // 3)))
        drafts.append((f"l{i}", d))
    b.import_drafts(COOP, EX, drafts)
    return b


def bench_cahier(tmp: Path) -> None:
    from retkoop_widgets.widgets.app import Dashboard
    from retkoop_widgets.widgets.cahier import cahier_html, filter_lines, sort_lines
    b = big_books(f"sqlite:///{tmp / 'big.sqlite3'}")
    d = Dashboard(b, COOP, EX)
    d.tabs.selected_index = 1
    full, change, render = [], [], []
    for _ in range(5):
        t = time.perf_counter()
        d.ctx._cache.clear()     # cold view: re-read 2,000 entries, balances, alerts, one page of HTML
        d.cahier.refresh()
        full.append(time.perf_counter() - t)
        t = time.perf_counter()
        d.ctx.changed()          # what a save costs while the cahier is shown (header + form + cahier)
        change.append(time.perf_counter() - t)
        t = time.perf_counter()
        d.cahier.text.value = "facture"   # a filter change: no database read
        d.cahier.text.value = ""
        render.append((time.perf_counter() - t) / 2)
    lines = d.ctx.cahier()
    t = time.perf_counter()
    html = cahier_html(sort_lines(filter_lines(lines), "date_desc")[:50], {})
    only = time.perf_counter() - t
    print(f"cahier, {len(lines)} écritures : vue complète (lecture base + soldes + alertes + page) "
          f"médiane {statistics.median(full) * 1000:.0f} ms ; après une écriture (en-tête + formulaire + cahier) "
          f"{statistics.median(change) * 1000:.0f} ms ; changement de filtre {statistics.median(render) * 1000:.0f} ms ; "
          f"HTML d'une page {only * 1000:.1f} ms ({len(html) // 1024} Ko)   [cible ≤ 300 ms]")


def kernel_rss_mb(voila_pid: int) -> list[float]:
    import psutil
    out = []
    for c in psutil.Process(voila_pid).children(recursive=True):
        try:
            if "ipykernel" in " ".join(c.cmdline()):
                out.append(c.memory_info().rss / 1024 / 1024)
        except psutil.Error:
            pass
    return out


def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="fr-FR")
    t = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(".rk-valider", timeout=120000)
    return page, time.perf_counter() - t


def bench_browser(tmp: Path, shots: Path | None) -> None:
    from playwright.sync_api import sync_playwright

    from retkoop_widgets.commands.dashboard import prepare
    url = prepare(f"sqlite:///{tmp / 'demo.sqlite3'}")
    port = 18851
    proc = ds.start(url, port, quiet=True)
    try:
        ds.wait_ready(port, proc=proc)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS,
                                        env={**os.environ, "LANG": "fr_FR.UTF-8", "LANGUAGE": "fr"})
            page, cold = open_page(browser, f"http://127.0.0.1:{port}/")
            page2, warm = open_page(browser, f"http://127.0.0.1:{port}/")
            page2.close()
            print(f"premier widget visible : à froid {cold:.1f} s, à chaud {warm:.1f} s")
            clicks = []
            for i in range(5):
                page.wait_for_timeout(1000)  # the previous save's form reset reaches the page
                page.fill(".rk-libelle input", f"Achat bench {i}")
                page.fill(".rk-amount input", "12,50")
                page.locator(".rk-vaccount input").first.fill("6064 — Fournitures")
                page.locator(".rk-vamount input").first.fill("12,50")
                page.wait_for_timeout(300)  # let the typed values reach the kernel
                t = time.perf_counter()
                page.click(".rk-valider")
                try:
                    page.wait_for_selector(f".rk-saisie-status:has-text('Achat bench {i}')", timeout=15000)
                except Exception:  # noqa: BLE001
                    print("  (échec de saisie :", page.inner_text(".rk-entry-form")[-300:].replace("\n", " "), ")")
                    continue
                clicks.append(time.perf_counter() - t)
            print(f"clic « Valider » → confirmation visible : médiane {statistics.median(clicks) * 1000:.0f} ms "
                  f"(min {min(clicks) * 1000:.0f}, max {max(clicks) * 1000:.0f})   [cible ≤ 300 ms]")
            # screenshots: a realistic form first
            if shots:
                page.wait_for_timeout(1000)
                page.click(".rk-nouvelle")
                page.wait_for_timeout(1000)
                page.fill(".rk-libelle input", "Facture OCCE")
                page.fill(".rk-tiers input", "OCCE 76")
                page.select_option(".rk-mode select", "chèque")
                page.fill(".rk-amount input", "174,50")
                for i, (a, m) in enumerate([("6281 — Cotisation OCCE (adhésion)", "150"),
                                            ("61681 — Assurance (MAE-MAIF via l'OCCE)", "15"),
                                            ("6181 — Documentation et abonnements", "9,50")]):
                    if i:
                        page.click(".rk-addrow")
                        page.wait_for_function(f"document.querySelectorAll('.rk-vaccount input').length > {i}")
                    page.locator(".rk-vaccount input").nth(i).fill(a)
                    page.locator(".rk-vamount input").nth(i).fill(m)
                    page.wait_for_timeout(400)
                page.wait_for_selector(".rk-reste.zero")
            for name in SECTIONS:
                page.locator(".lm-TabBar-tab", has_text=name).first.click()
                page.wait_for_timeout(3000 if name == "Bilan" else 1000)
                if name == "Cahier" and shots:
                    page.click(".rk-psession")
                    page.fill(".rk-pbalance input", "1 928,87")
                    page.wait_for_timeout(800)
                if shots:
                    shots.mkdir(parents=True, exist_ok=True)
                    slug = {"Pièces justificatives": "pieces"}.get(name, name.lower())
                    page.screenshot(path=str(shots / f"{slug}.png"))
                    if name == "Cahier":
                        page.click(".rk-psession")
                        page.wait_for_timeout(500)
                        page.screenshot(path=str(shots / "cahier-table.png"))
            wide = page.evaluate("document.documentElement.scrollWidth")
            rss = kernel_rss_mb(proc.pid)
            print(f"mémoire du noyau après visite de toutes les sections : "
                  f"{max(rss):.0f} Mo (noyaux : {', '.join(f'{r:.0f}' for r in rss)})   [cible ≤ 150 Mo]")
            print(f"largeur de page à 1366 px : {wide} px (pas de défilement horizontal : {wide <= 1366})")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(15)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--screenshots", type=Path, default=None)
    ap.add_argument("--skip-browser", action="store_true")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rk-bench-") as tmp:
        bench_cahier(Path(tmp))
        if not a.skip_browser:
            bench_browser(Path(tmp), a.screenshots)


if __name__ == "__main__":
    main()
