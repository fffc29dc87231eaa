"""api client source networks: a client may be bound to the addresses it calls from

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("api_clients", sa.Column("allowed_networks", sa.String(length=2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_clients") as batch:
        batch.drop_column("allowed_networks")
