"""idempotency keys keep no response body; pending requests of ended referrals are withdrawn

Revision ID: 0013
Revises: 0011
Create Date: 2026-11-28 12:00:00

A replay now reads the resource again through its GET (issue 13, finding 1): the stored bodies
(a full NIK, a webhook's or API client's secret) and headers are dropped, and with them every
body stored so far. A key that answered with a Location keeps it as the path a replay reads; a
key without one (a 200 answer) is deleted, its POST may then run again. Downgrade restores the
two columns, empty.

A partner's pending change requests of a person whose referral to its agency has ended are
withdrawn, as ending a referral now does (finding 6). Downgrade leaves them withdrawn.
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = sa.table(
    "idempotency_keys",
    sa.column("owner", sa.String()),
    sa.column("key", sa.String()),
    sa.column("response_headers", sa.JSON()),
    sa.column("location", sa.String()),
    sa.column("resource_id", sa.Uuid()),
)


def _resource_id(location: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(location.rstrip("/").rsplit("/", 1)[-1])
    except ValueError:
        return None


def _keep_locations() -> None:
    """Each stored answer's Location becomes the path its replays read; the others go."""
    bind = op.get_bind()
    for owner, key, headers in bind.execute(sa.select(KEYS.c.owner, KEYS.c.key, KEYS.c.response_headers)):
        location = (headers or {}).get("Location")
        row = (KEYS.c.owner == owner) & (KEYS.c.key == key)
        if location:
            bind.execute(
                KEYS.update().where(row).values(location=location, resource_id=_resource_id(location))
            )
        else:
            bind.execute(KEYS.delete().where(row))


def _withdraw_orphaned_requests() -> None:
    op.execute(
        """
        UPDATE change_requests SET status = 'withdrawn',
               decision_reason = 'Withdrawn: the referral ended.',
               decided_at = CURRENT_TIMESTAMP, version = version + 1
        WHERE status = 'pending' AND NOT EXISTS (
            SELECT 1 FROM referrals r
            WHERE r.person_id = change_requests.person_id
              AND r.agency_id = change_requests.agency_id
              AND r.ended_at IS NULL)
        """
    )


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("location", sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column("resource_id", sa.Uuid(), nullable=True))
    _keep_locations()
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_column("response_headers")
        batch_op.drop_column("response_body")
    _withdraw_orphaned_requests()


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("response_body", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("response_headers", sa.JSON(), nullable=True))
        batch_op.drop_column("resource_id")
        batch_op.drop_column("location")
    # The old code replays a key's stored body: with none stored, a kept key would replay nothing.
    op.execute("DELETE FROM idempotency_keys")
