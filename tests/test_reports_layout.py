"""Printed reports where numbers must agree: tables that break across pages, the arrêté de
caisse's verdict, and what an unexpected error says to a person.

The PDFs are real (notebook executed in a report kernel, nbconvert HTML, WeasyPrint) and
read back page by page with ``pdftotext -f N -l N``.
"""
from __future__ import annotations

import re
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest

from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
from retkoop_widgets.domain.money import format_eur
from retkoop_widgets.reports import views

from known_year import COOP, EX, plain, seed_known_year

GEN = datetime(2026, 9, 15, 10, 30)
AMOUNT = re.compile(r"(?<![\d,])-?\d{1,3}(?: \d{3})*,\d\d(?!\d)")
RECON_ROW = re.compile(r"^\s*\d{3,}\s+\d\d/\d\d/\d{4}\s")
RECON_TOTAL = "Total des opérations non pointées"


def page_texts(pdf: bytes, tmp_path: Path) -> list[str]:
    import io
    from pypdf import PdfReader
    f = tmp_path / "doc.pdf"
    f.write_bytes(pdf)
    n = len(PdfReader(io.BytesIO(pdf)).pages)
    return [plain(subprocess.run(["pdftotext", "-layout", "-f", str(i), "-l", str(i), str(f), "-"], check=True,
                                 capture_output=True, text=True).stdout) for i in range(1, n + 1)]


def cents(text: str) -> int:
    neg = text.startswith("-")
    euros, cts = text.lstrip("-").replace(" ", "").split(",")
    return (-1 if neg else 1) * (int(euros) * 100 + int(cts))


def amounts(line: str) -> list[int]:
    return [cents(m) for m in AMOUNT.findall(line)]


@pytest.fixture
def sqlite_books(tmp_path, clock):
    from retkoop_widgets.services import Books
    from retkoop_widgets.storage.db import get_engine
    from retkoop_widgets.storage.schema import upgrade
    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    upgrade(get_engine(url))
    b = Books(url, "test", today=clock.today, now=clock.now)
    b.add_ad("AD76", "OCCE Seine-Maritime")
    b.add_coop(COOP, "École des Tilleuls", "AD76")
    b.open_exercice(COOP, EX, 184237, 6350)
    return b


# ---------------------------------------------------------------- a table across pages
def test_a_reconciliation_table_across_pages_prints_its_total_once_after_its_last_row(sqlite_books, tmp_path):
    """70 unpointed cheques more than the known year: the table runs over three pages. Each
    page repeats the header; the only total is on the page of the last row and equals the
    sum of every row of every page (it used to be a tfoot, repeated under page 1's rows)."""
    from retkoop_widgets.reports import render_crf_pdf
    seed_known_year(sqlite_books)
    sqlite_books.import_drafts(COOP, EX, [
        (f"u{i}", EntryDraft(date(2026, 3, 1 + i % 28), f"Chèque famille {i}", mode="chèque", cheque=str(2000 + i),
                             bank_in=350 + 5 * i, ventilation=(V("7560", 350 + 5 * i),))) for i in range(70)])
    crf = sqlite_books.crf(COOP, EX)
    want_in = sum(max(e.bank, 0) for e in crf.unpointed)
    want_out = sum(max(-e.bank, 0) for e in crf.unpointed)
    assert len(crf.unpointed) == 73

    texts = page_texts(render_crf_pdf(sqlite_books, COOP, EX), tmp_path)
    per_page = []  # (number of rows, their money, the totals printed on that page)
    suite = "3 Rapprochement bancaire au 31/08/2026 (suite)"
    for text in texts:
        lines = text.splitlines()
        start = next((i for i, ln in enumerate(lines) if "Opérations non pointées sur le relevé" in ln), None)
        if start is None:
            assert suite not in text  # a page after the table says nothing of it
            continue
        rows = [ln for ln in lines[start + 1:] if RECON_ROW.match(ln)]
        totals = [amounts(ln) for ln in lines if RECON_TOTAL in ln]
        # the top margin of a page that begins inside the table says which table goes on
        assert (suite in lines[0]) == bool(per_page), lines[0]
        per_page.append((len(rows), sum(sum(amounts(r)) for r in rows), totals))
    assert len(per_page) >= 2, "the table should span pages for this test to mean anything"
    assert sum(n for n, _, _ in per_page) == 73  # every row printed once, each page repeats the header
    for n, money, totals in per_page[:-1]:
        assert totals == [], f"a total under {n} rows adding to {format_eur(money)}: {totals}"
    last_totals = per_page[-1][2]
    assert last_totals == [[want_in, want_out]]
    assert sum(money for _, money, _ in per_page) == want_in + want_out
    # the summary below the table (expected statement balance) sits on the same page as that total
    last_page = next(t for t in texts if RECON_TOTAL in t)
    assert "Solde attendu sur le relevé bancaire" in last_page
    assert plain(format_eur(crf.statement_balance, symbol=False)) in last_page


def test_every_crf_total_is_a_row_after_the_last_row_never_a_repeated_footer(books):
    seed_known_year(books)
    html = " ".join(views.crf_blocks(views.load_crf(books, COOP, EX), GEN))
    assert "<tfoot" not in html
    for label in ("Total des charges", "Total des produits", "Total des opérations non pointées",
                  "Total du tableau des subventions", "Total des disponibilités"):
        table = next(t for t in html.split("<table") if label in t)
        assert table.index(label) > table.index("<tbody>") and table.index(label) < table.index("</tbody>")


# ---------------------------------------------------------------- arrêté de caisse
def attention_block(books) -> str:
    blocks = views.crf_blocks(views.load_crf(books, COOP, EX), GEN)
    return plain(next((b for b in blocks if "Points d'attention" in b), ""))


def cash_block(books) -> str:
    """The CRF's arrêté de caisse block, as the notebook prints it."""
    blocks = views.crf_blocks(views.load_crf(books, COOP, EX), GEN)
    return plain(next(b for b in blocks if "Arrêté de caisse" in b))


def test_the_cash_verdict_compares_the_count_with_the_book_at_the_counts_date(books):
    """The count of 31/08 (79,20 €) was right when recorded; an expense of 10,00 € dated
    20/08 recorded afterwards leaves 69,20 € in the book at that date: the CRF must not say
    « Caisse juste » any more. A movement AFTER the count's date changes nothing."""
    seed_known_year(books)
    html = cash_block(books)
    assert "Caisse juste" in html and "écart de" not in html.lower()

    books.record_entry(COOP, EX, EntryDraft(date(2026, 8, 20), "Timbres", mode="espèces", cash_out=1000,
                                            ventilation=(V("6064", 1000),)))
    assert books.crf(COOP, EX).cash_count.book_balance == 7920  # stored when the count was recorded
    html = cash_block(books)
    assert "Caisse juste" not in html
    assert "écart de 10,00 €" in html.lower()
    assert "69,20" in html  # the book's cash at the count's date, now
    attention = attention_block(books)
    assert "arrêté de caisse du 31/08/2026 : écart de 10,00 €" in attention.lower()  # the same verdict there


def test_a_count_that_the_book_now_matches_is_right_everywhere_on_the_page(books):
    """The reverse: counted 69,20 € when the book said 79,20 € (10,00 € missing), then the
    forgotten expense of 20/08 is entered: the count is right, and neither the block nor the
    « Points d'attention » print a gap any more."""
    seed_known_year(books, cash_count=False)
    books.record_cash_count(COOP, EX, date(2026, 8, 31), {5000: 1, 1000: 1, 500: 1, 200: 2, 20: 1})
    assert "écart de 10,00 €" in cash_block(books).lower()
    books.record_entry(COOP, EX, EntryDraft(date(2026, 8, 20), "Timbres", mode="espèces", cash_out=1000,
                                            ventilation=(V("6064", 1000),)))
    assert "Caisse juste" in cash_block(books)
    assert "arrêté de caisse" not in attention_block(books).lower()


def test_a_cash_movement_after_the_count_does_not_change_its_verdict(books, clock):
    seed_known_year(books, cash_count=False)
    books.record_cash_count(COOP, EX, date(2026, 6, 30), {5000: 1, 2000: 1, 500: 1, 200: 2, 20: 1})
    books.record_entry(COOP, EX, EntryDraft(date(2026, 7, 3), "Timbres", mode="espèces", cash_out=1000,
                                            ventilation=(V("6064", 1000),)))
    html = cash_block(books)
    assert "Caisse juste" in html and "69,20" not in html


# ---------------------------------------------------------------- unexpected errors
IMPORT_ERROR = ("cannot import name 'frobnicate' from 'retkoop_widgets.reports.views' "
                "(/work/main/retkoop_widgets/reports/views.py)")


def test_an_unexpected_error_in_the_kernel_says_a_plain_sentence_with_a_reference(monkeypatch, caplog):
    from nbclient.exceptions import CellExecutionError
    from retkoop_widgets.reports import ReportError
    from retkoop_widgets.reports.runner import ReportKernel
    k = ReportKernel.__new__(ReportKernel)  # no process: only the error mapping is under test

    def boom(nb):
        raise CellExecutionError("Traceback …", "ImportError", IMPORT_ERROR)
    monkeypatch.setattr(k, "_run", boom)
    with caplog.at_level("ERROR"), pytest.raises(ReportError) as err:
        k.execute("crf", coop=COOP, exercice=EX)
    said = str(err.value)
    assert "/work" not in said and "ImportError" not in said and "frobnicate" not in said
    ref = re.search(r"référence ([A-Z0-9-]+)", said)
    assert ref and "réessayez" in said
    assert IMPORT_ERROR in caplog.text and ref.group(1) in caplog.text  # the details: in the log only


def test_a_refusal_inside_the_kernel_keeps_its_french_text(monkeypatch):
    from nbclient.exceptions import CellExecutionError
    from retkoop_widgets.reports import ReportError
    from retkoop_widgets.reports.runner import ReportKernel
    k = ReportKernel.__new__(ReportKernel)

    def boom(nb):
        raise CellExecutionError("trace", "NotFound", "exercice « 2024-2025 » inconnu")
    monkeypatch.setattr(k, "_run", boom)
    with pytest.raises(ReportError, match="^exercice « 2024-2025 » inconnu$"):
        k.execute("crf", coop=COOP, exercice=EX)


def test_the_dashboard_route_never_shows_an_exception_text_from_the_renderer(sqlite_books, monkeypatch, tmp_path,
                                                                             caplog):
    """End to end through the child process and a real kernel: a report template whose code
    fails with an ImportError naming a server path. The page gets a French sentence with a
    reference, without the path nor the exception's class; the log gets the details."""
    from retkoop_widgets.reports import ReportError, render_crf_pdf
    seed_known_year(sqlite_books)
    import nbformat
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("coop = exercice = None", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(f"raise ImportError({IMPORT_ERROR!r})")])
    nbformat.write(nb, tmp_path / "rapport_financier.ipynb")
    monkeypatch.setenv("RETKOOP_NOTEBOOKS_DIR", str(tmp_path))
    with caplog.at_level("WARNING"), pytest.raises(ReportError) as err:
        render_crf_pdf(sqlite_books, COOP, EX)
    said = str(err.value)
    assert "/work" not in said and "ImportError" not in said and "frobnicate" not in said
    assert "référence" in said and "réessayez" in said
    assert "frobnicate" in caplog.text


def test_an_unexpected_error_in_the_in_process_render_is_a_plain_sentence(sqlite_books, monkeypatch, caplog):
    """``render_pdf`` (in this process): the conversion (nbconvert + WeasyPrint) fails with
    an error naming a path; the caller gets a French sentence, the log the details."""
    from retkoop_widgets.reports import ReportError, render_pdf, runner
    seed_known_year(sqlite_books)

    def broken(nb):
        raise ImportError(IMPORT_ERROR)
    monkeypatch.setattr(runner, "to_pdf", broken)
    with caplog.at_level("ERROR"), pytest.raises(ReportError) as err:
        render_pdf("cahier", sqlite_books, COOP, EX)
    said = str(err.value)
    assert "/work" not in said and "ImportError" not in said and "référence" in said
    assert "frobnicate" in caplog.text


# ---------------------------------------------------------------- deleted pièces in the printed cahier
def test_deleted_pieces_are_listed_struck_through_after_the_cahier():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Deleted:  # what the block needs of a ``domain.numbering.DeletedPiece``: describe()
        text: str

        def describe(self) -> str:
            return self.text

    html = views.deleted_pieces_html([Deleted("Pièce 004 — Spectacle <Noël> — supprimée le 15/09/2026"),
                                      Deleted("Pièce 007 — Remise — supprimée le 16/09/2026")])
    assert "Pièces supprimées (2)" in html
    assert "<li><s>Pièce 004 — Spectacle &lt;Noël&gt; — supprimée le 15/09/2026</s></li>" in html
    assert views.deleted_pieces_html([]) == ""


def test_the_printed_cahier_ends_with_the_deleted_pieces(sqlite_books, tmp_path):
    """The service keeps deleted pièce numbers (``Books.deleted_pieces``); the PDF prints them."""
    from retkoop_widgets.reports import render_cahier_pdf
    ids = seed_known_year(sqlite_books)
    e = next(x for x in sqlite_books.cahier(COOP, EX) if x.entry.id == ids["008"]).entry
    sqlite_books.delete_entry(e.id, e.version, "doublon")
    deleted = sqlite_books.deleted_pieces(COOP, EX)
    assert [d.describe() for d in deleted]
    last = page_texts(render_cahier_pdf(sqlite_books, COOP, EX), tmp_path)[-1]
    assert "Pièces supprimées (1)" in last and "008" in last


def test_a_missing_report_template_does_not_show_the_server_folder(monkeypatch, tmp_path, caplog):
    from retkoop_widgets.reports import ReportError
    from retkoop_widgets.reports.runner import load_notebook
    monkeypatch.setenv("RETKOOP_NOTEBOOKS_DIR", str(tmp_path / "nulle-part"))
    with caplog.at_level("ERROR"), pytest.raises(ReportError) as err:
        load_notebook("cahier")
    assert str(err.value).startswith("modèle de rapport introuvable : cahier.ipynb")
    assert "nulle-part" not in str(err.value) and "nulle-part" in caplog.text
