"""mfa enrolment codes: a password alone no longer enrols a second factor

A started, unconfirmed enrolment was made with the password alone: whoever started it may hold
its secret. Upgrading removes such enrolments (their users need an admin's enrolment code now);
downgrading cannot bring them back, and nothing needs them.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mfa_enrolment_codes",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_mfa_enrolment_codes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_mfa_enrolment_codes")),
    )
    op.execute(sa.text("DELETE FROM mfa_factors WHERE confirmed_at IS NULL"))


def downgrade() -> None:
    op.drop_table("mfa_enrolment_codes")
