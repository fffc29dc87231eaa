"""Origin-region coordination: cases, correspondence, repatriation batches and assistance records."""

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, IdMixin, TimestampMixin, VersionedMixin, utcnow


class Coordination(IdMixin, VersionedMixin, TimestampMixin, Base):
    """One case per (site, origin regency/city): the city's work with that region's social office."""

    __tablename__ = "coordinations"
    __table_args__ = (UniqueConstraint("site_id", "region_code", name="uq_coordinations_site_region"),)

    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    # Indexed for the partner-visibility condition (the cases of one counterpart agency).
    counterpart_agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None]


class Correspondence(IdMixin, VersionedMixin, TimestampMixin, Base):
    """A letter, e-mail, call or meeting between the city and the origin region on one case."""

    __tablename__ = "coordination_correspondence"

    coordination_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coordinations.id"), index=True)
    direction: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(10))
    reference_number: Mapped[str | None] = mapped_column(String(100))  # nomor surat
    dated_on: Mapped[date]
    subject: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[uuid.UUID | None]


class Repatriation(IdMixin, VersionedMixin, TimestampMixin, Base):
    """A travel batch of one case: planned, departed, arrived, handed over (or cancelled)."""

    __tablename__ = "repatriations"
    __table_args__ = (CheckConstraint("cost_amount >= 0", name="cost_not_negative"),)

    coordination_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coordinations.id"), index=True)
    leg: Mapped[str] = mapped_column(String(30))
    planned_departure_on: Mapped[date | None]
    departed_at: Mapped[datetime | None]
    arrived_at: Mapped[datetime | None]
    transport_mode: Mapped[str | None] = mapped_column(String(10))
    carrier: Mapped[str | None] = mapped_column(String(200))
    booking_reference: Mapped[str | None] = mapped_column(String(100))
    escort_agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agencies.id"))
    cost_amount: Mapped[int | None] = mapped_column(BigInteger)  # whole rupiah
    funding_source: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="planned", index=True)
    # The berita acara of the handover (serah terima).
    received_by_agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agencies.id"))
    received_by_name: Mapped[str | None] = mapped_column(String(200))
    handed_over_at: Mapped[datetime | None]
    handover_document_number: Mapped[str | None] = mapped_column(String(100))
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None]


class RepatriationMember(IdMixin, Base):
    """A person travelling in a batch; `active` while the batch is neither cancelled nor handed over."""

    __tablename__ = "repatriation_members"
    __table_args__ = (
        UniqueConstraint("repatriation_id", "person_id", name="uq_repatriation_members_batch_person"),
        # At most one active batch per person, even when two requests race past the service's check.
        Index(
            "uq_repatriation_members_active_person",
            "person_id",
            unique=True,
            sqlite_where=sql_text("active"),
            postgresql_where=sql_text("active"),
        ),
    )

    repatriation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("repatriations.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Why a person from another region travels in this batch (audited when given).
    override_reason: Mapped[str | None] = mapped_column(String(500))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by: Mapped[uuid.UUID | None]


class Assistance(IdMixin, VersionedMixin, TimestampMixin, Base):
    """Assistance paid or planned for a person: business capital, living allowance, transport, PEM fund."""

    __tablename__ = "assistance_records"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_not_negative"),)

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    type: Mapped[str] = mapped_column(String(20), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # whole rupiah
    funding_source: Mapped[str] = mapped_column(String(20), index=True)
    # The eligibility program (e.g. PEM); the service answers 422 for an unknown one first.
    program_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("programs.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="planned", index=True)
    paid_on: Mapped[date | None]
    reference: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None]
