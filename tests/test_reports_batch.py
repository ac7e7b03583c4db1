"""AD batch (20 coops, 2 worker processes, one coop broken) and the notebooks under nbval."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V

from known_year import plain

EX = "2025-2026"
ROOT = Path(__file__).parents[1]


@pytest.fixture
def ad_db(tmp_path, clock):
    """AD76 with 20 coops: 19 with a small year, AD76-0013 without any exercice (broken)."""
    from retkoop_widgets.services import Books
    from retkoop_widgets.storage.db import get_engine
    from retkoop_widgets.storage.schema import upgrade
    url = f"sqlite:///{tmp_path / 'ad.sqlite3'}"
    upgrade(get_engine(url))
    b = Books(url, "test", today=clock.today, now=clock.now)
    b.add_ad("AD76", "OCCE Seine-Maritime")
    coops = [f"AD76-{i:04d}" for i in range(1, 21)]
    for i, code in enumerate(coops, start=1):
        b.add_coop(code, f"École n° {i}", "AD76")
        if code == "AD76-0013":
            continue
        b.open_exercice(code, EX, 100000 + i, 0)
        b.import_drafts(code, EX, [
            ("1", EntryDraft(date(2025, 10, 1), "Participation des familles", mode="chèque", bank_in=10000 * i,
                             ventilation=(V("7560", 10000 * i),))),
            ("2", EntryDraft(date(2025, 11, 1), "Sortie", mode="virement", bank_out=2500,
                             ventilation=(V("6251", 2500),)))])
    return url, coops, b


def test_ad_batch_renders_every_coop_and_reports_the_broken_one(ad_db, tmp_path, monkeypatch, capsys):
    from pypdf import PdfReader
    from retkoop_widgets import cli
    url, coops, books = ad_db
    monkeypatch.setenv("RETKOOP_DB_URL", url)
    out = tmp_path / "out"
    rc = cli.main(["report", "--ad", "AD76", EX, "--format", "pdf", "--out-dir", str(out), "--workers", "2"])
    err = capsys.readouterr().err
    assert rc == 1  # one failure → non-zero exit
    produced = sorted(p.name for p in out.glob("*.pdf"))
    assert produced == [f"CRF_{c}_{EX}.pdf" for c in coops if c != "AD76-0013"]
    assert "19 document(s) produit(s) sur 20" in err
    assert "AD76-0013 : l'exercice 2025-2026 de la coopérative AD76-0013 n'est pas ouvert" in err
    assert "20/20" in err  # the progress bar reached the end
    # each PDF is its own coop's: opening 1 000,0i + 100,00 × i − 25,00
    for i in (1, 7, 20):
        reader = PdfReader(out / f"CRF_AD76-{i:04d}_{EX}.pdf")
        text = plain(" ".join(p.extract_text() for p in reader.pages))
        assert f"AD76-{i:04d}" in text
        closing = 100000 + i + 10000 * i - 2500
        euros, cents = divmod(closing, 100)
        assert f"{euros:,}".replace(",", " ") + f",{cents:02d}" in text
    assert not list(out.glob("*.part"))


def test_batch_with_no_coop_is_refused(ad_db, monkeypatch):
    from retkoop_widgets.domain.errors import NotFound
    from retkoop_widgets.reports.batch import render_ad
    url, coops, books = ad_db
    with pytest.raises(NotFound, match="AD27"):
        render_ad(books, "AD27", EX, "/nonexistent-never-created")


@pytest.mark.parametrize("notebook", ["rapport_financier.ipynb", "cahier.ipynb"])
def test_notebooks_run_under_nbval(notebook, tmp_path, clock):
    """Both notebooks execute against a seeded demo database (the lead's conftest will set
    RETKOOP_DB_URL for the whole session; here we seed our own)."""
    from retkoop_widgets.demo import seed_demo
    from retkoop_widgets.services import Books
    from retkoop_widgets.storage.db import get_engine
    from retkoop_widgets.storage.schema import upgrade
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    upgrade(get_engine(url))
    seed_demo(Books(url, "demo", today=clock.today, now=clock.now), extra_coops=False)
    env = dict(os.environ, RETKOOP_DB_URL=url)
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                        "--rootdir", str(tmp_path), "-c", os.devnull, str(ROOT / "retkoop_widgets" / "notebooks" / notebook)],
                       env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "passed" in r.stdout
