"""column_mapping: the spreadsheet column mappings an AD saves for its coops' imports
(« Reprendre un cahier tableur », ``retkoop import … --enregistrer-colonnes NOM``).

Why in the database and not a JSON file: the AD prepares the mapping of its own
spreadsheet cahier once, and every coop's import (dashboard or CLI, on any machine)
offers it; a file on one teacher's disk reached nobody else. The mapping is stored as
its JSON (``io.spreadsheet.Mapping.to_json``, the format a file has too), one row per
(AD, name), replaced when saved again under the same name.

Revision ID: 0012
Revises: 0011 (chained to 0008 in the ``cont`` branch until 0009–0011 are merged)
"""
from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "column_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ad_code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("mapping", sa.Text(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.Column("saved_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["ad_code"], ["ad.code"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ad_code", "name", name="uq_column_mapping"),
    )


def downgrade() -> None:
    op.drop_table("column_mapping")
