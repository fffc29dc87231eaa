"""meetings: meetings, participants, agenda items, action items and their change history

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 21:01:34.657510
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meetings",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("starts_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("location", sa.String(length=500), nullable=True),
        sa.Column("organizer_agency_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organizer_agency_id"], ["agencies.id"], name=op.f("fk_meetings_organizer_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_meetings_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meetings_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_meetings_organizer_agency_id"), ["organizer_agency_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_meetings_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meetings_starts_at"), ["starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_meetings_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_meetings_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "meeting_agenda_items",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_agenda_items_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_agenda_items")),
        sa.UniqueConstraint("meeting_id", "number", name="uq_meeting_agenda_items_number"),
    )
    with op.batch_alter_table("meeting_agenda_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_agenda_items_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "meeting_changes",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("actor_kind", sa.String(length=10), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_changes_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_changes")),
    )
    with op.batch_alter_table("meeting_changes", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_changes_meeting", ["meeting_id", "id"], unique=False)

    op.create_table(
        "meeting_participants",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("response", sa.String(length=20), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=True),
        sa.Column("representative_name", sa.String(length=200), nullable=True),
        sa.Column("representative_title", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_meeting_participants_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_participants_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_participants")),
        sa.UniqueConstraint("meeting_id", "agency_id", name="uq_meeting_participants_agency"),
    )
    with op.batch_alter_table("meeting_participants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_participants_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_participants_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "meeting_action_items",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("agenda_item_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("assignee_agency_id", sa.Uuid(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("completed_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["meeting_agenda_items.id"],
            name=op.f("fk_meeting_action_items_agenda_item_id_meeting_agenda_items"),
        ),
        sa.ForeignKeyConstraint(
            ["assignee_agency_id"],
            ["agencies.id"],
            name=op.f("fk_meeting_action_items_assignee_agency_id_agencies"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_action_items_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_action_items")),
    )
    with op.batch_alter_table("meeting_action_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_action_items_assignee_agency_id"), ["assignee_agency_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_meeting_action_items_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index("ix_meeting_action_items_status_due", ["status", "due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_action_items_updated_at"), ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("meeting_action_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_action_items_updated_at"))
        batch_op.drop_index("ix_meeting_action_items_status_due")
        batch_op.drop_index(batch_op.f("ix_meeting_action_items_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_action_items_assignee_agency_id"))

    op.drop_table("meeting_action_items")
    with op.batch_alter_table("meeting_participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_participants_updated_at"))
        batch_op.drop_index(batch_op.f("ix_meeting_participants_agency_id"))

    op.drop_table("meeting_participants")
    with op.batch_alter_table("meeting_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_changes_meeting")

    op.drop_table("meeting_changes")
    with op.batch_alter_table("meeting_agenda_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_agenda_items_updated_at"))

    op.drop_table("meeting_agenda_items")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meetings_updated_at"))
        batch_op.drop_index(batch_op.f("ix_meetings_status"))
        batch_op.drop_index(batch_op.f("ix_meetings_starts_at"))
        batch_op.drop_index(batch_op.f("ix_meetings_site_id"))
        batch_op.drop_index(batch_op.f("ix_meetings_organizer_agency_id"))
        batch_op.drop_index(batch_op.f("ix_meetings_kind"))

    op.drop_table("meetings")
