"""Alembic migrations: the models match the migrations, and upgrades keep the data."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from retkoop_widgets.storage.db import get_engine
from retkoop_widgets.storage.orm import Base
from retkoop_widgets.storage.schema import alembic_config, upgrade


def test_models_and_migrations_agree(db_url):
    with get_engine(db_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def _reset(engine):
    Base.metadata.drop_all(engine)
    with engine.begin() as c:
        c.execute(text("DROP TABLE IF EXISTS alembic_version"))


def test_upgrade_from_0002_backfills_treasury_columns(db_url):
    engine = get_engine(db_url)
    _reset(engine)
    cfg = alembic_config(engine)
    with engine.begin() as c:
        cfg.attributes["connection"] = c
        command.upgrade(cfg, "0002")
    with engine.begin() as c:
        c.execute(text("INSERT INTO ad VALUES ('A', 'a')"))
        c.execute(text("INSERT INTO coop (code, name, ad_code, numbering, training) VALUES ('C', 'c', 'A', 'unique', false)"))
        c.execute(text("INSERT INTO exercice (id, coop_code, name, opening_bank, opening_cash, state, version) "
                       "VALUES (1, 'C', '2025-2026', 0, 0, 'ouvert', 1)"))
        c.execute(text("INSERT INTO entry (id, exercice_id, piece, date, libelle, tiers, mode, cheque, pointed, "
                       "changed_after_pointage, version, created_at, created_by, updated_at, updated_by) VALUES "
                       "(1, 1, '001', '2025-10-01', 'Remise', '', '', '', false, false, 1, '2025-10-01', 't', '2025-10-01', 't'),"
                       "(2, 1, '002', '2025-10-02', 'Don', '', '', '', false, false, 1, '2025-10-01', 't', '2025-10-01', 't')"))
        c.execute(text("INSERT INTO posting (entry_id, line, account, amount, action) VALUES "
                       "(1, 0, '512', 500, ''), (1, 1, '530', -500, ''), (2, 0, '512', 1200, ''), (2, 1, '7580', -1200, '')"))
    upgrade(engine)
    with engine.connect() as c:
        assert c.execute(text("SELECT id, bank, cash FROM entry ORDER BY id")).all() == [(1, 500, -500), (2, 1200, 0)]
    upgrade(engine)  # idempotent
    _reset(engine)
    upgrade(engine)


def _indexes(engine) -> dict[str, dict]:
    insp = inspect(engine)
    return {ix["name"]: ix for table in ("entry", "posting") for ix in insp.get_indexes(table)}


def _predicate(ix: dict) -> str:
    options = ix.get("dialect_options", {})
    where = options.get("sqlite_where", options.get("postgresql_where"))
    return "" if where is None else str(where)


def test_0004_covering_indexes_downgrade_and_upgrade(db_url):
    """0004 replaces ix_entry_exercice_date by the covering scan index and adds the two
    partial ones WITH their predicates (the analysis queries rely on those); downgrading
    gives back the 0003 indexes."""
    engine = get_engine(db_url)
    new = {"ix_entry_exercice_scan", "ix_entry_cash_lines", "ix_posting_ventilation"}
    idx = _indexes(engine)
    assert new <= set(idx) and "ix_entry_exercice_date" not in idx
    assert idx["ix_entry_exercice_scan"]["column_names"][:7] == [  # 0013 appends three columns
        "exercice_id", "date", "id", "bank", "cash", "pointed", "statement_date"]
    assert "cash <> 0" in _predicate(idx["ix_entry_cash_lines"])
    assert "'512'" in _predicate(idx["ix_posting_ventilation"]) and "'530'" in _predicate(idx["ix_posting_ventilation"])
    cfg = alembic_config(engine)
    with engine.begin() as c:
        cfg.attributes["connection"] = c
        command.downgrade(cfg, "0003")
    idx = _indexes(engine)
    assert not new & set(idx) and idx["ix_entry_exercice_date"]["column_names"] == ["exercice_id", "date"]
    upgrade(engine)
    assert new <= set(_indexes(engine))
    with get_engine(db_url).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_0013_treasury_scan_covers_the_crf_review(db_url):
    """0013 appends piece, cheque and changed_after_pointage to ix_entry_exercice_scan (the
    CRF's balance walk and review filter read the index only) and drops ix_entry_exercice_id;
    downgrading to 0008 gives back the 0004 columns and that index."""
    engine = get_engine(db_url)
    before = ["exercice_id", "date", "id", "bank", "cash", "pointed", "statement_date"]
    idx = _indexes(engine)
    assert idx["ix_entry_exercice_scan"]["column_names"] == before + ["piece", "cheque", "changed_after_pointage"]
    assert "ix_entry_exercice_id" not in idx  # redundant with the covering index, and misled the planner
    cfg = alembic_config(engine)
    with engine.begin() as c:
        cfg.attributes["connection"] = c
        command.downgrade(cfg, "0008")
    idx = _indexes(engine)
    assert idx["ix_entry_exercice_scan"]["column_names"] == before
    assert idx["ix_entry_exercice_id"]["column_names"] == ["exercice_id"]
    upgrade(engine)
    idx = _indexes(engine)
    assert idx["ix_entry_exercice_scan"]["column_names"][7:] == ["piece", "cheque", "changed_after_pointage"]
    assert "ix_entry_exercice_id" not in idx
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_0005_inventory_register_downgrade_and_upgrade(db_url):
    """0005 adds the durable_good table (the inventory register) with its foreign keys
    (the coop; the 68 entry, SET NULL on delete) and indexes; downgrading to 0004 drops
    it and nothing else, upgrading brings it back matching the models."""
    engine = get_engine(db_url)
    insp = inspect(engine)
    assert insp.has_table("durable_good")
    cols = {c["name"] for c in insp.get_columns("durable_good")}
    assert {"coop_code", "entry_id", "designation", "acquired_on", "value", "quantity", "location",
            "disposed_on", "disposal_reason", "comment", "version"} <= cols
    fks = {fk["referred_table"]: fk for fk in insp.get_foreign_keys("durable_good")}
    assert set(fks) == {"coop", "entry"} and fks["entry"]["options"].get("ondelete") == "SET NULL"
    assert {ix["name"] for ix in insp.get_indexes("durable_good")} == {
        "ix_durable_good_coop_acquired", "ix_durable_good_entry_id"}
    tables_before = set(insp.get_table_names())
    cfg = alembic_config(engine)
    with engine.begin() as c:
        cfg.attributes["connection"] = c
        command.downgrade(cfg, "0004")
    assert set(inspect(engine).get_table_names()) == tables_before - {
        "durable_good", "deleted_piece", "history_seen", "coop_change", "presence",
        "column_mapping"}  # 0008, 0010, 0011, 0012 too
    upgrade(engine)
    assert inspect(engine).has_table("durable_good")
    with get_engine(db_url).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_0006_fills_the_submission_from_the_last_lock_record(db_url):
    """0006 adds the signature place and date to the exercice and fills the submission
    (when, by whom, vérificateurs, place, date of signature) from each exercice's LAST
    lock audit record; an exercice never submitted, or a sandbox reset since, stays
    empty; downgrading drops the two columns only."""
    engine = get_engine(db_url)
    _reset(engine)
    cfg = alembic_config(engine)
    with engine.begin() as c:
        cfg.attributes["connection"] = c
        command.upgrade(cfg, "0005")
    first = '{"etat": "soumis", "verificateurs": [{"nom": "A", "qualite": "parent"}], "lieu": "Dieppe", "signe_le": "2025-09-01"}'
    last = ('{"etat": "soumis", "verificateurs": [{"nom": "Claire Martin", "qualite": "parent"}, '
            '{"nom": "Paul Durand", "qualite": "enseignant"}], "lieu": "Rouen", "signe_le": "2026-09-12"}')
    with engine.begin() as c:
        c.execute(text("INSERT INTO ad VALUES ('A', 'a')"))
        c.execute(text("INSERT INTO coop (code, name, ad_code, numbering, training) VALUES "
                       "('C', 'c', 'A', 'unique', false), ('D', 'd', 'A', 'unique', false), ('E', 'e', 'A', 'unique', true)"))
        c.execute(text("INSERT INTO exercice (id, coop_code, name, opening_bank, opening_cash, state, version) VALUES "
                       "(1, 'C', '2025-2026', 0, 0, 'soumis', 4), (2, 'C', '2026-2027', 0, 0, 'ouvert', 1), "
                       "(3, 'D', '2025-2026', 0, 0, 'soumis', 2), (4, 'E', '2025-2026', 0, 0, 'ouvert', 3)"))
        audit = ("INSERT INTO audit_log (at, actor, action, coop_code, exercice, object_type, object_id, "
                 "before, after, reason) VALUES (:at, :actor, :action, :coop, :ex, 'exercice', :oid, NULL, :after, '')")
        for at, actor, action, coop, ex, oid, after in [
                ("2025-09-02 10:00:00", "prof", "lock", "C", "2025-2026", "1", first),
                ("2025-09-03 10:00:00", "ad76", "unlock", "C", "2025-2026", "1", '{"etat": "rouvert"}'),
                ("2026-09-15 09:30:00", "tilleuls", "lock", "C", "2025-2026", "1", last),
                ("2026-09-15 09:31:00", "tilleuls", "open", "C", "2026-2027", "2", '{"banque": 0}'),
                ("2026-09-20 11:00:00", "centre", "lock", "D", "2025-2026", "3", '{"etat": "soumis"}'),
                ("2026-09-21 11:00:00", "form-1", "lock", "E", "2025-2026", "4", last),
                ("2026-09-21 12:00:00", "formateur", "training_reset", "E", "2025-2026", "E", '{"etat": "ouvert"}')]:
            c.execute(text(audit), {"at": at, "actor": actor, "action": action, "coop": coop, "ex": ex,
                                    "oid": oid, "after": after})
    upgrade(engine)
    with engine.connect() as c:
        rows = c.execute(text("SELECT id, submitted_at, submitted_by, signature_place, signed_on "
                              "FROM exercice ORDER BY id")).all()
    got = [(i, str(at)[:19] if at else None, by, place, str(on) if on else None) for i, at, by, place, on in rows]
    assert got == [(1, "2026-09-15 09:30:00", "tilleuls", "Rouen", "2026-09-12"),
                   (2, None, None, None, None),
                   (3, "2026-09-20 11:00:00", "centre", None, None),
                   (4, None, None, None, None)]
    from retkoop_widgets.services import Books
    from retkoop_widgets.services.submission import submission_info
    books = Books(engine)
    info = submission_info(books, "C", "2025-2026")
    assert [v["nom"] for v in info.verificateurs] == ["Claire Martin", "Paul Durand"]
    assert (info.submitted_by, info.place, str(info.signed_on)) == ("tilleuls", "Rouen", "2026-09-12")
    assert submission_info(books, "D", "2025-2026").verificateurs == ()
    with engine.begin() as c:
        cfg.attributes["connection"] = c
        command.downgrade(cfg, "0005")
    cols = {col["name"] for col in inspect(engine).get_columns("exercice")}
    assert "signature_place" not in cols and "signed_on" not in cols and "verificateurs" in cols
    upgrade(engine)
    with get_engine(db_url).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_0012_column_mapping_downgrade_and_upgrade(db_url):
    """0012 adds column_mapping (the spreadsheet column mappings an AD saves): one row per
    (AD, name), the AD's deletion takes them along; a saved mapping survives nothing else.
    One step down drops that table only, upgrading brings it back matching the models."""
    from datetime import datetime
    engine = get_engine(db_url)
    insp = inspect(engine)
    assert {c["name"] for c in insp.get_columns("column_mapping")} == {
        "id", "ad_code", "name", "mapping", "saved_at", "saved_by"}
    [fk] = insp.get_foreign_keys("column_mapping")
    assert fk["referred_table"] == "ad" and fk["options"].get("ondelete") == "CASCADE"
    assert [u["column_names"] for u in insp.get_unique_constraints("column_mapping")] == [["ad_code", "name"]]
    with engine.begin() as c:
        c.execute(text("INSERT INTO ad (code, name) VALUES ('AD76', 'OCCE')"))
        c.execute(text("INSERT INTO column_mapping (ad_code, name, mapping, saved_at, saved_by) "
                       "VALUES ('AD76', 'Cahier', '{}', :at, 'ad76')"), {"at": datetime(2026, 9, 1)})
    tables_before = set(insp.get_table_names())
    cfg = alembic_config(engine)
    with engine.begin() as c:
        cfg.attributes["connection"] = c
        command.downgrade(cfg, "0012-1")  # just below 0012, whatever comes after it
    assert set(inspect(engine).get_table_names()) == tables_before - {"column_mapping"}
    upgrade(engine)
    assert inspect(engine).has_table("column_mapping")
    with get_engine(db_url).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_0010_history_seen_downgrade_and_upgrade(db_url):
    """0010 adds history_seen (how far each person read a coop's history; removed with its
    coop) and the (coop_code, id) index of audit_log; the audit rows already there are
    kept and read as a history page; downgrading drops both and nothing else."""
    engine = get_engine(db_url)
    _reset(engine)
    cfg = alembic_config(engine)
    with engine.begin() as c:
        cfg.attributes["connection"] = c
        command.upgrade(cfg, "0008")
    with engine.begin() as c:
        c.execute(text("INSERT INTO ad VALUES ('A', 'a')"))
        c.execute(text("INSERT INTO coop (code, name, ad_code, numbering, training) VALUES "
                       "('C', 'c', 'A', 'unique', false)"))
        c.execute(text("INSERT INTO audit_log (at, actor, action, coop_code, exercice, object_type, object_id, "
                       "before, after, reason) VALUES ('2026-12-07 20:11:00', 'ad76', 'unlock', 'C', '2025-2026', "
                       "'exercice', '1', NULL, NULL, 'pièce 032 mal ventilée')"))
    upgrade(engine)
    insp = inspect(engine)
    assert insp.has_table("history_seen")
    assert "ix_audit_log_coop_id" in {ix["name"] for ix in insp.get_indexes("audit_log")}
    fks = insp.get_foreign_keys("history_seen")
    assert [(fk["referred_table"], fk["options"].get("ondelete")) for fk in fks] == [("coop", "CASCADE")]
    from retkoop_widgets.services import Books
    from retkoop_widgets.services.history import history
    [line] = history(Books(engine), "C").lines
    assert line.sentence == ("ad76 a rouvert le compte rendu financier soumis (exercice 2025-2026) "
                             "le 07/12/2026 à 20:11 — motif : pièce 032 mal ventilée")
    with engine.begin() as c:
        cfg.attributes["connection"] = c
        command.downgrade(cfg, "0008")
    insp = inspect(engine)
    assert not insp.has_table("history_seen")
    assert "ix_audit_log_coop_id" not in {ix["name"] for ix in insp.get_indexes("audit_log")}
    with engine.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM audit_log")).scalar_one() == 1
    upgrade(engine)
    with get_engine(db_url).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def _audit(c, coop, n=1):
    for _ in range(n):
        c.execute(text("INSERT INTO audit_log (at, actor, action, coop_code, exercice, object_type, object_id, reason) "
                       "VALUES ('2026-12-07 20:11:00', 'ad76', 'update', :c, '2025-2026', 'entry', '32', '')"),
                  {"c": coop})


def test_0011_counts_every_audited_change_per_coop_and_downgrades(db_url):
    """0011 adds coop_change, bumped by a trigger on every audit_log insert naming a coop
    (one statement of many rows counts them all), and presence; downgrading to 0008 drops
    both tables and the trigger (auditing still works), upgrading brings them back."""
    engine = get_engine(db_url)
    with engine.begin() as c:
        c.execute(text("INSERT INTO ad VALUES ('A', 'a')"))
        c.execute(text("INSERT INTO coop (code, name, ad_code, numbering, training) VALUES ('C', 'c', 'A', 'unique', false)"))
        _audit(c, "C", 2)
        _audit(c, None)
    with engine.begin() as c:  # several rows in one statement (an import's audit_many)
        c.execute(text("INSERT INTO audit_log (at, actor, action, coop_code, exercice, object_type, object_id, reason) "
                       "SELECT at, actor, action, coop_code, exercice, object_type, object_id, reason "
                       "FROM audit_log WHERE coop_code = 'C'"))
    with engine.connect() as c:
        assert c.execute(text("SELECT coop_code, version FROM coop_change")).all() == [("C", 4)]
    cfg = alembic_config(engine)
    with engine.begin() as c:
        cfg.attributes["connection"] = c
        command.downgrade(cfg, "0008")
    assert not inspect(engine).has_table("coop_change") and not inspect(engine).has_table("presence")
    with engine.begin() as c:
        _audit(c, "C")
    upgrade(engine)
    with engine.begin() as c:
        _audit(c, "C")
    with engine.connect() as c:
        assert c.execute(text("SELECT coop_code, version FROM coop_change")).all() == [("C", 1)]
        assert compare_metadata(MigrationContext.configure(c), Base.metadata) == []
