"""Meetings (rakor, sosialisasi, census sessions), their participants, agenda and action items."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, IdMixin, TimestampMixin, VersionedMixin, utcnow


class Meeting(IdMixin, VersionedMixin, TimestampMixin, Base):
    __tablename__ = "meetings"

    kind: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    site_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sites.id"), index=True)
    # Stored in UTC; shown in `timezone`, the IANA zone the meeting takes place in.
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime | None]
    timezone: Mapped[str] = mapped_column(String(64))
    location: Mapped[str | None] = mapped_column(String(500))
    organizer_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="planned", index=True)
    minutes: Mapped[str | None] = mapped_column(Text)


class Participant(IdMixin, VersionedMixin, TimestampMixin, Base):
    """An agency invited to a meeting, its answer, who it sends, and whether it came."""

    __tablename__ = "meeting_participants"
    __table_args__ = (UniqueConstraint("meeting_id", "agency_id", name="uq_meeting_participants_agency"),)

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meetings.id"))
    # Indexed for the partner-visibility EXISTS (meetings an agency takes part in).
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), index=True)
    response: Mapped[str] = mapped_column(String(20), default="invited")
    attended: Mapped[bool | None] = mapped_column(Boolean)
    representative_name: Mapped[str | None] = mapped_column(String(200))
    representative_title: Mapped[str | None] = mapped_column(String(200))


class AgendaItem(IdMixin, VersionedMixin, TimestampMixin, Base):
    __tablename__ = "meeting_agenda_items"
    __table_args__ = (UniqueConstraint("meeting_id", "number", name="uq_meeting_agenda_items_number"),)

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meetings.id"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(500))
    # Public items may be shown beyond the participants, e.g. in the subscribed calendar feed.
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    outcome: Mapped[str | None] = mapped_column(Text)


class ActionItem(IdMixin, VersionedMixin, TimestampMixin, Base):
    """A decision of a meeting turned into a task for one agency."""

    __tablename__ = "meeting_action_items"
    __table_args__ = (Index("ix_meeting_action_items_status_due", "status", "due_on"),)

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meetings.id"), index=True)
    agenda_item_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("meeting_agenda_items.id"))
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    assignee_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), index=True)
    due_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default="open")
    completed_at: Mapped[datetime | None]


class MeetingChange(IdMixin, Base):
    """One change to a meeting or its parts, with the old and new values (GET .../history)."""

    __tablename__ = "meeting_changes"
    __table_args__ = (Index("ix_meeting_changes_meeting", "meeting_id", "id"),)

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meetings.id"))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(20))  # meeting | participant | agenda_item | action_item
    subject_id: Mapped[uuid.UUID]
    # {"field": {"old": ..., "new": ...}}, values in their JSON form (instants in UTC).
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor_kind: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[uuid.UUID]
    actor_role: Mapped[str] = mapped_column(String(20))
