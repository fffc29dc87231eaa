"""sign-in throttles, revocation epochs, export requests and read volumes

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 12:30:00

`login_throttles` (atomic backoff per account, address, and account at an address) replaces
`login_failures`, whose rows are only a minute's worth of failures and are dropped.
`tokens_valid_after` on users, API clients and agencies: tokens issued before it are dead.
`export_requests` hold exports with plain NIK until a second staff member approves them;
`read_volumes` count the persons each account reads per hour.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EPOCH_TABLES = ("users", "api_clients", "agencies")


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("delay_seconds", sa.Float(), nullable=False),
        sa.Column("last_at", sa.Float(), nullable=False),
        sa.Column("blocked_until", sa.Float(), nullable=False),
        sa.Column("attempt", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttles")),
    )
    op.create_index(op.f("ix_login_throttles_last_at"), "login_throttles", ["last_at"], unique=False)
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failures_subject_at")
    op.drop_table("login_failures")

    for table in EPOCH_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("tokens_valid_after", app.db.UTCDateTime(timezone=True), nullable=True)
            )

    op.create_table(
        "export_requests",
        sa.Column("requester_kind", sa.String(length=10), nullable=False),
        sa.Column("requester_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("include_nik", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("approver_id", sa.Uuid(), nullable=True),
        sa.Column("approved_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("downloaded_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_requests")),
    )
    op.create_index(
        op.f("ix_export_requests_requester_id"), "export_requests", ["requester_id"], unique=False
    )
    op.create_index(op.f("ix_export_requests_status"), "export_requests", ["status"], unique=False)

    op.create_table(
        "read_volumes",
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("actor_id", "hour", name=op.f("pk_read_volumes")),
    )


def downgrade() -> None:
    op.drop_table("read_volumes")
    op.drop_index(op.f("ix_export_requests_status"), table_name="export_requests")
    op.drop_index(op.f("ix_export_requests_requester_id"), table_name="export_requests")
    op.drop_table("export_requests")
    for table in EPOCH_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("tokens_valid_after")
    op.create_table(
        "login_failures",
        sa.Column("subject_digest", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index("ix_login_failures_subject_at", ["subject_digest", "occurred_at"], unique=False)
    op.drop_index(op.f("ix_login_throttles_last_at"), table_name="login_throttles")
    op.drop_table("login_throttles")
