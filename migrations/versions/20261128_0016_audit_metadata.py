"""audit metadata the server owns; anonymous denials counted per address and time bucket

Revision ID: 0016
Revises: 0011
Create Date: 2026-11-28 12:00:00

`request_id` is now always the server's; a caller's X-Request-ID goes to `correlation_id`. The
client's address is the peer's unless a trusted proxy forwarded it; `peer_ip` keeps the peer's.
A 401 without a valid identity adds 1 to its (time bucket, address) row of
`audit_denial_counts` instead of writing an event: anyone can send those, as fast as they like.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER, not batch mode: on SQLite batch mode could rebuild the table and lose its triggers.
    op.add_column("audit_events", sa.Column("correlation_id", sa.String(length=64), nullable=True))
    op.add_column("audit_events", sa.Column("peer_ip", sa.String(length=45), nullable=True))
    op.create_table(
        "audit_denial_counts",
        sa.Column("bucket_start", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("client_ip", sa.String(length=45), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bucket_start", "client_ip", name=op.f("pk_audit_denial_counts")),
    )


def downgrade() -> None:
    op.drop_table("audit_denial_counts")
    op.execute("ALTER TABLE audit_events DROP COLUMN peer_ip")
    op.execute("ALTER TABLE audit_events DROP COLUMN correlation_id")
