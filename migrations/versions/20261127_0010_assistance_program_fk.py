"""assistance records: program_id references programs

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 23:50:00

Migration 0006 (assistance records) came before 0007 (programs), so the reference was checked by
the service only. Existing rows were checked the same way, so the constraint holds for them.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "fk_assistance_records_program_id_programs"


def upgrade() -> None:
    with op.batch_alter_table("assistance_records", schema=None) as batch_op:
        batch_op.create_foreign_key(NAME, "programs", ["program_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("assistance_records", schema=None) as batch_op:
        batch_op.drop_constraint(NAME, type_="foreignkey")
