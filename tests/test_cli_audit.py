"""``retkoop audit COOP [EX] [--depuis jj/mm/aaaa]``, run as a user would (a subprocess), on
SQLite and PostgreSQL: the history in French, newest first, pages, refusals in French."""
from __future__ import annotations

from retkoop_widgets.domain.actor import Actor
from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
from tests.conftest import COOP, EX
from tests.test_cli import run


def test_audit_prints_the_history_in_french(books, db_url):
    from datetime import date
    from retkoop_widgets.services.accounts import Accounts
    Accounts(books.engine).add("ad76", "admin-ad", ad="AD76", password="un-secret-de-classe-42")
    draft = EntryDraft(date(2026, 3, 4), "Photos de classe", mode="chèque", bank_out=1234,
                       ventilation=(V("6064", 1234),))
    e = books.record_entry(COOP, EX, draft)
    books.as_user(Actor("ad76", "admin-ad", ad="AD76")).because("ticket relu avec la mandataire").update_entry(
        e.id, e.version, EntryDraft(date(2026, 3, 5), "Photos de classe", mode="chèque", bank_out=123456,
                                    ventilation=(V("6064", 123456),)))
    out = run(db_url, "audit", COOP).stdout.splitlines()
    assert out[0] == ("ad76 (AD76) a modifié la pièce 001 (exercice 2025-2026) le 15/09/2026 à 09:00 : "
                      "montant : 12,34 € → 1 234,56 € ; date : 04/03/2026 → 05/03/2026 — motif : "
                      "ticket relu avec la mandataire")
    assert out[1] == "test a saisi la pièce 001 (exercice 2025-2026) le 15/09/2026 à 09:00"
    assert out[-1] == "test a créé la coopérative AD76-0421 le 15/09/2026 à 09:00"
    assert len(run(db_url, "audit", COOP, "2025/2026").stdout.splitlines()) == 3
    page = run(db_url, "audit", COOP, "--nombre", "2").stdout.splitlines()
    assert len(page) == 3 and page[-1].startswith(f"… suite : retkoop audit {COOP} --avant ")
    nxt = run(db_url, "audit", COOP, "--nombre", "2", "--avant", page[-1].split()[-1]).stdout.splitlines()
    assert nxt == out[2:4]
    assert run(db_url, "audit", COOP, "--depuis", "16/09/2026").stdout == \
        "aucune modification depuis le 16/09/2026\n"
    assert run(db_url, "audit", COOP, "--depuis", "15/09/2026", "--tout").stdout.splitlines() == out


def test_audit_refusals_are_french(books, db_url):
    p = run(db_url, "audit", "AD76-9999", check=False)
    assert p.returncode == 1 and p.stderr == "retkoop : coopérative « AD76-9999 » inconnue\n"
    p = run(db_url, "audit", COOP, "2019-2020", check=False)
    assert p.returncode == 1 and "n'a pas d'exercice 2019-2020" in p.stderr
    p = run(db_url, "audit", COOP, "--depuis", "32/01/2026", check=False)
    assert p.returncode == 1 and "--depuis : le 32/01/2026 n'existe pas" in p.stderr
    p = run(db_url, "audit", COOP, "2025-20", check=False)
    assert p.returncode == 1 and "Traceback" not in p.stderr and p.stderr.startswith("retkoop :")
    p = run(db_url, "audit", COOP, "--nombre", "zéro", check=False)
    assert p.returncode == 2 and "n'est pas un nombre entier positif" in p.stderr
