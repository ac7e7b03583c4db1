"""A pièce number is never handed out twice in an exercice, even after the last entries are
deleted; deleted pièces stay visible, struck, with who, when and why (SQLite, PostgreSQL,
and the migration filling them from the audit log)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from retkoop_widgets.domain.entry import EntryDraft, VentilationLine as V
from retkoop_widgets.domain.errors import ValidationError
from tests.conftest import COOP, EX


def expense(libelle: str, piece: str = "", amount: int = 1240) -> EntryDraft:
    return EntryDraft(date(2025, 10, 2), libelle, piece=piece, mode="carte", bank_out=amount,
                      ventilation=(V("6064", amount),))


def test_deleting_the_last_entries_does_not_give_their_numbers_again(books):
    for n in range(3):
        books.record_entry(COOP, EX, expense(f"Achat {n + 1}"))
    for e in sorted(books.entries(COOP, EX), key=lambda e: e.piece)[1:]:
        books.delete_entry(e.id, e.version, "doublon")
    assert books.suggest_piece(COOP, EX, "depense") == "004"
    assert books.record_entry(COOP, EX, expense("Achat 4")).piece == "004"
    gone = books.deleted_pieces(COOP, EX)
    assert [d.piece for d in gone] == ["002", "003"]
    assert gone[0].describe().startswith("pièce 002 supprimée le 15/09/2026 par test (doublon)")
    with pytest.raises(ValidationError) as refused:
        books.record_entry(COOP, EX, expense("Reprise", piece="003"))
    assert "la pièce 003 est déjà utilisée" in str(refused.value)


def test_a_subsidy_forgets_the_deleted_receipt(books):
    e = books.record_entry(COOP, EX, EntryDraft(date(2025, 11, 6), "Subvention", mode="virement", bank_in=60000,
                                                ventilation=(V("7410", 60000),)))
    books.add_subsidy(COOP, EX, "Mairie", "commune", "Classe de mer", 60000, date(2025, 11, 6), entry_piece=e.piece)
    books.delete_entry(e.id, e.version, "saisie en double")
    [s] = books.subsidies(COOP, EX)
    assert s.entry_piece == ""
    assert [r["action"] for r in books.audit_log(COOP)][:2] == ["delete", "update"]


def test_the_cahier_shows_deleted_pieces_struck(books):
    from retkoop_widgets.widgets.app import Dashboard
    e = books.record_entry(COOP, EX, expense("Achat en trop"))
    books.delete_entry(e.id, e.version, "erreur de saisie")
    d = Dashboard(books, COOP, EX)
    d.tabs.selected_index = 1
    html = d.cahier.table.value
    assert "<s>001</s>" in html and "Pièce 001 supprimée le 15/09/2026 par test (erreur de saisie)" in html


def books_before_0008(db_url):
    """An empty database at revision 0007 with AD76-0421's 2025-2026 open: (engine, Books)."""
    from alembic import command
    from retkoop_widgets.services import Books
    from retkoop_widgets.storage.db import get_engine
    from retkoop_widgets.storage.schema import alembic_config
    from tests.test_migrations import _reset
    engine = get_engine(db_url)
    _reset(engine)
    cfg = alembic_config(engine)
    with engine.begin() as c:
        cfg.attributes["connection"] = c
        command.upgrade(cfg, "0007")
    b = Books(engine, "test")
    b.add_ad("AD76", "OCCE Seine-Maritime")
    b.add_coop(COOP, "École des Tilleuls", "AD76")
    b.open_exercice(COOP, EX, 0, 0)
    return engine, b


def test_migration_0008_fills_deleted_pieces_from_the_audit_log(db_url):
    """Deletions made before 0008 are found in the audit log; a number a live entry has
    taken since stays with that entry."""
    from retkoop_widgets.storage.schema import upgrade
    engine, b = books_before_0008(db_url)
    audit = ("INSERT INTO audit_log (at, actor, action, coop_code, exercice, object_type, object_id, before, reason) "
             "VALUES (:at, :actor, 'delete', :coop, :ex, 'entry', :oid, :before, :reason)")
    with engine.begin() as c:  # pièce 043 was deleted, then its number typed again for another entry
        c.execute(text("INSERT INTO entry (exercice_id, piece, date, libelle, tiers, mode, cheque, bank, cash, "
                       "pointed, changed_after_pointage, version, created_at, created_by, updated_at, updated_by) "
                       "SELECT id, '043', '2025-10-07', 'Achat repris', '', '', '', 0, 0, false, false, 1, "
                       "'2025-10-07 09:00:00', 'mme.roy', '2025-10-07 09:00:00', 'mme.roy' FROM exercice"))
        for at, oid, piece, reason in (("2025-10-05 10:00:00", "7", "042", "doublon"),
                                       ("2025-10-06 10:00:00", "8", "043", "")):
            c.execute(text(audit), {"at": at, "actor": "mme.roy", "coop": COOP, "ex": EX, "oid": oid,
                                    "reason": reason,
                                    "before": '{"piece": "%s", "date": "2025-10-02", "libelle": "Achat", '
                                              '"ecritures": [["6064", 1240, ""], ["512", -1240, ""]]}' % piece})
        # a deleted transfer (no ventilation: its amount is what moved) and a row of another shape
        c.execute(text(audit), {"at": "2025-10-07 10:00:00", "actor": "mme.roy", "coop": COOP, "ex": EX,
                                "oid": "9", "reason": "",
                                "before": '{"piece": "044", "date": "2025-10-03", "libelle": "Dépôt", '
                                          '"ecritures": [["512", 5000, ""], ["530", -5000, ""]]}'})
        c.execute(text(audit), {"at": "2025-10-08 10:00:00", "actor": "x", "coop": COOP, "ex": EX, "oid": "10",
                                "reason": "", "before": "null"})
    upgrade(engine)
    gone = {d.piece: d for d in b.deleted_pieces(COOP, EX)}
    assert sorted(gone) == ["042", "044"]
    d = gone["042"]
    assert (d.piece, d.amount, d.deleted_by, d.reason, d.entry_date) == ("042", 1240, "mme.roy", "doublon",
                                                                          date(2025, 10, 2))
    assert gone["044"].amount == 5000
    assert b.suggest_piece(COOP, EX, "depense") == "045"


def test_migration_0008_forgets_deletions_before_a_training_reset(db_url):
    """A sandbox reset empties the exercice and numbering starts anew: the deletions before it
    must not come back as used numbers."""
    from retkoop_widgets.storage.schema import upgrade
    engine, b = books_before_0008(db_url)
    audit = ("INSERT INTO audit_log (at, actor, action, coop_code, exercice, object_type, object_id, before, reason) "
             "VALUES (:at, 'stagiaire', :action, :coop, :ex, :otype, '5', :before, '')")
    with engine.begin() as c:
        c.execute(text(audit), {"at": "2025-10-05 10:00:00", "action": "delete", "coop": COOP, "ex": EX,
                                "otype": "entry", "before": '{"piece": "005", "date": "2025-10-02", "libelle": "A", '
                                                           '"ecritures": [["6064", 100, ""], ["512", -100, ""]]}'})
        c.execute(text(audit), {"at": "2025-10-05 12:00:00", "action": "training_reset", "coop": COOP, "ex": EX,
                                "otype": "coop", "before": None})
    upgrade(engine)
    assert b.deleted_pieces(COOP, EX) == [] and b.suggest_piece(COOP, EX, "depense") == "001"
