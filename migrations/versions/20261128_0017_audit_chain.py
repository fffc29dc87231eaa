"""audit trail tamper evidence: row hashes, seals, TRUNCATE refused

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-28 13:00:00

Each audit event stores its row hash (app.audit.chain); `audit_seals` chains batches of events.
Existing events get their row hash here, with the chain key of the settings this migration runs
with (REINTEGRASI_AUDIT_KEY, or else derived from REINTEGRASI_SECRET_KEY): run it with the
production settings. Both tables refuse UPDATE and DELETE (row triggers) and, on PostgreSQL,
TRUNCATE (a statement trigger: row triggers do not fire on TRUNCATE).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("audit_events", "audit_seals")

PG_GUARDS = [
    """CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END;
    $$""",
    """CREATE TRIGGER audit_seals_append_only BEFORE UPDATE OR DELETE ON audit_seals
    FOR EACH ROW EXECUTE FUNCTION audit_append_only()""",
    *(
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"""
        for table in TABLES
    ),
]
SQLITE_GUARDS = [
    f"""CREATE TRIGGER audit_seals_no_{verb.lower()} BEFORE {verb} ON audit_seals
    BEGIN SELECT RAISE(ABORT, 'audit_seals is append-only'); END"""
    for verb in ("UPDATE", "DELETE")
]
SQLITE_EVENT_GUARDS = [
    f"""CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"""
    for verb in ("UPDATE", "DELETE")
]


def _hash_existing_events() -> None:
    """The row hash of every event written before this revision (the one UPDATE the trail allows)."""
    from app.audit.chain import HASHED, row_hash  # the settings' key, at run time
    from app.audit.models import AuditEvent

    bind = op.get_bind()
    table = AuditEvent.__table__
    rows = bind.execute(sa.select(*(table.c[name] for name in HASHED)).where(table.c.row_hash.is_(None)))
    updates = [{"event_id": row.id, "hash": row_hash(row._mapping)} for row in rows]
    if not updates:
        return
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
    else:
        op.execute("DROP TRIGGER audit_events_no_update")
    statement = (
        sa.update(table).where(table.c.id == sa.bindparam("event_id")).values(row_hash=sa.bindparam("hash"))
    )
    bind.execute(statement, updates)
    if postgres:
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
    else:
        op.execute(SQLITE_EVENT_GUARDS[0])


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("row_hash", sa.String(length=64), nullable=True))
    op.create_table(
        "audit_seals",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("first_event_id", sa.Uuid(), nullable=False),
        sa.Column("last_event_id", sa.Uuid(), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("events_digest", sa.String(length=64), nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("seal_hash", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_seals")),
        sa.UniqueConstraint("last_event_id", name=op.f("uq_audit_seals_last_event_id")),
    )
    _hash_existing_events()
    for statement in PG_GUARDS if op.get_bind().dialect.name == "postgresql" else SQLITE_GUARDS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute("DROP TRIGGER audit_seals_append_only ON audit_seals")
        op.execute("DROP FUNCTION audit_append_only()")
    op.drop_table("audit_seals")  # its SQLite triggers go with it
    op.execute("ALTER TABLE audit_events DROP COLUMN row_hash")
