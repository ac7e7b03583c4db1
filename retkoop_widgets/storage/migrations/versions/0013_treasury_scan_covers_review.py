"""``ix_entry_exercice_scan`` also covers what the CRF's balance walk and review read; the
redundant ``ix_entry_exercice_id`` goes

(exercice_id, date, id, bank, cash, pointed, statement_date) becomes (exercice_id, date, id,
bank, cash, pointed, statement_date, piece, cheque, changed_after_pointage): the same leading
columns (the ledger's ``ORDER BY date, id`` per exercice needs no sort, the AD analysis' scans
are unchanged), plus the three columns ``Repository.treasury_movements_many`` (each entry's
date, pièce, id, bank, cash) and the filter of ``treasury_details_many`` (cheque,
changed_after_pointage) read. Without ``piece`` every entry of a CRF was a visit to the wide
``entry`` row: at the national size, where a coop's entries are scattered among every other
coop's (typed through the year), an AD overview of 650 coops read ~100,000 heap pages for
that one statement (bench/national.py, docs/performance.md); now it is an index-only scan.

``ix_entry_exercice_id`` (exercice_id), from 0001, is dropped: the covering index leads with
the same column, so it serves every lookup by exercice (and the foreign key) as well, while
its presence misled PostgreSQL at the national size: for an AD's ``exercice_id IN (…500
ids…)`` the planner preferred the narrow index and then read every entry's heap row
(102,000 pages, 0.35–0.65 s) to the covering index-only scan (3,400 pages).

Revision ID: 0013
Revises: 0012 (temporarily chained to 0008 in the ``nat`` branch; the lead relinks it)
"""
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BEFORE = ["exercice_id", "date", "id", "bank", "cash", "pointed", "statement_date"]
AFTER = BEFORE + ["piece", "cheque", "changed_after_pointage"]


def upgrade() -> None:
    op.drop_index("ix_entry_exercice_scan", table_name="entry")
    op.create_index("ix_entry_exercice_scan", "entry", AFTER)
    op.drop_index("ix_entry_exercice_id", table_name="entry")


def downgrade() -> None:
    op.create_index("ix_entry_exercice_id", "entry", ["exercice_id"])
    op.drop_index("ix_entry_exercice_scan", table_name="entry")
    op.create_index("ix_entry_exercice_scan", "entry", BEFORE)
