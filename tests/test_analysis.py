"""AD-wide analysis: several coops seeded through ``Books`` with deliberate anomalies;
the overview must match each coop's own CRF, list exactly the planted anomalies, ignore
training sandboxes and other ADs, read through a read-only connection, export XLSX, and
run as a notebook under papermill. SQLite and PostgreSQL."""
from __future__ import annotations

import os
from pathlib import Path
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text

from retkoop_widgets.analysis import analyse_ad
from retkoop_widgets.storage.db import engine_of
from retkoop_widgets.analysis.overview import (display_anomalies, display_coops, display_flows,
                                               display_rubrics)
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
from retkoop_widgets.domain.money import format_eur
from retkoop_widgets.services import Books

from conftest import COOP, EX, Clock

TODAY = date(2026, 11, 27)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def d(s: str) -> date:
    return datetime.strptime(s, "%d/%m/%Y").date()


@pytest.fixture
def seeded(books, db_url):
    """AD76: Tilleuls (clean, submitted on time), Jules Ferry (negative cash, stale unpointed
    line, CRF missing), Coquelicots (subsidies ≠ 7410, cash banked late, no cash count, CRF
    late), Bois Joli (no exercice). Plus a training sandbox and an AD27 coop, both full of
    problems, which must not show up."""
    b = books
    # -- Tilleuls: clean
    e1 = b.record_entry(COOP, EX, EntryDraft(d("18/09/2025"), "Participation des familles", mode="chèque",
                                             bank_in=32000, ventilation=(V("7560", 32000),)))
    b.record_entry(COOP, EX, EntryDraft(d("03/10/2025"), "Vente de gâteaux", mode="espèces", cash_in=8540,
                                        ventilation=(V("7080", 8540),)))
    e3 = b.record_entry(COOP, EX, EntryDraft(d("08/10/2025"), "Remise espèces", bank_in=8540, cash_out=8540))
    e4 = b.record_entry(COOP, EX, EntryDraft(d("25/09/2025"), "Facture OCCE", mode="chèque", cheque="100",
                                             bank_out=17450, ventilation=(V("6281", 15000), V("61681", 1500),
                                                                          V("6181", 950))))
    b.point([e1.id, e3.id, e4.id], d("31/10/2025"))
    b.record_cash_count(COOP, EX, d("31/08/2026"), {2000: 3, 100: 3, 50: 1})  # 63,50 €
    b.submit_exercice(COOP, EX)  # clock: 15/09/2026, on time
    # -- Jules Ferry: negative cash, unpointed bank line, not submitted
    b.add_coop("AD76-0102", "École Jules Ferry", "AD76")
    b.open_exercice("AD76-0102", EX, 50000, 0)
    b.record_entry("AD76-0102", EX, EntryDraft(d("10/10/2025"), "Goûter", mode="espèces", cash_out=2000,
                                               ventilation=(V("6064", 2000),)))
    b.record_entry("AD76-0102", EX, EntryDraft(d("20/10/2025"), "Tombola", mode="espèces", cash_in=5000,
                                               ventilation=(V("7080", 5000),)))
    b.record_entry("AD76-0102", EX, EntryDraft(d("22/10/2025"), "Remise espèces", bank_in=3000, cash_out=3000))
    b.record_entry("AD76-0102", EX, EntryDraft(d("05/01/2026"), "Spectacle", mode="chèque", cheque="200",
                                               bank_out=12000, ventilation=(V("6257", 12000),)))
    b.record_cash_count("AD76-0102", EX, d("30/08/2026"), {})  # cash is 0: counted, consistent
    # -- Coquelicots: subsidy mismatch, late banking, no cash count, CRF submitted late
    b.add_coop("AD76-0333", "École maternelle Les Coquelicots", "AD76")
    b.open_exercice("AD76-0333", EX, 41000, 1000)
    s = b.record_entry("AD76-0333", EX, EntryDraft(d("12/01/2026"), "Subvention mairie", mode="virement",
                                                   bank_in=50000, ventilation=(V("7410", 50000),)))
    b.add_subsidy("AD76-0333", EX, "Mairie", "commune", "Sortie", 30000, d("12/01/2026"), entry_piece=s.piece)
    b.record_entry("AD76-0333", EX, EntryDraft(d("01/12/2025"), "Vente de calendriers", mode="espèces",
                                               cash_in=8000, ventilation=(V("7080", 8000),)))
    r = b.record_entry("AD76-0333", EX, EntryDraft(d("15/02/2026"), "Remise espèces", bank_in=8000, cash_out=8000))
    b.point([s.id, r.id], d("28/02/2026"))
    late = Clock(date(2026, 10, 15))
    Books(db_url, "test", today=late.today, now=late.now).submit_exercice("AD76-0333", EX)
    # -- Bois Joli: no exercice at all
    b.add_coop("AD76-0550", "École du Bois Joli", "AD76")
    # -- noise that must be ignored
    b.add_coop("FORM-X-01", "Bac à sable X n° 1", "AD76", training=True)
    b.open_exercice("FORM-X-01", EX, 0, 0)
    b.record_entry("FORM-X-01", EX, EntryDraft(d("10/10/2025"), "Dépense", mode="espèces", cash_out=99900,
                                               ventilation=(V("6064", 99900),)))
    b.add_ad("AD27", "OCCE Eure")
    b.add_coop("AD27-0101", "École du Vexin", "AD27")
    b.open_exercice("AD27-0101", EX, 0, 0)
    b.record_entry("AD27-0101", EX, EntryDraft(d("10/10/2025"), "Dépense", mode="espèces", cash_out=5000,
                                               ventilation=(V("6064", 5000),)))
    return b


def kinds(a, code):
    return sorted(a.anomalies[a.anomalies["code"] == code]["type"])


def test_overview_matches_each_coops_crf(seeded, db_url):
    a = analyse_ad(db_url, "AD76", EX, TODAY)
    assert list(a.coops["code"]) == ["AD76-0102", "AD76-0333", "AD76-0421", "AD76-0550"]
    assert a.ad_name == "OCCE Seine-Maritime"
    for r in a.coops[a.coops["etat"] != "absent"].itertuples():
        crf = seeded.crf(r.code, EX)
        assert (r.banque, r.caisse) == (crf.closing_bank, crf.closing_cash), r.code
        assert (r.produits, r.charges, r.resultat) == (crf.total_produits, crf.total_charges, crf.result), r.code
        assert r.ecritures == crf.entries_count
    tilleuls = a.coops.set_index("code").loc[COOP]
    assert tilleuls["etat"] == "soumis" and tilleuls["dernier_pointage"] == d("31/10/2025")
    assert tilleuls["dernier_arrete"] == d("31/08/2026")
    assert a.coops.set_index("code").loc["AD76-0550", "etat"] == "absent"
    # totals by rubric and monthly flows add up to the coops' totals
    r = a.rubriques
    assert r[r["classe"] == "produits"]["total"].sum() == a.coops["produits"].sum()
    assert r[r["classe"] == "charges"]["total"].sum() == a.coops["charges"].sum()
    assert a.flux["produits"].sum() == a.coops["produits"].sum()
    assert a.flux["charges"].sum() == a.coops["charges"].sum()
    assert list(a.flux["libelle"][:2]) == ["septembre 2025", "octobre 2025"]
    cot = r[(r["classe"] == "charges") & (r["rubrique"] == "Cotisations et assurance OCCE")]
    assert int(cot["total"].iloc[0]) == 16500


def test_anomalies_are_exactly_the_planted_ones(seeded, db_url):
    a = analyse_ad(db_url, "AD76", EX, TODAY)
    assert kinds(a, COOP) == []
    assert kinds(a, "AD76-0102") == ["caisse_negative", "crf_manquant", "pointage_en_retard"]
    assert kinds(a, "AD76-0333") == ["arrete_caisse", "crf_en_retard", "especes_remise_tardive", "subventions_7410"]
    assert kinds(a, "AD76-0550") == ["exercice_absent"]
    detail = dict(zip(a.anomalies["type"] + "/" + a.anomalies["code"], a.anomalies["detail"]))
    assert detail["caisse_negative/AD76-0102"].startswith(
        f"la caisse est négative en fin de journée le 10/10/2025 (au plus bas {format_eur(-2000)}")
    assert detail["pointage_en_retard/AD76-0102"].startswith("2 ligne(s) de banque non pointée(s) depuis plus de 60 "
                                                             "jours (la plus ancienne du 22/10/2025")
    assert "échéance du 30/09/2026 dépassée de 58 jours" in detail["crf_manquant/AD76-0102"]
    assert detail["crf_en_retard/AD76-0333"].startswith("compte rendu soumis le 15/10/2026, 15 jours après")
    assert detail["subventions_7410/AD76-0333"].startswith(
        f"le tableau des subventions totalise {format_eur(30000)} mais le compte 7410 totalise {format_eur(50000)}")
    assert "jusqu'à 76 jours" in detail["especes_remise_tardive/AD76-0333"]
    assert detail["arrete_caisse/AD76-0333"].startswith("aucun arrêté de caisse enregistré")
    counts = a.coops.set_index("code")["anomalies"]
    assert counts["AD76-0333"] == 4 and counts[COOP] == 0
    # before the CRF due date, a missing CRF is not (yet) an anomaly
    early = analyse_ad(db_url, "AD76", EX, date(2026, 9, 20))
    assert "crf_manquant" not in kinds(early, "AD76-0102") and kinds(early, "AD76-0550") == []


def test_training_sandboxes_and_other_ads_are_never_counted(seeded, db_url):
    a = analyse_ad(db_url, "AD76", EX, TODAY)
    assert "FORM-X-01" not in set(a.coops["code"]) | set(a.anomalies["code"])
    assert a.coops["charges"].sum() < 99900  # the sandbox's 999 € expense is not in the totals
    other = analyse_ad(db_url, "AD27", EX, TODAY)
    assert list(other.coops["code"]) == ["AD27-0101"]
    assert kinds(other, "AD27-0101") == ["arrete_caisse", "caisse_negative", "crf_manquant"]


def test_analysis_reads_through_a_read_only_connection(seeded, db_url):
    engine = engine_of(db_url, read_only=True)
    with pytest.raises(Exception) as err:
        with engine.begin() as c:
            c.execute(text("UPDATE coop SET name = 'x'"))
    assert "read" in str(err.value).lower()  # SQLite "readonly database" / PostgreSQL "read-only transaction"
    assert seeded.coop_info(COOP)["name"] == "École des Tilleuls"


def test_display_frames_are_french(seeded, db_url):
    a = analyse_ad(db_url, "AD76", EX, TODAY)
    c = display_coops(a).set_index("Code")
    assert c.loc[COOP, "Coopérative"] == "École des Tilleuls"
    assert c.loc[COOP, "État"] == "soumis (verrouillé)"
    assert c.loc[COOP, "CRF soumis le"] == "15/09/2026"
    assert c.loc["AD76-0550", "État"] == "absent"
    assert c.loc[COOP, "Banque"] == format_eur(seeded.crf(COOP, EX).closing_bank)
    assert set(display_anomalies(a)["Anomalie"]) >= {"caisse négative", "compte rendu soumis en retard"}
    assert display_rubrics(a)["Total AD"].str.endswith("€").all()
    assert display_flows(a)["Mois"].iloc[0] == "septembre 2025"


def test_xlsx_export(seeded, db_url, tmp_path):
    from openpyxl import load_workbook
    from retkoop_widgets.analysis.export import export_xlsx
    a = analyse_ad(db_url, "AD76", EX, TODAY)
    path = tmp_path / "a.xlsx"
    export_xlsx(a, path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["À propos", "Coopératives", "Anomalies", "Rubriques", "Flux mensuels", "Distributions"]
    ws = wb["Coopératives"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    crf = seeded.crf(COOP, EX)
    assert Decimal(str(rows[COOP][3])) == Decimal(crf.closing_bank) / 100
    assert rows[COOP][1] == "École des Tilleuls" and rows[COOP][8].date() == date(2026, 9, 15)
    assert ws["D2"].number_format == '#,##0.00 "€"'
    assert wb["Anomalies"].max_row == 1 + len(a.anomalies)
    assert not [c.coordinate for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_xlsx_export_never_turns_a_coop_name_into_a_formula(seeded, db_url, tmp_path):
    from openpyxl import load_workbook
    from retkoop_widgets.analysis.export import export_xlsx
    seeded.add_coop("AD76-0999", '=HYPERLINK("http://x.example";"École")', "AD76")
    export_xlsx(analyse_ad(db_url, "AD76", EX, TODAY), tmp_path / "a.xlsx")
    wb = load_workbook(tmp_path / "a.xlsx")
    cell = next(c for c in wb["Coopératives"]["B"] if c.value and str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"


def test_charts_draw(seeded, db_url):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from retkoop_widgets.analysis.charts import all_charts
    figs = all_charts(analyse_ad(db_url, "AD76", EX, TODAY))
    assert [f.axes[0].get_title() for f in figs][0] == f"Résultat par coopérative — AD76 {EX}"
    assert len(figs[0].axes[0].patches) == 3  # one bar per coop with the exercice
    for f in figs:
        plt.close(f)


def test_notebook_runs_under_papermill(seeded, db_url, tmp_path, monkeypatch):
    import papermill as pm
    monkeypatch.setenv("RETKOOP_DB_URL", db_url)
    out = tmp_path / "out.ipynb"
    xlsx = tmp_path / "export.xlsx"
    nb = pm.execute_notebook(os.path.join(ROOT, "retkoop_widgets", "notebooks", "analyse_departementale.ipynb"), str(out),
                             parameters={"ad": "AD76", "aujourdhui": "27/11/2026", "export_xlsx": str(xlsx)},
                             cwd=str(tmp_path), progress_bar=False, kernel_name="python3")
    texts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            texts.append(data.get("text/html", "") + data.get("text/markdown", "") + data.get("text/plain", "")
                         + o.get("text", ""))
    text_all = "\n".join(texts)
    for name in ("École des Tilleuls", "École Jules Ferry", "École maternelle Les Coquelicots", "École du Bois Joli"):
        assert name in text_all
    assert "soumis (verrouillé)" in text_all and "absent" in text_all
    assert "caisse négative" in text_all and "compte rendu soumis en retard" in text_all
    assert "la caisse est négative en fin de journée le 10/10/2025" in text_all
    assert "4 coopérative(s)" in text_all and "Bac à sable" not in text_all
    assert sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", [])) == 4
    assert xlsx.exists()


@pytest.fixture
def cash_coop(books):
    """One coop whose cash lines exercise the window-function rules at their edges
    (opening cash 0, bank 1 000 €; every bank line left unpointed):

    20/10/2025  expense 30 € typed BEFORE a 50 € receipt of the same day → end of day +20 €
    10/11/2025  receipt 40 €, deposited at the bank the same day          → delay 0
    01/12/2025  receipt 20 €, deposited 15/01/2026                         → 45 days: late
    02/02/2026  withdrawal from the bank 10 € (not a receipt)              → +30 €
    03/03/2026  expense 45 € → −15 € ; 05/03/2026 expense 5 € → −20 €     → 2 negative days
    06/03/2026  withdrawal 30 € → +10 €
    01/06/2026  receipt 15 €, never deposited                              → late, never
    """
    b, code = books, "AD76-0777"
    b.add_coop(code, "École des Remparts", "AD76")
    b.open_exercice(code, EX, 100000, 0)

    def cash(day, amount, account=None):
        if amount > 0:
            draft = EntryDraft(d(day), "Recette", mode="espèces", cash_in=amount, ventilation=(V("7080", amount),))
        else:
            draft = EntryDraft(d(day), "Achat", mode="espèces", cash_out=-amount, ventilation=(V("6064", -amount),))
        b.record_entry(code, EX, draft)

    def transfer(day, to_bank):
        if to_bank > 0:
            b.record_entry(code, EX, EntryDraft(d(day), "Remise espèces", bank_in=to_bank, cash_out=to_bank))
        else:
            b.record_entry(code, EX, EntryDraft(d(day), "Retrait", bank_out=-to_bank, cash_in=-to_bank))

    cash("20/10/2025", -3000)
    cash("20/10/2025", 5000)
    cash("10/11/2025", 4000)
    transfer("10/11/2025", 4000)
    cash("01/12/2025", 2000)
    transfer("15/01/2026", 2000)
    transfer("02/02/2026", -1000)
    cash("03/03/2026", -4500)
    cash("05/03/2026", -500)
    transfer("06/03/2026", -3000)
    cash("01/06/2026", 1500)
    return code


def test_cash_rules_are_end_of_day_and_per_receipt(cash_coop, books, db_url):
    a = analyse_ad(db_url, "AD76", EX, TODAY)
    found = a.anomalies[a.anomalies["code"] == cash_coop].set_index("type")
    assert found.loc["caisse_negative", "detail"] == (
        f"la caisse est négative en fin de journée le 03/03/2026 (au plus bas {format_eur(-2000)}, "
        "2 jour(s) au total)")
    assert found.loc["caisse_negative", "date"] == d("03/03/2026")
    assert found.loc["especes_remise_tardive", "detail"] == (
        "2 recette(s) en espèces remise(s) en banque après plus de 30 jours, dont 1 jamais remise(s) "
        f"(jusqu'à 179 jours, {format_eur(3500)} au total ; la première du 01/12/2025)")
    row = a.coops.set_index("code").loc[cash_coop]
    crf = books.crf(cash_coop, EX)
    assert (row["banque"], row["caisse"], row["ecritures"]) == (crf.closing_bank, crf.closing_cash, 11)
    assert row["caisse"] == 2500


def test_unpointed_bank_lines_cutoff_is_sixty_days(cash_coop, db_url):
    def stale(today):
        a = analyse_ad(db_url, "AD76", EX, today)
        x = a.anomalies[(a.anomalies["code"] == cash_coop) & (a.anomalies["type"] == "pointage_en_retard")]
        return list(x["detail"])

    # 05/05/2026 - 60 days = 06/03/2026: the line of that very day is not yet stale
    assert stale(date(2026, 5, 5)) == [
        "3 ligne(s) de banque non pointée(s) depuis plus de 60 jours (la plus ancienne du 10/11/2025, "
        f"solde net {format_eur(5000)})"]
    assert stale(date(2026, 5, 6))[0].startswith("4 ligne(s) de banque non pointée(s)")
    assert stale(date(2026, 5, 6))[0].endswith(f"solde net {format_eur(2000)})")
    assert stale(date(2026, 1, 9)) == []  # 10/11/2025 is exactly 60 days before


def test_a_receipts_next_deposit_is_searched_in_its_own_exercice(cash_coop, books, db_url):
    """A neighbour's deposit four days after the 01/12/2025 receipt must not count as its
    deposit (the search is per exercice on both databases: window partition on PostgreSQL,
    correlated subquery on SQLite)."""
    books.add_coop("AD76-0778", "École voisine", "AD76")
    books.open_exercice("AD76-0778", EX, 100000, 5000)
    books.record_entry("AD76-0778", EX, EntryDraft(d("05/12/2025"), "Remise espèces", bank_in=5000, cash_out=5000))
    a = analyse_ad(db_url, "AD76", EX, TODAY)
    late = a.anomalies[(a.anomalies["code"] == cash_coop) & (a.anomalies["type"] == "especes_remise_tardive")]
    assert list(late["detail"]) == [
        "2 recette(s) en espèces remise(s) en banque après plus de 30 jours, dont 1 jamais remise(s) "
        f"(jusqu'à 179 jours, {format_eur(3500)} au total ; la première du 01/12/2025)"]
    assert {"caisse_negative", "especes_remise_tardive"}.isdisjoint(kinds(a, "AD76-0778"))


def _statements(monkeypatch, conn) -> dict:
    """The analysis queries' statements, captured instead of run."""
    from retkoop_widgets.analysis import queries as q
    seen = []
    monkeypatch.setattr(q, "_frame", lambda _conn, query, int_cols=(): seen.append(query))
    q.account_sums(conn, "AD76", EX)
    q.entry_stats(conn, "AD76", EX, date(2026, 9, 28))
    q.daily_flows(conn, "AD76", EX)
    q.cash_findings(conn, "AD76", EX, TODAY, 30)
    return dict(zip(["sums", "stats", "daily", "cash"], seen))


def test_queries_read_the_covering_indexes(books, db_url, monkeypatch):
    """The partial indexes of migration 0004 serve a query only if its WHERE repeats their
    predicates with inline constants (a bound parameter cannot prove them in a generic
    plan); on SQLite the plans read only indexes and the cash window needs no sort."""
    with engine_of(db_url, read_only=True).connect() as conn:
        stmts = _statements(monkeypatch, conn)
        sql = {k: str(s.compile(dialect=conn.dialect)) for k, s in stmts.items()}
        assert "posting.account NOT IN ('512', '530')" in sql["sums"]
        assert "entry.cash != 0" in sql["cash"]
        if conn.dialect.name != "sqlite":
            return  # PostgreSQL rightly seq-scans test-sized tables: its plans are in docs/analysis.md
        plans = {}
        for k, s in stmts.items():
            literal = s.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
            plans[k] = "\n".join(r[-1] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {literal}"))
    assert "COVERING INDEX ix_posting_ventilation" in plans["sums"]
    assert "COVERING INDEX ix_entry_exercice_scan" in plans["stats"]
    assert "COVERING INDEX ix_entry_exercice_scan" in plans["daily"]
    assert "deposit.cash != 0" in sql["cash"]
    assert plans["cash"].count("COVERING INDEX ix_entry_cash_lines") == 2  # the lines and each deposit search
    assert "FOR ORDER BY" not in plans["cash"], plans["cash"]


def test_the_default_export_lands_beside_the_notebook_in_the_file_browser(seeded, db_url, tmp_path, monkeypatch):
    """Under the hub the kernel runs in the analyst's workspace, the folder their JupyterLab
    file browser shows: the XLSX goes to its exports/ (downloadable), never to a hidden data
    folder; run from inside the package (nbval) it never writes into the package."""
    from retkoop_widgets.analysis import notebook as nb
    from retkoop_widgets.settings import PACKAGE
    a = analyse_ad(db_url, "AD76", EX, TODAY)
    workspace = tmp_path / "analyste"
    workspace.mkdir()
    monkeypatch.chdir(workspace)
    path = nb.export(a)
    assert Path(path) == workspace / "exports" / f"analyse_AD76_{EX}.xlsx" and Path(path).stat().st_size > 0
    monkeypatch.setenv("RETKOOP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(PACKAGE / "notebooks")
    assert nb.export_folder() == tmp_path / "data" / "exports"
