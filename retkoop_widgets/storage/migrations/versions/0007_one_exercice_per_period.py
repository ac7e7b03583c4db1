"""exercice: one name per school year, so at most one exercice per coop and period

Until now ``exercice open C 2025/2026`` was accepted beside ``2025-2026`` (and, on SQLite,
`` 2025-2026 `` or ``2025 - 2026``): two exercices for one year, and closing both carried
the wrong opening balance into the next one. The domain now normalises every name
(``domain.exercice.normalise_exercice_name``); this migration

* rewrites the names already stored (exercice rows and their audit records) to the
  normalised form ``2025-2026``; if one coop already has two exercices for the same year,
  it stops and names them (merging two sets of books is a decision for a person: move the
  entries of one into the other, then delete the empty one, and run ``retkoop init`` again);
* adds the constraint ``ck_exercice_name``: a name is exactly ``AAAA-BBBB`` with
  BBBB = AAAA + 1. With the existing unique (coop_code, name) the database itself then
  holds at most one exercice per coop and period. PostgreSQL gets it as a CHECK
  constraint; SQLite cannot add a CHECK to an existing table without rebuilding it (and a
  rebuild of a table that entries reference fails under ``PRAGMA foreign_keys=ON``, which
  cannot be switched off inside the migration's transaction), so SQLite gets the same
  predicate as two triggers (insert, update of name).

Revision ID: 0007
Revises: 0006
"""
import re

from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The predicate, portable (no regex): 9 characters, a dash in 5th place, digits elsewhere,
# second year = first + 1. The CASE keeps the CASTs away from non-digit text (PostgreSQL
# would raise instead of answering false).
_DIGITS_ONLY = "name"
for _d in "0123456789":
    _DIGITS_ONLY = f"replace({_DIGITS_ONLY}, '{_d}', '')"
CANONICAL = (f"CASE WHEN length(name) = 9 AND substr(name, 5, 1) = '-' AND {_DIGITS_ONLY} = '-' "
             "THEN CAST(substr(name, 6, 4) AS INTEGER) = CAST(substr(name, 1, 4) AS INTEGER) + 1 "
             "ELSE 1 = 0 END")

_TYPED = re.compile(r"\s*([0-9]{4}|[0-9]{2})\s*[-/\u2013\u2014_]\s*([0-9]{4}|[0-9]{2})\s*")


def _normalised(name: str) -> str | None:
    """``normalise_exercice_name`` frozen as of this migration (a migration must not change
    when the domain does); None for a name that is not a school year at all."""
    m = _TYPED.fullmatch(name or "")
    if not m:
        return None
    first, second = (int(g) + 2000 if len(g) == 2 else int(g) for g in m.groups())
    return f"{first}-{second}" if second == first + 1 else None


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, coop_code, name FROM exercice ORDER BY coop_code, id")).all()
    seen: dict[tuple[str, str], tuple[int, str]] = {}
    renames: list[tuple[int, str, str, str]] = []
    problems: list[str] = []
    for xid, coop, name in rows:
        new = _normalised(name)
        if new is None:
            problems.append(f"la coopérative {coop} a un exercice nommé « {name} » (n° {xid}), qui n'est pas "
                            "une année scolaire (attendu 2025-2026) : renommez-le")
            continue
        if (coop, new) in seen:
            other_id, other_name = seen[(coop, new)]
            problems.append(f"la coopérative {coop} a deux exercices pour {new} : « {other_name} » (n° {other_id}) "
                            f"et « {name} » (n° {xid}) : regroupez leurs écritures dans l'un, supprimez l'autre")
            continue
        seen[(coop, new)] = (xid, name)
        if new != name:
            renames.append((xid, coop, name, new))
    if problems:
        raise RuntimeError("migration 0007 (un seul exercice par année) impossible, rien n'a été modifié :\n"
                           + "\n".join(f"  - {p}" for p in problems)
                           + "\npuis relancez « retkoop init »")
    for xid, coop, old, new in renames:
        conn.execute(sa.text("UPDATE exercice SET name = :new WHERE id = :id"), {"new": new, "id": xid})
        conn.execute(sa.text("UPDATE audit_log SET exercice = :new WHERE coop_code = :coop AND exercice = :old"),
                     {"new": new, "coop": coop, "old": old})
    if conn.dialect.name == "sqlite":
        for event, when in (("INSERT", "INSERT"), ("UPDATE", "UPDATE OF name")):
            op.execute(f"CREATE TRIGGER ck_exercice_name_{event.lower()} BEFORE {when} ON exercice "
                       f"WHEN NOT ({CANONICAL.replace('name', 'NEW.name')}) "
                       "BEGIN SELECT RAISE(ABORT, 'ck_exercice_name: exercice name must be AAAA-BBBB'); END")
    else:
        op.create_check_constraint("ck_exercice_name", "exercice", CANONICAL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS ck_exercice_name_insert")
        op.execute("DROP TRIGGER IF EXISTS ck_exercice_name_update")
    else:
        op.drop_constraint("ck_exercice_name", "exercice", type_="check")
