"""coop_change and presence: what two dashboards open on the same coop need to see each
other live (docs/dashboard.md, « Travailler à plusieurs »).

* ``coop_change``: one row per coop, ``version`` bumped by a database trigger on every
  ``audit_log`` insert naming the coop, inside the writing transaction. Every change is
  audited (the guard's ``w.audit``, imports' ``audit_many``, the CLI…), so the counter
  moves with every change, whoever wrote it, and it moves in commit order (the row is
  locked until the writer commits) — unlike ``max(audit_log.id)``, whose ids PostgreSQL
  hands out at insert time, not at commit. A dashboard compares one integer, read by
  primary key, to know whether to re-read the books.
* On PostgreSQL the same trigger (one per statement, over the inserted rows) also sends
  ``pg_notify('retkoop_change', coop)``: delivered at commit, so a listening kernel
  refreshes at once instead of polling.
* ``presence``: one heartbeat row per open dashboard (a random session id), expiring
  when its ``seen_at`` is older than a minute; nothing of the books, never audited.

Revision ID: 0011
Revises: 0010 (chained to 0008 in the ``live`` branch; the lead relinks it at merge)
"""
from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SQLITE_TRIGGER = """
CREATE TRIGGER trg_audit_coop_change AFTER INSERT ON audit_log
WHEN NEW.coop_code IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO coop_change (coop_code, version) VALUES (NEW.coop_code, 0);
  UPDATE coop_change SET version = version + 1 WHERE coop_code = NEW.coop_code;
END
"""

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION retkoop_coop_changed() RETURNS trigger AS $$
BEGIN
  INSERT INTO coop_change AS c (coop_code, version)
    SELECT coop_code, count(*) FROM new_rows WHERE coop_code IS NOT NULL
    GROUP BY coop_code ORDER BY coop_code
  ON CONFLICT (coop_code) DO UPDATE SET version = c.version + EXCLUDED.version;
  PERFORM pg_notify('retkoop_change', s.coop_code)
    FROM (SELECT DISTINCT coop_code FROM new_rows WHERE coop_code IS NOT NULL) s;
  RETURN NULL;
END $$ LANGUAGE plpgsql
"""

PG_TRIGGER = """
CREATE TRIGGER trg_audit_coop_change AFTER INSERT ON audit_log
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION retkoop_coop_changed()
"""


def upgrade() -> None:
    op.create_table(
        "coop_change",
        sa.Column("coop_code", sa.String(length=32), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("coop_code"),
    )
    op.create_table(
        "presence",
        sa.Column("session", sa.String(length=32), nullable=False),
        sa.Column("coop_code", sa.String(length=32), nullable=False),
        sa.Column("login", sa.String(length=100), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("session"),
    )
    op.create_index("ix_presence_coop_seen", "presence", ["coop_code", "seen_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS trg_audit_coop_change ON audit_log"
               if op.get_bind().dialect.name == "postgresql" else "DROP TRIGGER IF EXISTS trg_audit_coop_change")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS retkoop_coop_changed()")
    op.drop_index("ix_presence_coop_seen", table_name="presence")
    op.drop_table("presence")
    op.drop_table("coop_change")
