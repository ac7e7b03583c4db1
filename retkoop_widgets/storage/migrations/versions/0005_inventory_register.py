"""durable_good: the inventory register of durable goods (registre d'inventaire)

One row per line of the register, owned by the coop (goods outlive exercices: the
acquisition exercice is derived from ``acquired_on``), optionally linked to the expense
entry on account 68 that bought it (``ON DELETE SET NULL``: deleting the entry keeps
the good, which then shows without a pièce in the register-vs-68 check). See
``docs/inventory.md``.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "durable_good",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coop_code", sa.String(length=32), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("designation", sa.String(length=200), nullable=False),
        sa.Column("acquired_on", sa.Date(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=100), nullable=False),
        sa.Column("disposed_on", sa.Date(), nullable=True),
        sa.Column("disposal_reason", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("value > 0", name="ck_durable_good_value"),
        sa.CheckConstraint("quantity >= 1", name="ck_durable_good_quantity"),
        sa.ForeignKeyConstraint(["coop_code"], ["coop.code"]),
        sa.ForeignKeyConstraint(["entry_id"], ["entry.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("durable_good") as batch:
        batch.create_index("ix_durable_good_coop_acquired", ["coop_code", "acquired_on"], unique=False)
        batch.create_index(batch.f("ix_durable_good_entry_id"), ["entry_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("durable_good") as batch:
        batch.drop_index(batch.f("ix_durable_good_entry_id"))
        batch.drop_index("ix_durable_good_coop_acquired")
    op.drop_table("durable_good")
