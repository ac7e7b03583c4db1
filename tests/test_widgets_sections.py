"""Wiring of the Cahier, Caisse, Subventions, Pièces, Bilan and Exports sections and of the
header (no browser; SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from retkoop_widgets.domain.entry import EntryDraft, VentilationLine
from retkoop_widgets.widgets.app import Dashboard
from tests.conftest import COOP, EX

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def expense(day, libelle, cents, account="6064", **kw):
    return EntryDraft(day, libelle, bank_out=cents, ventilation=(VentilationLine(account, cents),), **kw)


@pytest.fixture
def dash(books):
    books.record_entry(COOP, EX, EntryDraft(date(2025, 9, 10), "Participation des familles", bank_in=30000,
                                            ventilation=(VentilationLine("7560", 30000),)))
    books.record_entry(COOP, EX, expense(date(2025, 9, 12), "Papeterie", 4550, tiers="Bureau Vallée"))
    books.record_entry(COOP, EX, EntryDraft(date(2025, 9, 15), "Subvention mairie", bank_in=80000,
                                            ventilation=(VentilationLine("7410", 80000),)))
    return Dashboard(books, COOP, EX)


def test_cahier_running_balances_filters_and_paging(books):
    for i in range(120):
        books.record_entry(COOP, EX, expense(date(2025, 9 + i % 4, 1 + i % 28), f"Achat {i}", 100 + i))
    d = Dashboard(books, COOP, EX)
    d.tabs.selected_index = 1
    c = d.cahier
    assert "Page 1 / 3" in c.pageinfo.value and "120 écritures" in c.pageinfo.value
    assert c.table.value.count("<tr data-piece") == 50 or c.table.value.count('data-piece="') == 50
    # running balance of the last line in cahier order = book balance
    last = books.cahier(COOP, EX)[-1]
    assert last.bank_balance == 184237 - sum(100 + i for i in range(120))
    c.next.click()
    assert "Page 2 / 3" in c.pageinfo.value
    c.month.value = "2025-10"
    assert "Page 1 / 1" in c.pageinfo.value and "30 écritures sur 120" in c.pageinfo.value
    c.text.value = "achat 13"
    assert all("Achat 13" in o[0] for o in c.pick.options)
    c.month.value = ""
    c.text.value = ""
    c.sort.value = "amount"
    biggest = max(books.entries(COOP, EX), key=lambda e: e.amount)
    assert c.pick.options[0][1] == biggest.id and "Achat 119" in c.pick.options[0][0]


def test_cahier_shows_one_page_of_a_bulk_import(books):
    from datetime import timedelta
    drafts = [("l%d" % i, expense(date(2025, 9, 1) + timedelta(days=i % 360), f"Achat {i}", 100 + i))
              for i in range(300)]
    books.import_drafts(COOP, EX, drafts)
    d = Dashboard(books, COOP, EX)
    d.tabs.selected_index = 1
    assert "300 écritures" in d.cahier.pageinfo.value
    assert d.cahier.table.value.count('data-piece="') == 50


def test_point_a_line_with_confirmation_then_delete_with_confirmation(dash, books):
    dash.tabs.selected_index = 1
    c = dash.cahier
    e = next(e for e in books.entries(COOP, EX) if e.libelle == "Papeterie")
    c.pick.value = e.id
    c.point_btn.click()
    assert not books.entry(e.id).pointed  # nothing before confirmation
    [box] = c.confirm.children
    yes = next(w for w in box.children if getattr(w, "description", "") == "Oui, pointer")
    yes.click()
    assert books.entry(e.id).pointed and "pointée" in c.status.value
    c.pick.value = e.id
    c.del_btn.click()
    [box] = c.confirm.children
    no = next(w for w in box.children if getattr(w, "description", "") == "Annuler")
    no.click()
    assert c.confirm.children == () and books.entry(e.id)
    c.pick.value = e.id
    c.del_btn.click()
    box = c.confirm.children[0]
    reason = next(w for w in box.children if "rk-delreason" in w._dom_classes)
    reason.value = "doublon"
    next(w for w in box.children if getattr(w, "description", "") == "Oui, supprimer").click()
    assert "supprimée" in c.status.value
    assert all(x.id != e.id for x in books.entries(COOP, EX))
    assert any(a["action"] == "delete" and a["reason"] == "doublon" for a in books.audit_log(COOP))


def test_pointage_session_shows_ticked_total_and_remaining_difference(dash, books):
    dash.tabs.selected_index = 1
    c = dash.cahier
    c.session_btn.value = True
    s = c.session
    assert c.session_box.children == (s.box,)
    s.date.value = date(2025, 9, 30)
    assert len(s.checks) == 3
    # statement: opening + 300 − 45,50 (the subsidy not yet on it)
    s.balance.value = "2 096,87"
    assert "2 096,87" not in s.summary.value or "Différence restante" in s.summary.value
    assert "254,50" in s.summary.value  # 2096,87 − 1842,37 before ticking
    for cb, e in s.checks:
        if e.libelle in ("Participation des familles", "Papeterie"):
            cb.value = True
    assert "+254,50" in s.summary.value and "0,00 €" in s.summary.value and "rapproché" in s.summary.value
    s.valider.click()
    assert "2 lignes pointées" in s.status.value
    pointed = {e.libelle for e in books.entries(COOP, EX) if e.pointed}
    assert pointed == {"Participation des familles", "Papeterie"}
    assert [e.libelle for _, e in s.checks] == ["Subvention mairie"]


def test_anomaly_is_explained_in_words(books):
    books.record_entry(COOP, EX, EntryDraft(date(2025, 9, 3), "Sortie zoo", cash_out=10000, mode="espèces",
                                            ventilation=(VentilationLine("6251", 10000),)))
    d = Dashboard(books, COOP, EX)
    d.tabs.selected_index = 1
    assert "solde de la caisse devient négatif" in d.cahier.table.value
    assert 'class="why"' in d.cahier.table.value
    assert "1" in d.header.kpis.value and "rk-kpi alerts" in d.header.kpis.value


def test_cash_count_live_total_gap_save_and_history(dash, books):
    dash.tabs.selected_index = 2
    k = dash.cash
    assert len(k.inputs) == 15
    k.date.value = date(2025, 9, 30)
    assert "63,50" in k.total.value
    k.inputs[5000].value = 1
    k.inputs[1000].value = 1
    k.inputs[10].value = 3
    assert "60,30" in k.total.value and "Écart de 3,20 €" in k.total.value and "manque" in k.total.value
    k.inputs[200].value = 1
    k.inputs[100].value = 1
    k.inputs[10].value = 5
    assert "Caisse juste" in k.total.value
    k.inputs[200].value = 0
    k.inputs[100].value = 0
    k.inputs[10].value = 3
    k.save.click()
    assert "Écart de 3,20 €" in k.status.value
    [cc] = books.cash_counts(COOP, EX)
    assert (cc.total, cc.gap) == (6030, -320)
    assert "Écart" in k.history.value
    k.date.value = date(2030, 1, 1)
    k.save.click()
    assert "rk-ko" in k.status.value and len(books.cash_counts(COOP, EX)) == 1


def test_subsidies_add_edit_remove_and_reconciliation_with_7410(dash, books):
    dash.tabs.selected_index = 3
    s = dash.subsidies
    assert "écart de 800,00 €" in s.recon.value
    s.grantor.value = "Mairie de Rouen"
    s.gtype.value = "commune"
    s.object.value = "Classe de mer"
    s.amount.value = "800"
    s.date.value = date(2025, 9, 15)
    piece = next(e.piece for e in books.entries(COOP, EX) if e.libelle == "Subvention mairie")
    s.piece.value = piece
    s.save.click()
    assert "ajoutée" in s.status.value and "concordant" in s.recon.value
    assert "Classe de mer" in s.table.value
    s.pick.value = s.pick.options[0][1]
    s.edit_btn.click()
    assert s.grantor.value == "Mairie de Rouen" and s.amount.value == "800,00"
    s.amount.value = "750"
    s.save.click()
    assert "modifiée" in s.status.value and "écart de 50,00 €" in s.recon.value
    [sub] = books.subsidies(COOP, EX)
    assert sub.amount == 75000
    s.grantor.value = ""
    s.amount.value = "-3"
    s.save.click()
    assert s.errors["amount"].value and len(books.subsidies(COOP, EX)) == 1
    s.reset_form()
    s.pick.value = s.pick.options[0][1]
    s.del_btn.click()
    next(w for w in s.confirm.children[0].children if getattr(w, "description", "") == "Oui, supprimer").click()
    assert books.subsidies(COOP, EX) == [] and "supprimée" in s.status.value


def _upload(w, name, content):
    w.value = ({"name": name, "type": "", "size": len(content), "content": memoryview(content),
                "last_modified": datetime.now(timezone.utc)},)


def test_upload_receipt_refusals_list_and_download(dash, books):
    dash.tabs.selected_index = 4
    p = dash.attachments
    e = next(e for e in books.entries(COOP, EX) if e.libelle == "Papeterie")
    p.entry.value = e.id
    _upload(p.upload, "facture.pdf", PDF)
    assert "facture.pdf joint à la pièce" in p.status.value
    assert books.attachments(COOP, EX)[e.id][0]["filename"] == "facture.pdf"
    assert "data:application/pdf;base64," in p.files.value and 'download="facture.pdf"' in p.files.value
    assert "facture.pdf" in p.table.value
    _upload(p.upload, "faux.pdf", b"hello, not a pdf")
    assert "n'est ni un PDF" in p.status.value
    _upload(p.upload, "facture-bis.pdf", PDF)
    assert "déjà joint" in p.status.value
    _upload(p.upload, "ticket.png", PNG)
    assert "ticket.png" in p.status.value and p.preview.children
    assert len(books.attachments(COOP, EX)[e.id]) == 2


def test_bilan_shows_result_equality_alerts_and_charts(dash, books):
    dash.tabs.selected_index = 5
    b = dash.summary
    assert "1 054,50 €" in b.summary.value  # 300 + 800 − 45,50
    assert "Comptes équilibrés" in b.summary.value
    assert b.charts.value.count('role="img"') == 2 and 'aria-label="' in b.charts.value  # described SVG charts
    # a change elsewhere shows when the Bilan is seen again
    books.record_entry(COOP, EX, EntryDraft(date(2025, 9, 3), "Sortie", cash_out=10000, mode="espèces",
                                            ventilation=(VentilationLine("6251", 10000),)))
    dash.ctx.changed()
    assert "954,50 €" in b.summary.value
    [btn] = [w for box in b.alerts.children for w in getattr(box, "children", ()) if hasattr(w, "on_click")][:1]
    btn.click()
    assert dash.tabs.selected_index == 0 and dash.entry.form.libelle.value == "Sortie"


def test_exports_csv_and_xlsx_downloads(dash, books):
    import base64
    import io

    from openpyxl import load_workbook
    dash.tabs.selected_index = 6
    x = dash.exports
    assert [e.btn.description for e in x.exports] == [
        "Compte rendu financier (PDF)", "Version imprimable du cahier (PDF)", "Cahier au format CSV",
        "Cahier au format Excel (XLSX)"]
    x.csv.btn.click()
    link = x.csv.link.value
    assert 'download="Cahier_AD76-0421_2025-2026.csv"' in link and "data:text/csv" in link
    csv = base64.b64decode(link.split("base64,", 1)[1].split('"', 1)[0]).decode("utf-8")
    assert "Papeterie" in csv and "45,50" in csv
    x.xlsx.btn.click()
    link = x.xlsx.link.value
    assert 'download="Cahier_AD76-0421_2025-2026.xlsx"' in link and not x.xlsx.btn.disabled
    wb = load_workbook(io.BytesIO(base64.b64decode(link.split("base64,", 1)[1].split('"', 1)[0])))
    libelles = [r[2] for r in wb.active.iter_rows(min_row=2, values_only=True)]
    assert "Papeterie" in libelles and "Subvention mairie" in libelles
    # a change drops the links: a file made before it would hold stale figures
    books.record_entry(COOP, EX, expense(date(2025, 9, 20), "Colle", 300))
    dash.ctx.changed()
    assert x.csv.link.value == "" and x.xlsx.link.value == ""


def test_exports_crf_pdf_is_downloadable_and_errors_are_french(dash):
    import base64
    dash.tabs.selected_index = 6
    x = dash.exports
    x.crf.btn.click()
    link = x.crf.link.value
    assert 'download="CRF_AD76-0421_2025-2026.pdf"' in link, x.crf.status.value
    pdf = base64.b64decode(link.split("base64,", 1)[1].split('"', 1)[0])
    assert pdf[:5] == b"%PDF-" and not x.crf.btn.disabled
    assert x.crf.btn.description == "Compte rendu financier (PDF)" and "prêt" in x.crf.status.value
    # an exercice that does not exist: a French sentence, no traceback, button usable again
    dash.ctx.exercice = "2030-2031"
    x.cahier_pdf.btn.click()
    assert x.cahier_pdf.link.value == "" and "rk-ko" in x.cahier_pdf.status.value
    assert "Traceback" not in x.cahier_pdf.status.value and "2030-2031" in x.cahier_pdf.status.value
    assert not x.cahier_pdf.btn.disabled


def test_exercice_selector_switches_the_books(books):
    books.open_exercice(COOP, "2026-2027", 100, 0)
    d = Dashboard(books, COOP, "2025-2026")
    assert d.header.exercice.options == ("2025-2026", "2026-2027")
    d.header.exercice.value = "2026-2027"
    assert d.ctx.exercice == "2026-2027" and "1,00 €" in d.header.kpis.value
    assert d.entry.form.date.value == date(2026, 9, 15)
