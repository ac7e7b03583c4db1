"""deleted_piece: the pièces deleted from an exercice, so that their numbers are never
handed out again and the cahier shows them struck through (« pièce 042 supprimée le … par
… (motif) »): the paper archive and the books keep matching.

Why a table of deleted numbers rather than a bare counter: the counter is the highest
number among live and deleted pièces (so it can never go back), and the same rows say
who deleted what, when and why, which the cahier prints. Filled from the audit log's
``delete`` records of entries for the deletions made before this migration.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deleted_piece",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exercice_id", sa.Integer(), nullable=False),
        sa.Column("piece", sa.String(length=20), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=True),
        sa.Column("libelle", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_by", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["exercice_id"], ["exercice.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("exercice_id", "piece", name="uq_deleted_piece"),
    )
    _fill_from_audit()


def _fill_from_audit() -> None:
    """One row per entry deleted before this migration (the audit keeps its pièce, date,
    libellé and postings), unless a live entry has taken its number since."""
    import json
    from datetime import date, datetime
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT a.at, a.actor, a.coop_code, a.exercice, a.before, a.reason FROM audit_log a "
        "WHERE a.action = 'delete' AND a.object_type = 'entry' ORDER BY a.id")).all()
    exercices = {(c, n): i for i, c, n in bind.execute(sa.text("SELECT id, coop_code, name FROM exercice"))}
    taken = {(x, p) for x, p in bind.execute(sa.text("SELECT exercice_id, piece FROM entry"))}
    table = sa.table("deleted_piece", sa.column("exercice_id"), sa.column("piece"), sa.column("entry_date"),
                     sa.column("libelle"), sa.column("amount"), sa.column("deleted_at"),
                     sa.column("deleted_by"), sa.column("reason"))
    resets = {}  # coop -> time of its last training sandbox reset (contents deleted, numbering anew)
    for at, coop in bind.execute(sa.text("SELECT at, coop_code FROM audit_log WHERE action = 'training_reset'")):
        resets[coop] = max(resets.get(coop, at), at)
    out, seen = [], set()
    for at, actor, coop, name, before, reason in rows:
        try:
            before = json.loads(before) if isinstance(before, str) else before
            if not isinstance(before, dict) or (coop in resets and at <= resets[coop]):
                continue
            ex_id = exercices.get((coop, name))
            piece = str(before.get("piece") or "")[:20]
            if ex_id is None or not piece or (ex_id, piece) in taken or (ex_id, piece) in seen:
                continue
            postings = [p for p in before.get("ecritures", []) if isinstance(p, (list, tuple)) and len(p) >= 2]
            bank = sum(int(a) for acc, a, *_ in postings if str(acc) == "512")
            cash = sum(int(a) for acc, a, *_ in postings if str(acc) == "530")
            charges = sum(int(a) for acc, a, *_ in postings if str(acc) not in ("512", "530"))
            # the entry's amount: what came in or went out; for a transfer (no ventilation), what moved
            amount = abs(bank + cash) if charges else max(abs(bank), abs(cash))
            day = before.get("date")
            out.append({"exercice_id": ex_id, "piece": piece,
                        "entry_date": date.fromisoformat(day) if day else None,
                        "libelle": str(before.get("libelle") or "")[:200], "amount": amount,
                        "deleted_at": at if isinstance(at, datetime) else datetime.fromisoformat(str(at)),
                        "deleted_by": str(actor or "")[:100], "reason": reason or ""})
            seen.add((ex_id, piece))
        except (TypeError, ValueError, AttributeError):  # an audit row of another shape: not ours to guess
            continue
    if out:
        op.bulk_insert(table, out)


def downgrade() -> None:
    op.drop_table("deleted_piece")
