"""The registry of persons, their change history and their referrals to agencies."""

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, IdMixin, TimestampMixin, VersionedMixin, utcnow


class Person(IdMixin, VersionedMixin, TimestampMixin, Base):
    __tablename__ = "persons"
    __table_args__ = (
        UniqueConstraint("site_id", "registration_seq", name="uq_persons_site_seq"),
        Index("ix_persons_site_status", "site_id", "status"),
    )

    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"))
    registration_seq: Mapped[int] = mapped_column(Integer)
    registration_number: Mapped[str] = mapped_column(String(20))
    # Null only after erasure (the skeleton kept for counts and the audit trail).
    full_name: Mapped[str | None] = mapped_column(String(200))
    alias: Mapped[str | None] = mapped_column(String(100))
    sex: Mapped[str] = mapped_column(String(10), default="unknown")
    birth_date: Mapped[date | None]
    # NIK: AES-GCM ciphertext, a keyed blind index for lookup/uniqueness, and the last four digits.
    nik_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    nik_blind_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    nik_last4: Mapped[str | None] = mapped_column(String(4))
    nik_region_code: Mapped[str | None] = mapped_column(String(5))
    kk_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone: Mapped[str | None] = mapped_column(String(40))
    domicile_address: Mapped[str | None] = mapped_column(String(500))
    origin_region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    domicile_region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    identity_document: Mapped[str] = mapped_column(String(10), default="none")
    identity_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    identity_verified_at: Mapped[datetime | None]
    identity_verified_by: Mapped[uuid.UUID | None]
    legal_basis: Mapped[str] = mapped_column(String(20))
    consent_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(30), default="registered", index=True)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    restricted_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None]


class PersonChange(IdMixin, Base):
    """One change of status or of a field, as shown by GET /persons/{id}/history."""

    __tablename__ = "person_changes"
    __table_args__ = (Index("ix_person_changes_person", "person_id", "occurred_at"),)

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(10))  # created|status|field|referral|restrict|erasure
    field: Mapped[str | None] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(String(500))
    occurred_on: Mapped[date | None]
    actor_kind: Mapped[str | None] = mapped_column(String(10))
    actor_id: Mapped[uuid.UUID | None]
    source: Mapped[str | None] = mapped_column(String(40))  # api | import | repatriation | ...


class Referral(Base):
    """A person referred to an agency: while active, that agency's partners see the person."""

    __tablename__ = "referrals"
    __table_args__ = (UniqueConstraint("agency_id", "pseudonym", name="uq_referrals_agency_pseudonym"),)

    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    # The id under which this agency sees the person (keyed hash of person and agency ids).
    pseudonym: Mapped[uuid.UUID]
    reason: Mapped[str | None] = mapped_column(String(500))
    referred_at: Mapped[datetime] = mapped_column(default=utcnow)
    referred_by: Mapped[uuid.UUID | None]
    ended_at: Mapped[datetime | None]
