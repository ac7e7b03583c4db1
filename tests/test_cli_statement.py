"""``retkoop releve COOP EX FICHIER [--appliquer]``, run as a user would (a subprocess), on
SQLite and PostgreSQL: the proposal shown in French, nothing pointed without
``--appliquer``, the balances checked, every refusal in French with its line."""
from __future__ import annotations

from datetime import date

import pytest

from tests.test_cli import run
from tests.test_statement_formats import cfonb, cfonb_file, ofx1

COOP, EX = "AD76-0421", "2025-2026"


@pytest.fixture
def cli_books(db_url):
    run(db_url, "init")
    run(db_url, "ad", "add", "AD76", "--name", "OCCE Seine-Maritime")
    run(db_url, "coop", "add", COOP, "--name", "École des Tilleuls", "--ad", "AD76")
    run(db_url, "exercice", "open", COOP, EX, "--banque", "1842,37", "--caisse", "63,50")
    run(db_url, "entry", "add", COOP, EX, "--date", "12/09/2025", "--libelle", "Participation des familles",
        "--mode", "chèque", "--banque-entree", "250", "-v", "7560=250")
    run(db_url, "entry", "add", COOP, EX, "--date", "03/10/2025", "--libelle", "Facture OCCE", "--tiers", "OCCE 76",
        "--mode", "chèque", "--cheque", "4521001", "--banque-sortie", "174,50", "-v", "6281=174,50")
    return db_url


def _ofx(tmp_path, fee: bool = False):
    trns = [{"date": "20250915", "amount": "250,00", "name": "REMISE CHEQUES"},
            {"type": "CHECK", "date": "20251008", "amount": "-174,50", "name": "CHEQUE", "checknum": "4521001"}]
    if fee:
        trns.append({"date": "20251015", "amount": "-4,80", "name": "FRAIS ENVOI CHEQUIER"})
    closing = 184237 + 25000 - 17450 - (480 if fee else 0)
    f = tmp_path / "releve.ofx"
    f.write_bytes(ofx1(trns, balance=(f"{closing // 100}.{closing % 100:02d}", "20251031")))
    return f


def test_releve_shows_the_proposal_then_points_it(cli_books, tmp_path):
    f = _ofx(tmp_path, fee=True)
    out = run(cli_books, "releve", COOP, EX, str(f)).stdout
    assert "releve.ofx (OFX 1.x) : 3 opérations du 15/09/2025 au 15/10/2025" in out
    assert "Rapprochées, à pointer (2) :" in out
    assert "→ pièce 002 du 03/10/2025 (chèque n° 4521001)" in out
    assert "Sans écriture au cahier (1) :" in out and "FRAIS ENVOI CHEQUIER" in out
    assert "à saisir dans le cahier ? (frais bancaires, prélèvement…)" in out
    assert ("relevé au 31/10 : 1 913,07 € ; livre pointé : 1 917,87 € (avec les 2 lignes proposées) — "
            "écart -4,80 €") in out
    assert ("Rien n'a été pointé. Pour pointer les 2 lignes rapprochées sur le relevé du 15/10/2025 : relancez "
            "avec --appliquer.") in out
    again = run(cli_books, "releve", COOP, EX, str(f)).stdout
    assert "Rapprochées, à pointer (2)" in again and "Déjà pointées" not in again  # nothing was written
    # the fee entered, then applied: everything pointed, the balances agree
    run(cli_books, "entry", "add", COOP, EX, "--date", "15/10/2025", "--libelle", "Frais envoi chéquier",
        "--banque-sortie", "4,80", "-v", "6270=4,80")
    done = run(cli_books, "releve", COOP, EX, str(f), "--appliquer", "--date", "31/10/2025").stdout
    assert "3 lignes pointées sur le relevé du 31/10/2025." in done
    assert "Soldes après pointage :\n  relevé au 31/10 : 1 913,07 € ; livre pointé : 1 913,07 € ✔" in done
    after = run(cli_books, "releve", COOP, EX, str(f)).stdout
    assert "Déjà pointées au cahier (3)" in after and "Rien à pointer." in after


def test_releve_reads_cfonb_with_its_opening_balance(cli_books, tmp_path):
    f = tmp_path / "RELEVE.TXT"
    f.write_bytes(cfonb_file(cfonb("01", date(2025, 9, 30), 184237 + 25000),
                             cfonb("04", date(2025, 10, 8), -17450, "CHEQUE", op="01", ref="0004521001"),
                             cfonb("07", date(2025, 10, 31), 184237 + 25000 - 17450)))
    out = run(cli_books, "releve", COOP, EX, str(f), "--appliquer").stdout
    assert "RELEVE.TXT (CFONB 120) : 1 opération du 08/10/2025" in out
    # the 01 balance of 30/09 counts the September deposit, not pointed: the gap says so
    assert "relevé, solde d'ouverture au 30/09 : 2 092,37 € ; livre pointé : 1 842,37 € — écart +250,00 €" in out
    assert "1 ligne pointée sur le relevé du 08/10/2025." in out


@pytest.mark.parametrize("content, expected", [
    (b"OFXHEADER:100\r\nDATA:OFXSGML\r\n", "ligne 1 : en-tête OFX illisible"),
    ("!Type:Bank\r\nD31/02/2025\r\nT-1,00\r\n^\r\n".encode("cp1252"),
     "ligne 2 : date « 31/02/2025 » illisible ou inexistante"),
    (b"Date;Libell\xe9;Montant\r\n08/10/2025;CHQ 4521001;-174,505\r\n",
     "ligne 2 : Montant : « -174,505 » a plus de deux décimales"),
])
def test_releve_refuses_a_malformed_file_in_french_and_points_nothing(cli_books, tmp_path, content, expected):
    f = tmp_path / "releve.dat"
    f.write_bytes(content)
    p = run(cli_books, "releve", COOP, EX, str(f), "--appliquer", check=False)
    assert p.returncode == 1 and "retkoop : refusé :" in p.stderr and expected in p.stderr
    assert "Traceback" not in p.stderr and p.stdout == ""
    out = run(cli_books, "releve", COOP, EX, str(_ofx(tmp_path))).stdout
    assert "Déjà pointées" not in out and "Rapprochées, à pointer (2)" in out


def test_releve_missing_file_or_directory(cli_books, tmp_path):
    p = run(cli_books, "releve", COOP, EX, str(tmp_path / "absent.ofx"), check=False)
    assert p.returncode == 1 and "absent.ofx" in p.stderr and "introuvable" in p.stderr
    p = run(cli_books, "releve", COOP, EX, str(tmp_path), check=False)
    assert p.returncode == 1 and "dossier" in p.stderr and "Traceback" not in p.stderr
    p = run(cli_books, "releve", "--help")
    assert "--appliquer" in p.stdout and "pointer les lignes rapprochées" in p.stdout
