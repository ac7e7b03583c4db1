"""entry.bank and entry.cash: each entry's treasury movements, for fast scans

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("entry") as batch:
        batch.add_column(sa.Column("bank", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("cash", sa.BigInteger(), nullable=False, server_default="0"))
    for column, account in (("bank", "512"), ("cash", "530")):
        op.execute(f"UPDATE entry SET {column} = (SELECT COALESCE(SUM(p.amount), 0) FROM posting p "
                   f"WHERE p.entry_id = entry.id AND p.account = '{account}')")


def downgrade() -> None:
    with op.batch_alter_table("entry") as batch:
        batch.drop_column("cash")
        batch.drop_column("bank")
