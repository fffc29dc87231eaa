"""eligibility: programs, versioned rule sets, determination runs and determinations

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 21:14:22.239849
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.db

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "programs",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("benefit_kind", sa.String(length=10), nullable=False),
        sa.Column("benefit_amount", sa.BigInteger(), nullable=True),
        sa.Column("funding_source", sa.String(length=500), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("rule_set_counter", sa.Integer(), server_default="0", nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programs")),
        sa.UniqueConstraint("code", name=op.f("uq_programs_code")),
    )
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programs_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "eligibility_rule_sets",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("reference", sa.String(length=500), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("rule", JSON, nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("activated_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("activated_by", sa.Uuid(), nullable=True),
        sa.Column("retired_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_eligibility_rule_sets_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eligibility_rule_sets")),
        sa.UniqueConstraint("program_id", "version", name="uq_eligibility_rule_sets_program_version"),
    )
    with op.batch_alter_table("eligibility_rule_sets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_eligibility_rule_sets_updated_at"), ["updated_at"], unique=False)
        batch_op.create_index(
            "uq_eligibility_rule_sets_one_active",
            ["program_id"],
            unique=True,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )

    op.create_table(
        "eligibility_runs",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("rule_set_id", sa.Uuid(), nullable=False),
        sa.Column("rule_set_version", sa.Integer(), nullable=False),
        sa.Column("rule_set_hash", sa.String(length=64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("evaluated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_by_kind", sa.String(length=10), nullable=False),
        sa.Column("previous_run_id", sa.Uuid(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("eligible", sa.Integer(), nullable=False),
        sa.Column("became_eligible", sa.Integer(), nullable=False),
        sa.Column("became_ineligible", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["previous_run_id"],
            ["eligibility_runs.id"],
            name=op.f("fk_eligibility_runs_previous_run_id_eligibility_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_eligibility_runs_program_id_programs")
        ),
        sa.ForeignKeyConstraint(
            ["rule_set_id"],
            ["eligibility_rule_sets.id"],
            name=op.f("fk_eligibility_runs_rule_set_id_eligibility_rule_sets"),
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_eligibility_runs_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eligibility_runs")),
        sa.UniqueConstraint("program_id", "number", name="uq_eligibility_runs_program_number"),
    )

    op.create_table(
        "eligibility_determinations",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("facts", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_eligibility_determinations_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["eligibility_runs.id"],
            name=op.f("fk_eligibility_determinations_run_id_eligibility_runs"),
        ),
        sa.PrimaryKeyConstraint("run_id", "person_id", name=op.f("pk_eligibility_determinations")),
    )
    with op.batch_alter_table("eligibility_determinations", schema=None) as batch_op:
        batch_op.create_index("ix_eligibility_determinations_person", ["person_id", "run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("eligibility_determinations", schema=None) as batch_op:
        batch_op.drop_index("ix_eligibility_determinations_person")
    op.drop_table("eligibility_determinations")
    op.drop_table("eligibility_runs")
    with op.batch_alter_table("eligibility_rule_sets", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_eligibility_rule_sets_one_active",
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index(batch_op.f("ix_eligibility_rule_sets_updated_at"))
    op.drop_table("eligibility_rule_sets")
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programs_updated_at"))
    op.drop_table("programs")
