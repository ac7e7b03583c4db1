"""The dashboard in a real headless Chromium against a real Voilà server (own port in
18800-18899, own SQLite database): the teacher's September afternoon, end to end."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def server():
    from retkoop_widgets.devtools.voila import dashboard_server
    with dashboard_server((18810, 18849)) as srv:
        yield srv


@pytest.fixture(scope="module")
def page(server):
    from retkoop_widgets.devtools.chromium import french_browser
    from retkoop_widgets.devtools.voila import open_dashboard
    with french_browser() as browser:
        yield open_dashboard(browser, server[0])


def tab(page, name):
    page.locator(".lm-TabBar-tab", has_text=name).first.click()


def upload(page, file):
    """ipywidgets' FileUpload keeps its <input type=file> out of the DOM: use the chooser."""
    with page.expect_file_chooser() as chooser:
        page.click(".rk-jupload")
    chooser.value.set_files(files=[file])


def fill_split(page, libelle, total, lines):
    page.fill(".rk-libelle input", libelle)
    page.fill(".rk-amount input", total)
    for i, (acc, amount) in enumerate(lines):
        if i:
            page.click(".rk-addrow")
            page.wait_for_function(f"document.querySelectorAll('.rk-vaccount input').length > {i}")
        page.locator(".rk-vaccount input").nth(i).fill(acc)
        page.locator(".rk-vamount input").nth(i).fill(amount)


def test_teacher_afternoon(page, server):
    # the Bilan before anything
    tab(page, "Bilan")
    page.wait_for_selector(".rk-result")
    assert page.inner_text(".rk-result").strip() == "0,00 €"
    tab(page, "Saisie")
    # the form fits: no horizontal scroll at 1366 px
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366

    # 1. an unbalanced split is refused in French, beside the ventilation
    fill_split(page, "Facture OCCE", "174,50", [("6281 — Cotisation OCCE (adhésion)", "150"),
                                                ("61681 — Assurance (MAE-MAIF via l'OCCE)", "15"),
                                                ("6181 — Documentation", "5")])
    page.click(".rk-valider")
    page.wait_for_selector(".rk-err:has-text('il manque 4,50 €')")
    assert "Ventilé" not in page.inner_text(".rk-reste-box") and "4,50" in page.inner_text(".rk-reste-box")

    # 2. corrected: 150 / 15 / 9,50; Enter in the last amount validates
    page.locator(".rk-vamount input").nth(2).fill("9,50")
    page.wait_for_selector(".rk-reste.zero")
    page.locator(".rk-vamount input").nth(2).press("Enter")
    page.wait_for_selector(".rk-saisie-status:has-text('Écriture 001 enregistrée')")
    # the form resets right after the confirmation, with the next free number
    expect(page.locator(".rk-piece input")).to_have_value("002")
    expect(page.locator(".rk-vamount input")).to_have_count(1)
    expect(page.locator(".rk-vamount input").first).to_have_value("")
    page.wait_for_selector(".rk-hbank:has-text('1 667,87 €')")

    # 3. pointage session: statement balance, tick the line, difference reaches zero
    tab(page, "Cahier")
    page.wait_for_selector(".rk-cahier:has-text('Facture OCCE')")
    page.click(".rk-psession")
    page.fill(".rk-pbalance input", "1 667,87")
    page.wait_for_selector(".rk-psummary:has-text('174,50')")
    page.locator(".rk-pcheck", has_text="Facture OCCE").locator("input").check()
    page.wait_for_selector(".rk-psummary:has-text('relevé rapproché')")
    page.click(".rk-pvalider")
    page.wait_for_selector(".rk-pstatus:has-text('1 ligne pointée')")
    page.wait_for_selector(".rk-cahier:has-text('✔ pointée')")

    # 4. a cash count with a gap of 3,20 €
    tab(page, "Caisse")
    for d, n in ((5000, "1"), (1000, "1"), (10, "3")):
        page.fill(f".rk-coin-{d} input", n)
        page.press(f".rk-coin-{d} input", "Tab")
    page.wait_for_selector(".rk-ctotal:has-text('Écart de 3,20 €')")
    page.click(".rk-csave")
    page.wait_for_selector(".rk-castatus:has-text('enregistré')")

    # 5. a subsidy
    tab(page, "Subventions")
    page.fill(".rk-sgrantor input", "Mairie de Rouen")
    page.fill(".rk-sobject input", "Classe de mer")
    page.fill(".rk-samount input", "800")
    page.click(".rk-ssave")
    page.wait_for_selector(".rk-sstatus:has-text('Subvention ajoutée')")
    page.wait_for_selector(".rk-srecon:has-text('écart de 800,00 €')")

    # 6. a PDF receipt, and a refusal that says why
    tab(page, "Pièces justificatives")
    page.wait_for_selector(".rk-jentry select")
    upload(page, {"name": "facture-occe.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.wait_for_selector(".rk-jstatus:has-text('facture-occe.pdf joint à la pièce 001')")
    page.wait_for_selector(".rk-jlinks a[download='facture-occe.pdf']")
    upload(page, {"name": "photo.pdf", "mimeType": "application/pdf", "buffer": b"GIF89a..."})
    page.wait_for_selector(".rk-jstatus:has-text(\"n'est ni un PDF\")")

    # 7. the Bilan changed accordingly
    tab(page, "Bilan")
    page.wait_for_selector(".rk-result:has-text('174,50')")
    text = page.inner_text(".rk-bilan")
    assert re.search(r"[-−]\s?174,50", page.inner_text(".rk-result"))
    assert "Comptes équilibrés" in text
    page.wait_for_selector(".rk-alerts:has-text('7410')")  # the alert list is drawn after the totals
    alerts = page.inner_text(".rk-alerts")
    assert "Écart de 3,20 €" in alerts or "écart de 3,20 €" in alerts
    assert "7410" in alerts
    # nothing leaked: no traceback anywhere on the page
    assert "Traceback" not in page.content() and "sqlite:///" not in page.content()

    # 8. the compte rendu financier as PDF from the Exports section
    tab(page, "Exports")
    page.click(".rk-ecrf")
    page.wait_for_selector(".rk-ecrf-status:has-text('génération en cours')", timeout=10000)
    link = page.wait_for_selector(".rk-ecrf-link a[download='CRF_AD76-0421_2025-2026.pdf']", timeout=120000)
    with page.expect_download() as dl:
        link.click()
    assert Path(dl.value.path()).read_bytes()[:5] == b"%PDF-"
    assert dl.value.suggested_filename == "CRF_AD76-0421_2025-2026.pdf"
    assert "Traceback" not in page.content()

    # and in the database
    from retkoop_widgets.services import Books
    b = Books(server[1], "test")
    [e] = b.entries("AD76-0421", "2025-2026")
    assert e.pointed and sorted(p.amount for p in e.ventilation) == [950, 1500, 15000]
    assert len(b.cash_counts("AD76-0421", "2025-2026")) == 1 and len(b.subsidies("AD76-0421", "2025-2026")) == 1
    assert len(b.attachments("AD76-0421", "2025-2026")[e.id]) == 1


def _focused_in(page, css: str) -> bool:
    return page.evaluate("(css) => !!(document.activeElement && document.activeElement.closest(css))", css)


def test_tab_order_follows_the_form(page):
    """Tab moves through the entry form in reading order (no tabindex tricks: DOM order)."""
    tab(page, "Saisie")
    page.click(".rk-piece input")
    page.keyboard.press("Tab")
    assert _focused_in(page, ".rk-date")
    page.click(".rk-libelle input")
    page.keyboard.press("Tab")
    assert _focused_in(page, ".rk-tiers")
    page.click(".rk-amount input")
    page.keyboard.press("Tab")
    assert _focused_in(page, ".rk-mode")
    page.keyboard.press("Tab")
    assert _focused_in(page, ".rk-cheque")
    page.click(".rk-vaccount input")
    page.keyboard.press("Tab")
    assert _focused_in(page, ".rk-vamount")


def test_bank_statement_import_points_the_matched_lines(page, server):
    """The relevé CSV from the bank: its lines are paired with the cahier's unpointed bank
    lines, a line with no entry is listed with a hint, and one click points the pairs."""
    from datetime import date
    from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
    from retkoop_widgets.services import Books
    b = Books(server[1], "test")
    e = b.record_entry("AD76-0421", "2025-2026", EntryDraft(date(2025, 10, 6), "Participation des familles",
                                                            mode="virement", bank_in=25000,
                                                            ventilation=(V("7560", 25000),)))
    statement = ("Date;Libellé;Débit;Crédit\r\n"
                 "07/10/2025;VIR FAMILLES CP;;250,00\r\n"
                 "10/10/2025;FRAIS TENUE DE COMPTE;4,80;\r\n").encode("cp1252")
    tab(page, "Cahier")
    page.click(".rk-rtoggle")
    with page.expect_file_chooser() as chooser:
        page.click(".rk-rupload")
    chooser.value.set_files(files=[{"name": "releve.csv", "mimeType": "text/csv", "buffer": statement}])
    page.wait_for_selector(".rk-rsummary:has-text('1 ligne rapprochée')")
    page.wait_for_selector(f".rk-rmatches:has-text('→ {e.piece}')")  # its rows are widgets, drawn after
    assert "FRAIS TENUE DE COMPTE" in page.inner_text(".rk-rothers")
    page.click(".rk-rapply")
    page.wait_for_selector(".rk-rstatus:has-text('1 ligne pointée')")
    assert "Traceback" not in page.content()
    [again] = [x for x in b.entries("AD76-0421", "2025-2026") if x.id == e.id]
    assert again.pointed and again.statement_date == date(2025, 10, 10)
