"""Change requests: a partner's proposed status change or correction of a referred person."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, IdMixin, TimestampMixin, VersionedMixin

Json = JSON().with_variant(JSONB(), "postgresql")


class ChangeRequest(IdMixin, VersionedMixin, TimestampMixin, Base):
    """One proposal, pending until an officer approves (and applies) or rejects it."""

    __tablename__ = "change_requests"
    __table_args__ = (
        Index("ix_change_requests_agency", "agency_id", "id"),
        Index("ix_change_requests_person", "person_id", "id"),
        Index("ix_change_requests_status", "status", "id"),
    )

    # CR-<year>-<NNNN>: the year of submission, the number counted within it.
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    # The submitting partner's agency: only its partners see the request.
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    requested_by: Mapped[uuid.UUID]
    requested_by_kind: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(20))  # status_change | correction
    # The validated proposal: {to_status, reason, occurred_on} or the corrected fields.
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending|approved|rejected|withdrawn
    decided_by: Mapped[uuid.UUID | None]
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(String(500))


class ChangeRequestCounter(Base):
    """The last reference number handed out per year; an upsert serializes concurrent submitters."""

    __tablename__ = "change_request_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer)
