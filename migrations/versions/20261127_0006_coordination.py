"""coordination: origin-region cases, correspondence, repatriation batches and their members, assistance

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 21:13:25.072061
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coordinations",
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=5), nullable=False),
        sa.Column("counterpart_agency_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["counterpart_agency_id"],
            ["agencies.id"],
            name=op.f("fk_coordinations_counterpart_agency_id_agencies"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_coordinations_region_code_regions")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_coordinations_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coordinations")),
        sa.UniqueConstraint("site_id", "region_code", name="uq_coordinations_site_region"),
    )
    with op.batch_alter_table("coordinations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coordinations_counterpart_agency_id"), ["counterpart_agency_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_coordinations_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_coordinations_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_coordinations_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "coordination_correspondence",
        sa.Column("coordination_id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("reference_number", sa.String(length=100), nullable=True),
        sa.Column("dated_on", sa.Date(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["coordination_id"],
            ["coordinations.id"],
            name=op.f("fk_coordination_correspondence_coordination_id_coordinations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coordination_correspondence")),
    )
    with op.batch_alter_table("coordination_correspondence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coordination_correspondence_coordination_id"), ["coordination_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_coordination_correspondence_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "repatriations",
        sa.Column("coordination_id", sa.Uuid(), nullable=False),
        sa.Column("leg", sa.String(length=30), nullable=False),
        sa.Column("planned_departure_on", sa.Date(), nullable=True),
        sa.Column("departed_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("arrived_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("transport_mode", sa.String(length=10), nullable=True),
        sa.Column("carrier", sa.String(length=200), nullable=True),
        sa.Column("booking_reference", sa.String(length=100), nullable=True),
        sa.Column("escort_agency_id", sa.Uuid(), nullable=True),
        sa.Column("cost_amount", sa.BigInteger(), nullable=True),
        sa.Column("funding_source", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("received_by_agency_id", sa.Uuid(), nullable=True),
        sa.Column("received_by_name", sa.String(length=200), nullable=True),
        sa.Column("handed_over_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handover_document_number", sa.String(length=100), nullable=True),
        sa.Column("cancelled_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cost_amount >= 0", name=op.f("ck_repatriations_cost_not_negative")),
        sa.ForeignKeyConstraint(
            ["coordination_id"],
            ["coordinations.id"],
            name=op.f("fk_repatriations_coordination_id_coordinations"),
        ),
        sa.ForeignKeyConstraint(
            ["escort_agency_id"], ["agencies.id"], name=op.f("fk_repatriations_escort_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["received_by_agency_id"],
            ["agencies.id"],
            name=op.f("fk_repatriations_received_by_agency_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repatriations")),
    )
    with op.batch_alter_table("repatriations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_repatriations_coordination_id"), ["coordination_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_repatriations_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_repatriations_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "repatriation_members",
        sa.Column("repatriation_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("override_reason", sa.String(length=500), nullable=True),
        sa.Column("added_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_repatriation_members_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["repatriation_id"],
            ["repatriations.id"],
            name=op.f("fk_repatriation_members_repatriation_id_repatriations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repatriation_members")),
        sa.UniqueConstraint("repatriation_id", "person_id", name="uq_repatriation_members_batch_person"),
    )
    with op.batch_alter_table("repatriation_members", schema=None) as batch_op:
        batch_op.create_index(
            "uq_repatriation_members_active_person",
            ["person_id"],
            unique=True,
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        )

    op.create_table(
        "assistance_records",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("funding_source", sa.String(length=20), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_assistance_records_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_assistance_records_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistance_records")),
    )
    with op.batch_alter_table("assistance_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assistance_records_funding_source"), ["funding_source"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_assistance_records_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assistance_records_program_id"), ["program_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assistance_records_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_assistance_records_type"), ["type"], unique=False)
        batch_op.create_index(batch_op.f("ix_assistance_records_updated_at"), ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("assistance_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assistance_records_updated_at"))
        batch_op.drop_index(batch_op.f("ix_assistance_records_type"))
        batch_op.drop_index(batch_op.f("ix_assistance_records_status"))
        batch_op.drop_index(batch_op.f("ix_assistance_records_program_id"))
        batch_op.drop_index(batch_op.f("ix_assistance_records_person_id"))
        batch_op.drop_index(batch_op.f("ix_assistance_records_funding_source"))

    op.drop_table("assistance_records")
    with op.batch_alter_table("repatriation_members", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_repatriation_members_active_person",
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        )

    op.drop_table("repatriation_members")
    with op.batch_alter_table("repatriations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repatriations_updated_at"))
        batch_op.drop_index(batch_op.f("ix_repatriations_status"))
        batch_op.drop_index(batch_op.f("ix_repatriations_coordination_id"))

    op.drop_table("repatriations")
    with op.batch_alter_table("coordination_correspondence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coordination_correspondence_updated_at"))
        batch_op.drop_index(batch_op.f("ix_coordination_correspondence_coordination_id"))

    op.drop_table("coordination_correspondence")
    with op.batch_alter_table("coordinations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coordinations_updated_at"))
        batch_op.drop_index(batch_op.f("ix_coordinations_status"))
        batch_op.drop_index(batch_op.f("ix_coordinations_region_code"))
        batch_op.drop_index(batch_op.f("ix_coordinations_counterpart_agency_id"))

    op.drop_table("coordinations")
