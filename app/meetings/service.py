"""Meetings: schedule, change, list and feed them; partners read only their agency's meetings.

The parts of a meeting have their own modules (participants, agenda, action_items); all of them
write the meeting's history (app.meetings.history) in the request's transaction. Meeting reads
are not audited: `lookup_*` finds a readable row or raises 404.
"""

import uuid
from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies import service as agency_service
from app.conventions import check_version
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.meetings import events as webhook_events
from app.meetings import history
from app.meetings.models import Meeting, MeetingChange
from app.meetings.queries import MeetingFilters, matching, readable
from app.meetings.schemas import MeetingCreate, MeetingUpdate
from app.pagination import PageParams, paginate_rows
from app.security.principal import Actor
from app.sites import service as site_service

# Which status a meeting may move to from each status; staying put is always allowed.
TRANSITIONS: dict[str, frozenset[str]] = {
    "planned": frozenset({"held", "postponed", "cancelled"}),
    "postponed": frozenset({"planned", "held", "cancelled"}),
    "held": frozenset(),
    "cancelled": frozenset({"planned"}),
}
# A calendar feed is one response, not a list: beyond this many meetings, narrow the filters.
MAX_FEED_MEETINGS = 1000
STATUS_ACTIONS = {"postponed": "meeting.postpone", "cancelled": "meeting.cancel", "held": "meeting.hold"}
MEETING_FIELDS = (
    "kind",
    "title",
    "description",
    "site_id",
    "starts_at",
    "ends_at",
    "timezone",
    "location",
    "organizer_agency_id",
    "status",
    "minutes",
)


class MeetingNotFound(NotFound):
    slug, title = "meeting-not-found", "Meeting not found"


class IllegalTransition(Conflict):
    slug, title = "illegal-transition", "Illegal status change"


class InactiveAgency(Conflict):
    slug, title = "inactive-agency", "Inactive agency"


class StillReferenced(Conflict):
    slug, title = "still-referenced", "Still referenced"


class NotOwnAgency(Forbidden):
    slug, title = "not-own-agency", "Not your agency's"


# --- lookups and checks shared by the parts of a meeting -----------------------------------


async def lookup_meeting(session: AsyncSession, actor: Actor, meeting_id: uuid.UUID) -> Meeting:
    """The meeting if `actor` may read it; otherwise 404, whether or not it exists. Not audited."""
    meeting = await session.scalar(select(Meeting).where(Meeting.id == meeting_id, readable(actor)))
    if meeting is None:
        raise MeetingNotFound(resource_type="meeting", resource_id=meeting_id)
    return meeting


async def require_active_agency(session: AsyncSession, agency_id: uuid.UUID, field: str) -> None:
    """422 naming `field` for an unknown agency; 409 for an inactive one."""
    try:
        agency = await agency_service.get(session, agency_id)
    except agency_service.AgencyNotFound as exc:
        raise InvalidInput([(("body", field), "unknown agency")]) from exc
    if not agency.active:
        raise InactiveAgency("The agency is inactive; reactivate it first.")


def local_date(meeting: Meeting) -> date:
    """The day the meeting starts, in its own timezone."""
    return meeting.starts_at.astimezone(ZoneInfo(meeting.timezone)).date()


# --- meetings -----------------------------------------------------------------------------


async def create_meeting(session: AsyncSession, actor: Actor, data: MeetingCreate) -> Meeting:
    """A planned meeting."""
    if data.site_id is not None:
        await site_service.require(session, data.site_id, "site_id")
    await require_active_agency(session, data.organizer_agency_id, "organizer_agency_id")
    meeting = Meeting(**data.model_dump(), status="planned")
    session.add(meeting)
    await session.flush()
    subject = ("meeting", meeting.id)
    await history.record(
        session, actor, meeting.id, "meeting.create", subject, history.created(meeting, MEETING_FIELDS)
    )
    await webhook_events.meeting_changed(session, "meeting.created", meeting)
    return meeting


def _meeting_action(old_status: str, new_status: str) -> str:
    """The audit action of a change: a status change names itself."""
    if new_status == old_status:
        return "meeting.update"
    return STATUS_ACTIONS.get(new_status, "meeting.update")


async def update_meeting(
    session: AsyncSession, actor: Actor, meeting_id: uuid.UUID, data: MeetingUpdate, expected: int
) -> Meeting:
    """Change a meeting; the status follows TRANSITIONS, and moving the start keeps the duration."""
    meeting = await lookup_meeting(session, actor, meeting_id)
    check_version(expected, meeting.version)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("site_id") is not None:
        await site_service.require(session, changes["site_id"], "site_id")
    if "organizer_agency_id" in changes and changes["organizer_agency_id"] != meeting.organizer_agency_id:
        await require_active_agency(session, changes["organizer_agency_id"], "organizer_agency_id")
    if "starts_at" in changes and "ends_at" not in changes and meeting.ends_at is not None:
        changes["ends_at"] = meeting.ends_at + (changes["starts_at"] - meeting.starts_at)
    starts_at = changes.get("starts_at", meeting.starts_at)
    ends_at = changes.get("ends_at", meeting.ends_at)
    if ends_at is not None and ends_at < starts_at:
        raise InvalidInput([(("body", "ends_at"), "is before starts_at")])
    status = changes.get("status", meeting.status)
    if status != meeting.status and status not in TRANSITIONS[meeting.status]:
        raise IllegalTransition(f"A {meeting.status} meeting cannot become {status}.")
    if status == "held" and starts_at > utcnow():
        raise IllegalTransition("A meeting cannot be held before it starts.")
    action = _meeting_action(meeting.status, status)
    diff = history.apply(meeting, changes)
    await session.flush()
    await history.record(session, actor, meeting.id, action, ("meeting", meeting.id), diff)
    await webhook_events.meeting_changed(session, "meeting.updated", meeting, changed=list(diff))
    return meeting


async def list_meetings(
    session: AsyncSession, actor: Actor, page: PageParams, filters: MeetingFilters
) -> tuple[Sequence[Meeting], str | None]:
    """A page of the meetings `actor` may read, filtered."""
    rows, cursor = await paginate_rows(session, matching(actor, filters), Meeting.id, page)
    return [r[0] for r in rows], cursor


async def feed_meetings(session: AsyncSession, actor: Actor, filters: MeetingFilters) -> Sequence[Meeting]:
    """The meetings of a calendar feed: the latest MAX_FEED_MEETINGS that match."""
    stmt = matching(actor, filters).order_by(Meeting.starts_at.desc(), Meeting.id).limit(MAX_FEED_MEETINGS)
    return (await session.scalars(stmt)).all()


async def list_history(
    session: AsyncSession, actor: Actor, meeting_id: uuid.UUID, page: PageParams
) -> tuple[Sequence[MeetingChange], str | None]:
    """The meeting's changes, oldest first."""
    await lookup_meeting(session, actor, meeting_id)
    stmt = select(MeetingChange).where(MeetingChange.meeting_id == meeting_id)
    rows, cursor = await paginate_rows(session, stmt, MeetingChange.id, page)
    return [r[0] for r in rows], cursor
