"""census rounds: who was counted present or absent at a site, round by round

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 21:04:21.461181
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "census_rounds",
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_census_rounds_meeting_id_meetings")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_census_rounds_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_census_rounds")),
        sa.UniqueConstraint("site_id", "name", name="uq_census_rounds_site_name"),
    )
    with op.batch_alter_table("census_rounds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_census_rounds_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index("ix_census_rounds_site_held", ["site_id", "held_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_census_rounds_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "census_observations",
        sa.Column("census_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("presence", sa.String(length=10), nullable=False),
        sa.Column("observed_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["census_id"],
            ["census_rounds.id"],
            name=op.f("fk_census_observations_census_id_census_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_census_observations_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("census_id", "person_id", name=op.f("pk_census_observations")),
    )
    with op.batch_alter_table("census_observations", schema=None) as batch_op:
        batch_op.create_index("ix_census_observations_person", ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("census_observations", schema=None) as batch_op:
        batch_op.drop_index("ix_census_observations_person")

    op.drop_table("census_observations")
    with op.batch_alter_table("census_rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_census_rounds_updated_at"))
        batch_op.drop_index("ix_census_rounds_site_held")
        batch_op.drop_index(batch_op.f("ix_census_rounds_meeting_id"))

    op.drop_table("census_rounds")
