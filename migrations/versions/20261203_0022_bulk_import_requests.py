"""bulk requests: import requests beside export requests

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 08:00:00

`export_requests` becomes `bulk_requests`, one table for both kinds of bulk access that touch NIK
and wait for a second staff approval: `kind` ("export" for the existing rows, or "import"), and for
an import its `site_id`, the `file_sha256` of the file approved and its announced `rows`.
`downloaded_at` becomes `claimed_at` (downloaded, or imported). Downgrading drops the import
requests (an export table cannot hold them) and restores the export table as it was.
Numbered 0022 but applied after 0023 (client networks), which reached main first.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXED = ("requester_id", "status")


def _rename(old: str, new: str, claimed_old: str, claimed_new: str) -> None:
    for column in INDEXED:
        op.drop_index(f"ix_{old}_{column}", table_name=old)
    op.rename_table(old, new)
    if op.get_bind().dialect.name == "postgresql":  # SQLite keeps the name inside the table's DDL
        op.execute(sa.text(f"ALTER TABLE {new} RENAME CONSTRAINT pk_{old} TO pk_{new}"))
    with op.batch_alter_table(new, schema=None) as batch_op:
        batch_op.alter_column(claimed_old, new_column_name=claimed_new)
    for column in INDEXED:
        op.create_index(f"ix_{new}_{column}", new, [column], unique=False)


def upgrade() -> None:
    _rename("export_requests", "bulk_requests", "downloaded_at", "claimed_at")
    with op.batch_alter_table("bulk_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=10), nullable=False, server_default="export"))
        batch_op.add_column(sa.Column("site_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("file_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("rows", sa.Integer(), nullable=True))
    with op.batch_alter_table("bulk_requests", schema=None) as batch_op:
        batch_op.alter_column("kind", server_default=None)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM bulk_requests WHERE kind <> 'export'"))
    with op.batch_alter_table("bulk_requests", schema=None) as batch_op:
        batch_op.drop_column("rows")
        batch_op.drop_column("file_sha256")
        batch_op.drop_column("site_id")
        batch_op.drop_column("kind")
    _rename("bulk_requests", "export_requests", "claimed_at", "downloaded_at")
