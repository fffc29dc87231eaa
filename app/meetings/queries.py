"""Which meetings an actor may read, as SQL: the one definition the services and webhooks use.

A leaf module (models only): anything outside the domain that needs meeting visibility imports
this, never the services.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, true, union
from sqlalchemy.ext.asyncio import AsyncSession

from app.meetings.models import Meeting, Participant
from app.meetings.schemas import MeetingKind, MeetingStatus
from app.security.principal import Actor


@dataclass(frozen=True, slots=True)
class MeetingFilters:
    """The filters shared by the meeting list and the calendar feed."""

    kind: MeetingKind | None = None
    status: MeetingStatus | None = None
    site_id: uuid.UUID | None = None
    agency_id: uuid.UUID | None = None
    starts_from: datetime | None = None
    until: datetime | None = None
    updated_since: datetime | None = None


def takes_part(agency_id: uuid.UUID) -> ColumnElement[bool]:
    """The meeting is organized by the agency or has it among its participants."""
    return or_(
        Meeting.organizer_agency_id == agency_id,
        exists().where(Participant.meeting_id == Meeting.id, Participant.agency_id == agency_id),
    )


def readable(actor: Actor) -> ColumnElement[bool]:
    """The SQL condition for meetings `actor` may read: partners only their agency's."""
    if not actor.is_partner:
        return true()
    if actor.agency_id is None:
        return false()
    return takes_part(actor.agency_id)


async def agencies_reading(
    session: AsyncSession, meeting_id: uuid.UUID, agencies: Iterable[uuid.UUID]
) -> list[uuid.UUID]:
    """The agencies among `agencies` whose partners may read the meeting, sorted, in one query.

    The set form of `readable` for a partner: the agencies that organize or take part.
    """
    wanted = set(agencies)
    if not wanted:
        return []
    organizer = select(Meeting.organizer_agency_id.label("agency_id")).where(Meeting.id == meeting_id)
    invited = select(Participant.agency_id).where(Participant.meeting_id == meeting_id)
    parties = union(organizer, invited).subquery()
    found = await session.scalars(select(parties.c.agency_id).where(parties.c.agency_id.in_(wanted)))
    return sorted(found)


def matching(actor: Actor, filters: MeetingFilters) -> Select[Any]:
    """The meetings `actor` may read that match `filters` (unordered)."""
    stmt = select(Meeting).where(readable(actor))
    for column, value in (
        (Meeting.kind, filters.kind),
        (Meeting.status, filters.status),
        (Meeting.site_id, filters.site_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.agency_id is not None:
        stmt = stmt.where(takes_part(filters.agency_id))
    if filters.starts_from is not None:
        # Overlaps the window: a meeting without an end is the instant it starts.
        stmt = stmt.where(
            or_(
                and_(Meeting.ends_at.is_not(None), Meeting.ends_at > filters.starts_from),
                and_(Meeting.ends_at.is_(None), Meeting.starts_at >= filters.starts_from),
            )
        )
    if filters.until is not None:
        stmt = stmt.where(Meeting.starts_at < filters.until)
    if filters.updated_since is not None:
        stmt = stmt.where(Meeting.updated_at >= filters.updated_since)
    return stmt
