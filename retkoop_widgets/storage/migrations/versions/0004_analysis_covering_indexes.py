"""covering indexes for the year-long scans (AD analysis, cash and pointage alerts)

* ``ix_entry_exercice_scan`` (exercice_id, date, id, bank, cash, pointed, statement_date)
  replaces ``ix_entry_exercice_date`` (exercice_id, date): same leading order (so the
  ledger's ``ORDER BY date, id`` per exercice still needs no sort), and it holds every
  column the per-exercice scans read, so they never visit the wide ``entry`` rows;
* ``ix_entry_cash_lines`` (exercice_id, date, cash, bank) WHERE cash <> 0: the cash lines
  only (about a third of the entries), in date order: the cash balance window runs in
  index order and "next deposit on or after this receipt" is one index seek;
* ``ix_posting_ventilation`` (entry_id, account, amount) WHERE account NOT IN ('512', '530'):
  the charge/produit postings only (about half of them), covering the per-account sums.

Measured in docs/analysis.md.

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

CASH_LINES = "cash <> 0"
VENTILATION = "account NOT IN ('512', '530')"


def upgrade() -> None:
    op.create_index("ix_entry_exercice_scan", "entry",
                    ["exercice_id", "date", "id", "bank", "cash", "pointed", "statement_date"])
    op.drop_index("ix_entry_exercice_date", table_name="entry")
    op.create_index("ix_entry_cash_lines", "entry", ["exercice_id", "date", "cash", "bank"],
                    sqlite_where=sa.text(CASH_LINES), postgresql_where=sa.text(CASH_LINES))
    op.create_index("ix_posting_ventilation", "posting", ["entry_id", "account", "amount"],
                    sqlite_where=sa.text(VENTILATION), postgresql_where=sa.text(VENTILATION))


def downgrade() -> None:
    op.drop_index("ix_posting_ventilation", table_name="posting")
    op.drop_index("ix_entry_cash_lines", table_name="entry")
    op.create_index("ix_entry_exercice_date", "entry", ["exercice_id", "date"])
    op.drop_index("ix_entry_exercice_scan", table_name="entry")
