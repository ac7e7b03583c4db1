"""Alembic migrations: the models match the migrations, and upgrades keep the data."""
from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

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
