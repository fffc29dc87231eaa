"""registry of persons

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 20:54:30.799505
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "persons",
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("registration_seq", sa.Integer(), nullable=False),
        sa.Column("registration_number", sa.String(length=20), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=True),
        sa.Column("alias", sa.String(length=100), nullable=True),
        sa.Column("sex", sa.String(length=10), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("nik_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("nik_blind_index", sa.String(length=64), nullable=True),
        sa.Column("nik_last4", sa.String(length=4), nullable=True),
        sa.Column("nik_region_code", sa.String(length=5), nullable=True),
        sa.Column("kk_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("domicile_address", sa.String(length=500), nullable=True),
        sa.Column("origin_region_code", sa.String(length=5), nullable=True),
        sa.Column("domicile_region_code", sa.String(length=5), nullable=True),
        sa.Column("identity_document", sa.String(length=10), nullable=False),
        sa.Column("identity_verified", sa.Boolean(), nullable=False),
        sa.Column("identity_verified_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("identity_verified_by", sa.Uuid(), nullable=True),
        sa.Column("legal_basis", sa.String(length=20), nullable=False),
        sa.Column("consent_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("status_changed_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.Column("restricted_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("erased_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["domicile_region_code"], ["regions.code"], name=op.f("fk_persons_domicile_region_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["origin_region_code"], ["regions.code"], name=op.f("fk_persons_origin_region_code_regions")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_persons_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
        sa.UniqueConstraint("nik_blind_index", name=op.f("uq_persons_nik_blind_index")),
        sa.UniqueConstraint("site_id", "registration_seq", name="uq_persons_site_seq"),
    )
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_persons_domicile_region_code"), ["domicile_region_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_persons_origin_region_code"), ["origin_region_code"], unique=False
        )
        batch_op.create_index("ix_persons_site_status", ["site_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_persons_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_persons_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "person_changes",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=True),
        sa.Column("actor_kind", sa.String(length=10), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_person_changes_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_changes")),
    )
    with op.batch_alter_table("person_changes", schema=None) as batch_op:
        batch_op.create_index("ix_person_changes_person", ["person_id", "occurred_at"], unique=False)

    op.create_table(
        "referrals",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("pseudonym", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("referred_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("referred_by", sa.Uuid(), nullable=True),
        sa.Column("ended_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_referrals_agency_id_agencies")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_referrals_person_id_persons"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("person_id", "agency_id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("agency_id", "pseudonym", name="uq_referrals_agency_pseudonym"),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=500), nullable=True))

    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("registration_counter", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("registration_counter")

    # Plain ALTER (SQLite >= 3.35): batch mode would rebuild the table and lose its append-only triggers.
    op.execute("ALTER TABLE audit_events DROP COLUMN reason")

    op.drop_table("referrals")
    with op.batch_alter_table("person_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_person_changes_person")

    op.drop_table("person_changes")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_persons_updated_at"))
        batch_op.drop_index(batch_op.f("ix_persons_status"))
        batch_op.drop_index("ix_persons_site_status")
        batch_op.drop_index(batch_op.f("ix_persons_origin_region_code"))
        batch_op.drop_index(batch_op.f("ix_persons_domicile_region_code"))

    op.drop_table("persons")
