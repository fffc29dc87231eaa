"""The agencies invited to a meeting: their answers, representatives and attendance."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.conventions import check_version
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.lookups import get_child_or_404
from app.meetings import history
from app.meetings.models import ActionItem, Meeting, Participant
from app.meetings.schemas import ParticipantCreate, ParticipantUpdate
from app.meetings.service import (
    NotOwnAgency,
    StillReferenced,
    lookup_meeting,
    require_active_agency,
)
from app.pagination import PageParams, paginate_rows
from app.security.principal import Actor

PARTICIPANT_FIELDS = ("agency_id", "response", "attended", "representative_name", "representative_title")


class ParticipantNotFound(NotFound):
    slug, title = "participant-not-found", "Participant not found"


class DuplicateParticipant(Conflict):
    slug, title = "duplicate-participant", "Duplicate participant"


class MeetingNotStarted(Conflict):
    slug, title = "meeting-not-started", "Meeting not started"


def _check_started(meeting: Meeting) -> None:
    """Attendance exists only for a meeting that is going ahead and has begun."""
    if meeting.status in ("postponed", "cancelled"):
        raise MeetingNotStarted(f"The meeting is {meeting.status}; attendance cannot be recorded.")
    if meeting.starts_at > utcnow():
        raise MeetingNotStarted("Attendance can be recorded only once the meeting has started.")


async def lookup_participant(
    session: AsyncSession, actor: Actor, meeting_id: uuid.UUID, participant_id: uuid.UUID
) -> tuple[Meeting, Participant]:
    """A participant of a meeting `actor` may read, with the meeting. Not audited."""
    return await get_child_or_404(
        session,
        lookup_meeting(session, actor, meeting_id),
        Participant,
        participant_id,
        parent_key=Participant.meeting_id,
        not_found=ParticipantNotFound,
        resource_type="meeting_participant",
    )


async def list_participants(
    session: AsyncSession,
    actor: Actor,
    meeting_id: uuid.UUID,
    page: PageParams,
    updated_since: datetime | None = None,
) -> tuple[Sequence[Participant], str | None]:
    """A page of the agencies invited to a meeting."""
    await lookup_meeting(session, actor, meeting_id)
    stmt = select(Participant).where(Participant.meeting_id == meeting_id)
    if updated_since is not None:
        stmt = stmt.where(Participant.updated_at >= updated_since)
    rows, cursor = await paginate_rows(session, stmt, Participant.id, page)
    return [r[0] for r in rows], cursor


async def add_participant(
    session: AsyncSession, actor: Actor, meeting_id: uuid.UUID, data: ParticipantCreate
) -> Participant:
    """Invite an agency: once per meeting, and only while it is active."""
    meeting = await lookup_meeting(session, actor, meeting_id)
    await require_active_agency(session, data.agency_id, "agency_id")
    taken = await session.scalar(
        select(Participant.id).where(
            Participant.meeting_id == meeting_id, Participant.agency_id == data.agency_id
        )
    )
    if taken is not None:
        raise DuplicateParticipant("The agency already takes part in this meeting.")
    if data.attended is not None:
        _check_started(meeting)
    participant = Participant(meeting_id=meeting_id, **data.model_dump())
    session.add(participant)
    await session.flush()
    diff = history.created(participant, PARTICIPANT_FIELDS)
    subject = ("participant", participant.id)
    await history.record(session, actor, meeting_id, "meeting.participant.create", subject, diff)
    return participant


async def update_participant(
    session: AsyncSession,
    actor: Actor,
    meeting_id: uuid.UUID,
    participant_id: uuid.UUID,
    data: ParticipantUpdate,
    expected: int,
) -> Participant:
    """Change a participation; partners only their own agency's."""
    meeting, participant = await lookup_participant(session, actor, meeting_id, participant_id)
    if actor.is_partner and participant.agency_id != actor.agency_id:
        raise NotOwnAgency(
            "Partners may change only their own agency's participation.",
            resource_type="meeting_participant",
            resource_id=participant_id,
        )
    check_version(expected, participant.version)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("attended") is not None and changes["attended"] != participant.attended:
        _check_started(meeting)
    diff = history.apply(participant, changes)
    await session.flush()
    subject = ("participant", participant.id)
    await history.record(session, actor, meeting_id, "meeting.participant.update", subject, diff)
    return participant


async def remove_participant(
    session: AsyncSession, actor: Actor, meeting_id: uuid.UUID, participant_id: uuid.UUID
) -> None:
    """Withdraw an invitation; 409 while the agency has action items of this meeting."""
    _, participant = await lookup_participant(session, actor, meeting_id, participant_id)
    assigned = await session.scalar(
        select(ActionItem.id).where(
            ActionItem.meeting_id == meeting_id, ActionItem.assignee_agency_id == participant.agency_id
        )
    )
    if assigned is not None:
        raise StillReferenced("The agency has action items of this meeting; reassign them first.")
    diff = history.removed(participant, PARTICIPANT_FIELDS)
    await session.delete(participant)
    await session.flush()
    subject = ("participant", participant_id)
    await history.record(session, actor, meeting_id, "meeting.participant.delete", subject, diff)
