"""Programs, their versioned rule sets, and recorded determinations (runs and one row per person)."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, IdMixin, TimestampMixin, VersionedMixin

Json = JSON().with_variant(JSONB(), "postgresql")


class Program(IdMixin, VersionedMixin, TimestampMixin, Base):
    __tablename__ = "programs"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    benefit_kind: Mapped[str] = mapped_column(String(10))
    benefit_amount: Mapped[int | None] = mapped_column(BigInteger)
    funding_source: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[uuid.UUID | None]
    # Last rule set version handed out; incremented by an UPDATE, so concurrent drafts never collide.
    rule_set_counter: Mapped[int] = mapped_column(default=0, server_default="0")


class RuleSet(IdMixin, TimestampMixin, Base):
    """A version of a program's rule. Drafts change; active and retired sets never do."""

    __tablename__ = "eligibility_rule_sets"
    __table_args__ = (
        UniqueConstraint("program_id", "version", name="uq_eligibility_rule_sets_program_version"),
        # At most one active set per program, whatever races the application loses.
        Index(
            "uq_eligibility_rule_sets_one_active",
            "program_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
    )

    program_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programs.id"))
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="draft")
    effective_from: Mapped[date | None]
    effective_to: Mapped[date | None]
    reference: Mapped[str | None] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(Text)
    rule: Mapped[dict[str, Any]] = mapped_column(Json)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[uuid.UUID | None]
    activated_at: Mapped[datetime | None]
    activated_by: Mapped[uuid.UUID | None]
    retired_at: Mapped[datetime | None]
    # `version` is the rule set's number in its program; edits of a draft are counted here (ETag).
    revision: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": revision}


class DeterminationRun(IdMixin, Base):
    """One bulk evaluation: which rule set, on which date, by whom, and what changed since the last."""

    __tablename__ = "eligibility_runs"
    __table_args__ = (UniqueConstraint("program_id", "number", name="uq_eligibility_runs_program_number"),)

    program_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programs.id"))
    # 1, 2, ... within the program: "the previous run" is number - 1 (ids are not ordered within a ms).
    number: Mapped[int]
    rule_set_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("eligibility_rule_sets.id"))
    rule_set_version: Mapped[int]
    rule_set_hash: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[date]
    site_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sites.id"))
    evaluated_at: Mapped[datetime]
    decided_by: Mapped[uuid.UUID | None]
    decided_by_kind: Mapped[str] = mapped_column(String(10))
    previous_run_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("eligibility_runs.id"))
    total: Mapped[int] = mapped_column(default=0)
    eligible: Mapped[int] = mapped_column(default=0)
    became_eligible: Mapped[int] = mapped_column(default=0)
    became_ineligible: Mapped[int] = mapped_column(default=0)


class Determination(Base):
    """One person's decision in one run; the run row carries rule set, date and decider.

    A run writes a row per person in scope, so the table has no foreign keys (checked row by row)
    and no person-first index (written all over at every run): rows come only from a run's
    INSERT ... SELECT from persons, and per-person reads go through the runs and the primary key.
    Migration 0011 says more.
    """

    __tablename__ = "eligibility_determinations"

    run_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # eligibility_runs.id
    person_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # persons.id
    eligible: Mapped[bool] = mapped_column(Boolean)
    facts: Mapped[dict[str, Any]] = mapped_column(Json)
