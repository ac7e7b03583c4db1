"""history_seen: how far each person has read a coop's history, so the dashboard tells the
teacher, once, what the AD or a formateur changed in her books (« L'AD76 a modifié la
pièce 032 le 07/12 à 20:11 : motif … ») and the reopening of a CRF.

Why a table rather than « seen » records in the audit log: reading is not a change of the
books, the audit log stays the list of changes (and its size does not grow with page
views); one row per (person, coop) holds the id of the last audit record they
acknowledged. Also an index on audit_log (coop_code, id): the history is read by coop,
newest first, one page at a time, and the notice's check (rows after an id) runs on a
timer in every open teacher dashboard.

Revision ID: 0010
Revises: 0009 (chained to 0008 on the ``hist`` branch until the lead relinks it)
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0008"  # (no 0009: numbers were handed out before the work; none was needed)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "history_seen",
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("coop_code", sa.String(length=32), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["coop_code"], ["coop.code"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("login", "coop_code"),
    )
    op.create_index("ix_audit_log_coop_id", "audit_log", ["coop_code", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_coop_id", table_name="audit_log")
    op.drop_table("history_seen")
