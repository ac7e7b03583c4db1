"""exercice: the submission's signature block; submission fields filled from the audit log

Until now ``submission_info`` searched the exercice's lock record among the coop's newest
1,000 audit records: a large import or a year of pointage later, a submitted CRF lost its
date of submission, vérificateurs and place of signature. The exercice row now keeps
them all: ``submitted_at``, ``submitted_by``, ``verificateurs`` (columns since 0001,
written but never read) and the new ``signature_place`` and ``signed_on``. This
migration fills all five from each exercice's LAST lock record, unless a training reset
of the sandbox came after it (the audit log stays the history; the row is the source
from now on).

Revision ID: 0006
Revises: 0005
"""
from datetime import date

from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

audit = sa.table("audit_log", sa.column("id", sa.Integer), sa.column("at", sa.DateTime),
                 sa.column("actor", sa.String), sa.column("action", sa.String), sa.column("coop_code", sa.String),
                 sa.column("exercice", sa.String), sa.column("object_type", sa.String),
                 sa.column("after", sa.JSON))
exercice = sa.table("exercice", sa.column("coop_code", sa.String), sa.column("name", sa.String),
                    sa.column("submitted_at", sa.DateTime), sa.column("submitted_by", sa.String),
                    sa.column("verificateurs", sa.JSON), sa.column("signature_place", sa.String),
                    sa.column("signed_on", sa.Date))


def upgrade() -> None:
    with op.batch_alter_table("exercice") as batch:
        batch.add_column(sa.Column("signature_place", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("signed_on", sa.Date(), nullable=True))
    conn = op.get_bind()
    last: dict[tuple[str, str], tuple] = {}
    for r in conn.execute(sa.select(audit.c.coop_code, audit.c.exercice, audit.c.at, audit.c.actor, audit.c.after,
                                    audit.c.action)
                          .where(audit.c.action.in_(["lock", "training_reset"]), audit.c.coop_code.is_not(None))
                          .order_by(audit.c.id)):
        if r.action == "training_reset":  # a reset sandbox forgot its submissions (and its later exercices)
            last = {k: v for k, v in last.items() if k[0] != r.coop_code}
        elif r.exercice is not None:
            last[(r.coop_code, r.exercice)] = r  # by id: the last one wins
    for (coop, name), r in last.items():
        after = r.after or {}
        signed = after.get("signe_le")
        conn.execute(exercice.update().where(exercice.c.coop_code == coop, exercice.c.name == name).values(
            submitted_at=r.at, submitted_by=r.actor, verificateurs=list(after.get("verificateurs") or []),
            signature_place=(after.get("lieu") or None), signed_on=date.fromisoformat(signed) if signed else None))


def downgrade() -> None:
    with op.batch_alter_table("exercice") as batch:
        batch.drop_column("signed_on")
        batch.drop_column("signature_place")
