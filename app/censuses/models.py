"""Census rounds (pendataan) at a site, and who was observed present or absent in each."""

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, IdMixin, TimestampMixin, VersionedMixin, utcnow


class CensusRound(IdMixin, VersionedMixin, TimestampMixin, Base):
    """One round; the round before it is the site's latest one held earlier (held_on, then id)."""

    __tablename__ = "census_rounds"
    __table_args__ = (
        UniqueConstraint("site_id", "name", name="uq_census_rounds_site_name"),
        Index("ix_census_rounds_site_held", "site_id", "held_on"),
    )

    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"))
    name: Mapped[str] = mapped_column(String(100))
    held_on: Mapped[date]
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("meetings.id"), index=True)


class CensusObservation(Base):
    __tablename__ = "census_observations"
    __table_args__ = (Index("ix_census_observations_person", "person_id"),)

    census_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("census_rounds.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    presence: Mapped[str] = mapped_column(String(10))  # present | absent
    observed_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by: Mapped[uuid.UUID | None]
