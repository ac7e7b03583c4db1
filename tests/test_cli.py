"""The ``retkoop`` command line, run as a user would (a subprocess), on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

RETKOOP = [sys.executable, "-m", "retkoop_widgets.cli"]


def run(db_url, *args, stdin=None, check=True):
    env = dict(os.environ, RETKOOP_DB_URL=db_url)
    p = subprocess.run(RETKOOP + list(args), capture_output=True, text=True, env=env, input=stdin, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError(f"retkoop {' '.join(args)} → {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


@pytest.fixture
def cli_db(db_url):
    run(db_url, "init")
    run(db_url, "ad", "add", "AD76", "--name", "OCCE Seine-Maritime")
    run(db_url, "coop", "add", "AD76-0421", "--name", "École des Tilleuls", "--ad", "AD76")
    run(db_url, "exercice", "open", "AD76-0421", "2025-2026", "--banque", "1842,37", "--caisse", "63,50")
    return db_url


def test_seed_examples_from_the_cli(cli_db):
    out = run(cli_db, "entry", "add", "AD76-0421", "2025-2026", "--date", "12/09/2025", "--libelle",
              "Participation des familles", "--mode", "chèque", "--banque-entree", "250", "-v", "7560=250").stdout
    assert "pièce 001 du 12/09/2025, 250,00 €" in out
    out = run(cli_db, "entry", "add", "AD76-0421", "2025-2026", "--date", "03/10/2025", "--libelle", "Facture OCCE",
              "--tiers", "OCCE 76", "--mode", "chèque", "--cheque", "4521001", "--banque-sortie", "174,50",
              "-v", "6281=150", "-v", "61681=15", "-v", "6181=9,50").stdout
    assert "pièce 002" in out and "174,50 €" in out
    crf = json.loads(run(cli_db, "report", "AD76-0421", "2025-2026", "--format", "json").stdout)
    assert crf["total_charges"] == "174.50" and crf["total_produits"] == "250.00"
    assert crf["solde_final"] == {"banque": "1917.87", "caisse": "63.50", "total": "1981.37"}
    listing = run(cli_db, "entry", "list", "AD76-0421", "2025-2026").stdout
    assert "1 917,87" in listing


def test_refusals_are_french_with_non_zero_exit(cli_db):
    p = run(cli_db, "entry", "add", "AD76-0421", "2025-2026", "--date", "03/10/2025", "--libelle", "Facture OCCE",
            "--banque-sortie", "174,50", "-v", "6281=150", "-v", "61681=15", "-v", "6181=9,49", check=False)
    assert p.returncode == 1
    assert "la ventilation totalise 174,49 € pour un montant de 174,50 € : il manque 0,01 €" in p.stderr
    assert "Traceback" not in p.stderr
    p = run(cli_db, "exercice", "open", "AD76-0421", "2025-2026", check=False)
    assert p.returncode == 1 and "déjà ouvert" in p.stderr
    p = run(cli_db, "exercice", "open", "AD76-0421", "2026-2026", check=False)
    assert p.returncode == 1 and "exercice « 2026-2026 » invalide" in p.stderr
    p = run(cli_db, "entry", "add", "AD76-9999", "2025-2026", "--date", "03/10/2025", "--libelle", "x",
            "--banque-entree", "1", "-v", "7560=1", check=False)
    assert p.returncode == 1 and "coopérative « AD76-9999 » inconnue" in p.stderr
    p = run(cli_db, "exercice", "open", "AD76-0421", "2027-2028", "--banque", "12,345", check=False)
    assert p.returncode == 1 and "plus de deux décimales" in p.stderr


def test_import_with_one_wrong_line_imports_nothing(cli_db, tmp_path):
    f = tmp_path / "cahier.csv"
    f.write_text("Pièce;Date;Libellé;Tiers;Mode;N° chèque;Banque entrée;Banque sortie;Caisse entrée;Caisse sortie;Pointé;"
                 "6281 Cotisation OCCE;61681;6181;7560\n"
                 "001;12/09/2025;Participation des familles;;chèque;;250,00;;;;;;;;250,00\n"
                 "002;03/10/2025;Facture OCCE;OCCE;chèque;4521001;;174,50;;;;150,00;15,00;9,49;\n",
                 encoding="utf-8")
    p = run(cli_db, "import", "AD76-0421", "2025-2026", str(f), check=False)
    assert p.returncode == 1
    assert "ligne 3" in p.stderr and "002" in p.stderr and "il manque 0,01 €" in p.stderr
    crf = json.loads(run(cli_db, "report", "AD76-0421", "2025-2026", "--format", "json").stdout)
    assert crf["charges"] == [] and crf["produits"] == []
    f.write_text(f.read_text(encoding="utf-8").replace("9,49", "9,50"), encoding="utf-8")
    assert "2 écritures importées" in run(cli_db, "import", "AD76-0421", "2025-2026", str(f)).stdout


def test_close_carries_forward_and_export_formats(cli_db, tmp_path):
    run(cli_db, "entry", "add", "AD76-0421", "2025-2026", "--date", "12/09/2025", "--libelle", "Don",
        "--banque-entree", "100", "-v", "7580=100")
    for fmt in ("csv", "json", "beancount"):
        out = tmp_path / f"x.{fmt}"
        run(cli_db, "export", "AD76-0421", "2025-2026", "--format", fmt, "-o", str(out))
        assert out.stat().st_size > 0
    assert json.loads((tmp_path / "x.json").read_text(encoding="utf-8"))["ecritures"][0]["piece"] == "001"
    out = run(cli_db, "exercice", "close", "AD76-0421", "2025-2026").stdout
    assert "report à nouveau sur 2026-2027 : banque 1 942,37 €, caisse 63,50 €" in out


def test_demo_data_and_help_are_french(db_url):
    assert "données de démonstration prêtes" in run(db_url, "demo-data").stdout
    coops = run(db_url, "coop", "list", "--ad", "AD76").stdout
    assert "AD76-0421\tÉcole des Tilleuls" in coops
    h = run(db_url, "--help").stdout
    assert "utilisation : retkoop" in h and "créer ou mettre à jour le schéma" in h


def test_unexpected_errors_never_print_the_password(tmp_path):
    url = "postgresql://retkoop:s3cret-pw@127.0.0.1:1/nowhere"
    p = run(url, "coop", "list", check=False)
    assert p.returncode == 2 and "s3cret-pw" not in p.stderr + p.stdout and "Traceback" not in p.stderr


@pytest.mark.parametrize("args, french", [
    (("user", "frobnicate"), "choix invalide: 'frobnicate' (valeurs possibles : 'add'"),
    (("exercice", "open", "AD76-0421"), "arguments obligatoires manquants"),
    (("coop", "list", "--bogus"), "arguments inconnus: --bogus"),
])
def test_argparse_refusals_and_help_are_french(db_url, args, french):
    """argparse's own sentences (« choose from », « show this help message ») in French."""
    p = run(db_url, *args, check=False)
    assert p.returncode == 2 and french in p.stderr, p.stderr
    assert not re.search(r"choose from|required|unrecognized|usage:", p.stderr), p.stderr
    h = run(db_url, "user", "--help").stdout
    assert "afficher cette aide et quitter" in h and "show this help" not in h
