"""Meetings and their participants, agenda and action items; partners see their agency's meetings.

Every change writes a row of `meeting_changes` (old and new values, for GET .../history) and an
audit event, in the request's transaction.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, not_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies import service as agency_service
from app.audit import service as audit
from app.clock import office_today
from app.conventions import check_version
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.meetings.models import ActionItem, AgendaItem, Meeting, MeetingChange, Participant
from app.meetings.schemas import (
    ActionItemCreate,
    ActionItemUpdate,
    ActionStatus,
    AgendaItemCreate,
    AgendaItemUpdate,
    MeetingCreate,
    MeetingKind,
    MeetingStatus,
    MeetingUpdate,
    ParticipantCreate,
    ParticipantUpdate,
)
from app.pagination import PageParams, encode_cursor, paginate_rows
from app.security.principal import Actor
from app.sites import service as site_service
from app.webhooks import events as webhook_events

# Which status a meeting may move to from each status; staying put is always allowed.
TRANSITIONS: dict[str, frozenset[str]] = {
    "planned": frozenset({"held", "postponed", "cancelled"}),
    "postponed": frozenset({"planned", "held", "cancelled"}),
    "held": frozenset(),
    "cancelled": frozenset({"planned"}),
}
OPEN_ACTION_STATUSES = ("open", "in_progress")
# A calendar feed is one response, not a list: beyond this many meetings, narrow the filters.
MAX_FEED_MEETINGS = 1000


class MeetingNotFound(NotFound):
    slug, title = "meeting-not-found", "Meeting not found"


class ParticipantNotFound(NotFound):
    slug, title = "participant-not-found", "Participant not found"


class AgendaItemNotFound(NotFound):
    slug, title = "agenda-item-not-found", "Agenda item not found"


class ActionItemNotFound(NotFound):
    slug, title = "action-item-not-found", "Action item not found"


class IllegalTransition(Conflict):
    slug, title = "illegal-transition", "Illegal status change"


class DuplicateParticipant(Conflict):
    slug, title = "duplicate-participant", "Duplicate participant"


class InactiveAgency(Conflict):
    slug, title = "inactive-agency", "Inactive agency"


class MeetingNotStarted(Conflict):
    slug, title = "meeting-not-started", "Meeting not started"


class DuplicateAgendaNumber(Conflict):
    slug, title = "duplicate-agenda-number", "Duplicate agenda number"


class StillReferenced(Conflict):
    slug, title = "still-referenced", "Still referenced"


class NotOwnAgency(Forbidden):
    slug, title = "not-own-agency", "Not your agency's"


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


# --- visibility ---------------------------------------------------------------------------


def _takes_part(agency_id: uuid.UUID) -> ColumnElement[bool]:
    """The meeting is organized by the agency or has it among its participants."""
    return or_(
        Meeting.organizer_agency_id == agency_id,
        exists().where(Participant.meeting_id == Meeting.id, Participant.agency_id == agency_id),
    )


def visible_to(actor: Actor) -> ColumnElement[bool]:
    """The SQL condition for meetings `actor` may see: partners only their agency's."""
    if not actor.is_partner:
        return true()
    if actor.agency_id is None:
        return false()
    return _takes_part(actor.agency_id)


async def get_meeting(session: AsyncSession, actor: Actor, meeting_id: uuid.UUID) -> Meeting:
    """The meeting if `actor` may see it; otherwise 404, whether or not it exists."""
    meeting = await session.scalar(select(Meeting).where(Meeting.id == meeting_id, visible_to(actor)))
    if meeting is None:
        raise MeetingNotFound(resource_type="meeting", resource_id=meeting_id)
    return meeting


# --- history ------------------------------------------------------------------------------


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _apply(obj: Any, changes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Set the changed fields on `obj`; return {field: {old, new}} of those that really changed."""
    diff = {}
    for field, new in changes.items():
        old = getattr(obj, field)
        if old != new:
            diff[field] = {"old": _json(old), "new": _json(new)}
            setattr(obj, field, new)
    return diff


def _created(obj: Any, fields: Iterable[str]) -> dict[str, dict[str, Any]]:
    return {field: {"old": None, "new": _json(getattr(obj, field))} for field in fields}


async def _record(
    session: AsyncSession,
    actor: Actor,
    meeting_id: uuid.UUID,
    action: str,
    subject_type: str,
    subject_id: uuid.UUID,
    changes: dict[str, dict[str, Any]],
) -> None:
    """One history row and one audit event for a change; a no-op leaves no history."""
    if changes:
        session.add(
            MeetingChange(
                meeting_id=meeting_id,
                occurred_at=utcnow(),
                action=action,
                subject_type=subject_type,
                subject_id=subject_id,
                changes=changes,
                actor_kind=actor.kind,
                actor_id=actor.id,
                actor_role=actor.role.value,
            )
        )
        await session.flush()
    await audit.record(session, actor, action, resource_type="meeting", resource_id=meeting_id)


async def history(
    session: AsyncSession, actor: Actor, meeting_id: uuid.UUID, page: PageParams
) -> tuple[Sequence[MeetingChange], str | None]:
    """The meeting's changes, oldest first."""
    await get_meeting(session, actor, meeting_id)
    stmt = select(MeetingChange).where(MeetingChange.meeting_id == meeting_id)
    rows, cursor = await paginate_rows(session, stmt, MeetingChange.id, page)
    return [r[0] for r in rows], cursor


# --- shared checks ------------------------------------------------------------------------


def _no_nulls(changes: dict[str, Any], fields: Iterable[str]) -> None:
    nulls = [(("body", f), "may not be null") for f in fields if f in changes and changes[f] is None]
    if nulls:
        raise InvalidInput(nulls)


async def _require_agency(session: AsyncSession, agency_id: uuid.UUID, field: str) -> None:
    """422 naming `field` for an unknown agency; 409 for an inactive one."""
    try:
        agency = await agency_service.get(session, agency_id)
    except agency_service.AgencyNotFound as exc:
        raise InvalidInput([(("body", field), "unknown agency")]) from exc
    if not agency.active:
        raise InactiveAgency("The agency is inactive; reactivate it first.")


def _local_date(meeting: Meeting) -> date:
    return meeting.starts_at.astimezone(ZoneInfo(meeting.timezone)).date()


def _check_started(meeting: Meeting) -> None:
    """Attendance exists only for a meeting that is going ahead and has begun."""
    if meeting.status in ("postponed", "cancelled"):
        raise MeetingNotStarted(f"The meeting is {meeting.status}; attendance cannot be recorded.")
    if meeting.starts_at > utcnow():
        raise MeetingNotStarted("Attendance can be recorded only once the meeting has started.")


# --- meetings -----------------------------------------------------------------------------

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


async def create_meeting(session: AsyncSession, actor: Actor, data: MeetingCreate) -> Meeting:
    """A planned meeting."""
    if data.site_id is not None:
        await site_service.require(session, data.site_id, "site_id")
    await _require_agency(session, data.organizer_agency_id, "organizer_agency_id")
    meeting = Meeting(**data.model_dump(), status="planned")
    session.add(meeting)
    await session.flush()
    await _record(
        session, actor, meeting.id, "meeting.create", "meeting", meeting.id, _created(meeting, MEETING_FIELDS)
    )
    await webhook_events.meeting_changed(session, "meeting.created", meeting)
    return meeting


STATUS_ACTIONS = {"postponed": "meeting.postpone", "cancelled": "meeting.cancel", "held": "meeting.hold"}


def _meeting_action(old_status: str, new_status: str) -> str:
    """The audit action of a change: a status change names itself."""
    if new_status == old_status:
        return "meeting.update"
    return STATUS_ACTIONS.get(new_status, "meeting.update")


async def update_meeting(
    session: AsyncSession, actor: Actor, meeting_id: uuid.UUID, data: MeetingUpdate, expected: int
) -> Meeting:
    """Change a meeting; the status follows TRANSITIONS, and moving the start keeps the duration."""
    meeting = await get_meeting(session, actor, meeting_id)
    check_version(expected, meeting.version)
    changes = data.model_dump(exclude_unset=True)
    _no_nulls(changes, ("kind", "title", "starts_at", "timezone", "organizer_agency_id", "status"))
    if changes.get("site_id") is not None:
        await site_service.require(session, changes["site_id"], "site_id")
    if "organizer_agency_id" in changes and changes["organizer_agency_id"] != meeting.organizer_agency_id:
        await _require_agency(session, changes["organizer_agency_id"], "organizer_agency_id")
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
    diff = _apply(meeting, changes)
    await session.flush()
    await _record(session, actor, meeting.id, action, "meeting", meeting.id, diff)
    await webhook_events.meeting_changed(session, "meeting.updated", meeting, changed=list(diff))
    return meeting


def _filtered(actor: Actor, filters: MeetingFilters) -> Select[Any]:
    stmt = select(Meeting).where(visible_to(actor))
    for column, value in (
        (Meeting.kind, filters.kind),
        (Meeting.status, filters.status),
        (Meeting.site_id, filters.site_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.agency_id is not None:
        stmt = stmt.where(_takes_part(filters.agency_id))
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


async def list_meetings(
    session: AsyncSession, actor: Actor, page: PageParams, filters: MeetingFilters
) -> tuple[Sequence[Meeting], str | None]:
    """A page of the meetings `actor` may see, filtered."""
    rows, cursor = await paginate_rows(session, _filtered(actor, filters), Meeting.id, page)
    return [r[0] for r in rows], cursor


async def public_agenda(
    session: AsyncSession, meeting_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[AgendaItem]]:
    """The public agenda items of the meetings, in order, by meeting."""
    agenda: dict[uuid.UUID, list[AgendaItem]] = {m: [] for m in meeting_ids}
    if not meeting_ids:
        return agenda
    items = await session.scalars(
        select(AgendaItem)
        .where(AgendaItem.meeting_id.in_(meeting_ids), AgendaItem.public.is_(True))
        .order_by(AgendaItem.meeting_id, AgendaItem.number)
    )
    for item in items:
        agenda[item.meeting_id].append(item)
    return agenda


async def feed_meetings(session: AsyncSession, actor: Actor, filters: MeetingFilters) -> Sequence[Meeting]:
    """The meetings of a calendar feed: the latest MAX_FEED_MEETINGS that match."""
    stmt = _filtered(actor, filters).order_by(Meeting.starts_at.desc(), Meeting.id).limit(MAX_FEED_MEETINGS)
    return (await session.scalars(stmt)).all()


# --- participants -------------------------------------------------------------------------

PARTICIPANT_FIELDS = ("agency_id", "response", "attended", "representative_name", "representative_title")


async def get_participant(
    session: AsyncSession, actor: Actor, meeting_id: uuid.UUID, participant_id: uuid.UUID
) -> tuple[Meeting, Participant]:
    """A participant of a meeting `actor` may see, with the meeting."""
    meeting = await get_meeting(session, actor, meeting_id)
    participant = await session.scalar(
        select(Participant).where(Participant.id == participant_id, Participant.meeting_id == meeting_id)
    )
    if participant is None:
        raise ParticipantNotFound(resource_type="meeting_participant", resource_id=participant_id)
    return meeting, participant


async def list_participants(
    session: AsyncSession,
    actor: Actor,
    meeting_id: uuid.UUID,
    page: PageParams,
    updated_since: datetime | None = None,
) -> tuple[Sequence[Participant], str | None]:
    """A page of the agencies invited to a meeting."""
    await get_meeting(session, actor, meeting_id)
    stmt = select(Participant).where(Participant.meeting_id == meeting_id)
    if updated_since is not None:
        stmt = stmt.where(Participant.updated_at >= updated_since)
    rows, cursor = await paginate_rows(session, stmt, Participant.id, page)
    return [r[0] for r in rows], cursor


async def add_participant(
    session: AsyncSession, actor: Actor, meeting_id: uuid.UUID, data: ParticipantCreate
) -> Participant:
    """Invite an agency: once per meeting, and only while it is active."""
    meeting = await get_meeting(session, actor, meeting_id)
    await _require_agency(session, data.agency_id, "agency_id")
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
    await _record(
        session,
        actor,
        meeting_id,
        "meeting.participant.create",
        "participant",
        participant.id,
        _created(participant, PARTICIPANT_FIELDS),
    )
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
    meeting, participant = await get_participant(session, actor, meeting_id, participant_id)
    if actor.is_partner and participant.agency_id != actor.agency_id:
        raise NotOwnAgency(
            "Partners may change only their own agency's participation.",
            resource_type="meeting_participant",
            resource_id=participant_id,
        )
    check_version(expected, participant.version)
    changes = data.model_dump(exclude_unset=True)
    _no_nulls(changes, ("response",))
    if changes.get("attended") is not None and changes["attended"] != participant.attended:
        _check_started(meeting)
    diff = _apply(participant, changes)
    await session.flush()
    await _record(
        session, actor, meeting_id, "meeting.participant.update", "participant", participant.id, diff
    )
    return participant


async def remove_participant(
    session: AsyncSession, actor: Actor, meeting_id: uuid.UUID, participant_id: uuid.UUID
) -> None:
    """Withdraw an invitation; 409 while the agency has action items of this meeting."""
    _, participant = await get_participant(session, actor, meeting_id, participant_id)
    assigned = await session.scalar(
        select(ActionItem.id).where(
            ActionItem.meeting_id == meeting_id, ActionItem.assignee_agency_id == participant.agency_id
        )
    )
    if assigned is not None:
        raise StillReferenced("The agency has action items of this meeting; reassign them first.")
    snapshot = _created(participant, PARTICIPANT_FIELDS)
    removed = {field: {"old": value["new"], "new": None} for field, value in snapshot.items()}
    await session.delete(participant)
    await session.flush()
    await _record(
        session, actor, meeting_id, "meeting.participant.delete", "participant", participant_id, removed
    )


# --- agenda items -------------------------------------------------------------------------

AGENDA_FIELDS = ("number", "title", "public", "outcome")


async def get_agenda_item(
    session: AsyncSession, actor: Actor, meeting_id: uuid.UUID, item_id: uuid.UUID
) -> AgendaItem:
    """An agenda item of a meeting `actor` may see."""
    await get_meeting(session, actor, meeting_id)
    item = await session.scalar(
        select(AgendaItem).where(AgendaItem.id == item_id, AgendaItem.meeting_id == meeting_id)
    )
    if item is None:
        raise AgendaItemNotFound(resource_type="meeting_agenda_item", resource_id=item_id)
    return item


async def list_agenda(
    session: AsyncSession,
    actor: Actor,
    meeting_id: uuid.UUID,
    page: PageParams,
    updated_since: datetime | None = None,
) -> tuple[Sequence[AgendaItem], str | None]:
    """The agenda in order of `number` (keyset on the number)."""
    await get_meeting(session, actor, meeting_id)
    stmt = select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)
    if updated_since is not None:
        stmt = stmt.where(AgendaItem.updated_at >= updated_since)
    if page.after is not None:
        if not page.after.isdigit():
            raise InvalidInput([(("query", "cursor"), "invalid cursor")])
        stmt = stmt.where(AgendaItem.number > int(page.after))
    items = (await session.scalars(stmt.order_by(AgendaItem.number).limit(page.limit + 1))).all()
    more = len(items) > page.limit
    items = items[: page.limit]
    return items, encode_cursor(items[-1].number) if more else None


async def _check_number_free(
    session: AsyncSession, meeting_id: uuid.UUID, number: int, exclude: uuid.UUID | None = None
) -> None:
    stmt = select(AgendaItem.id).where(AgendaItem.meeting_id == meeting_id, AgendaItem.number == number)
    if exclude is not None:
        stmt = stmt.where(AgendaItem.id != exclude)
    if await session.scalar(stmt) is not None:
        raise DuplicateAgendaNumber(f"The agenda already has an item number {number}.")


async def add_agenda_item(
    session: AsyncSession, actor: Actor, meeting_id: uuid.UUID, data: AgendaItemCreate
) -> AgendaItem:
    """An agenda item, numbered after the last one unless a free number is given."""
    await get_meeting(session, actor, meeting_id)
    number = data.number
    if number is None:
        last = await session.scalar(
            select(func.max(AgendaItem.number)).where(AgendaItem.meeting_id == meeting_id)
        )
        number = (last or 0) + 1
    else:
        await _check_number_free(session, meeting_id, number)
    item = AgendaItem(meeting_id=meeting_id, **data.model_dump(exclude={"number"}), number=number)
    session.add(item)
    await session.flush()
    await _record(
        session,
        actor,
        meeting_id,
        "meeting.agenda_item.create",
        "agenda_item",
        item.id,
        _created(item, AGENDA_FIELDS),
    )
    return item


async def update_agenda_item(
    session: AsyncSession,
    actor: Actor,
    meeting_id: uuid.UUID,
    item_id: uuid.UUID,
    data: AgendaItemUpdate,
    expected: int,
) -> AgendaItem:
    """Change an agenda item; its number stays unique within the meeting."""
    item = await get_agenda_item(session, actor, meeting_id, item_id)
    check_version(expected, item.version)
    changes = data.model_dump(exclude_unset=True)
    _no_nulls(changes, ("number", "title", "public"))
    if "number" in changes:
        await _check_number_free(session, meeting_id, changes["number"], exclude=item.id)
    diff = _apply(item, changes)
    await session.flush()
    await _record(session, actor, meeting_id, "meeting.agenda_item.update", "agenda_item", item.id, diff)
    return item


async def remove_agenda_item(
    session: AsyncSession, actor: Actor, meeting_id: uuid.UUID, item_id: uuid.UUID
) -> None:
    """Delete an agenda item; 409 while action items refer to it."""
    item = await get_agenda_item(session, actor, meeting_id, item_id)
    if await session.scalar(select(ActionItem.id).where(ActionItem.agenda_item_id == item_id)) is not None:
        raise StillReferenced("Action items refer to this agenda item; unlink them first.")
    removed = {f: {"old": v["new"], "new": None} for f, v in _created(item, AGENDA_FIELDS).items()}
    await session.delete(item)
    await session.flush()
    await _record(session, actor, meeting_id, "meeting.agenda_item.delete", "agenda_item", item_id, removed)


# --- action items -------------------------------------------------------------------------

ACTION_FIELDS = ("title", "description", "assignee_agency_id", "due_on", "status", "agenda_item_id")


async def get_action_item(
    session: AsyncSession, actor: Actor, meeting_id: uuid.UUID, item_id: uuid.UUID
) -> tuple[Meeting, ActionItem]:
    """An action item of a meeting `actor` may see, with the meeting."""
    meeting = await get_meeting(session, actor, meeting_id)
    item = await session.scalar(
        select(ActionItem).where(ActionItem.id == item_id, ActionItem.meeting_id == meeting_id)
    )
    if item is None:
        raise ActionItemNotFound(resource_type="meeting_action_item", resource_id=item_id)
    return meeting, item


async def _check_action_fields(session: AsyncSession, meeting: Meeting, changes: dict[str, Any]) -> None:
    """The assignee takes part in the meeting, the item is not due before it, the agenda item is its."""
    if "assignee_agency_id" in changes:
        agency_id = changes["assignee_agency_id"]
        await _require_agency(session, agency_id, "assignee_agency_id")
        participates = await session.scalar(
            select(Meeting.id).where(Meeting.id == meeting.id, _takes_part(agency_id))
        )
        if participates is None:
            raise InvalidInput(
                [(("body", "assignee_agency_id"), "agency neither organizes nor takes part in the meeting")]
            )
    due_on = changes.get("due_on")
    if due_on is not None and due_on < _local_date(meeting):
        raise InvalidInput([(("body", "due_on"), "is before the meeting")])
    agenda_item_id = changes.get("agenda_item_id")
    if agenda_item_id is not None:
        owner = await session.scalar(select(AgendaItem.meeting_id).where(AgendaItem.id == agenda_item_id))
        if owner != meeting.id:
            raise InvalidInput([(("body", "agenda_item_id"), "not an agenda item of this meeting")])


def _completion(item: ActionItem, changes: dict[str, Any]) -> None:
    """completed_at is set by the server when an item becomes done, and cleared if it is reopened."""
    status = changes.get("status", item.status)
    if status == "done" and item.status != "done":
        changes["completed_at"] = utcnow()
    elif status != "done":
        changes["completed_at"] = None


async def add_action_item(
    session: AsyncSession, actor: Actor, meeting_id: uuid.UUID, data: ActionItemCreate
) -> ActionItem:
    """A task decided at the meeting, for the organizer or a participant."""
    meeting = await get_meeting(session, actor, meeting_id)
    changes = data.model_dump()
    await _check_action_fields(session, meeting, changes)
    item = ActionItem(meeting_id=meeting_id, status="open")
    _completion(item, changes)
    for field, value in changes.items():
        setattr(item, field, value)
    session.add(item)
    await session.flush()
    await _record(
        session,
        actor,
        meeting_id,
        "meeting.action_item.create",
        "action_item",
        item.id,
        _created(item, (*ACTION_FIELDS, "completed_at")),
    )
    return item


async def update_action_item(
    session: AsyncSession,
    actor: Actor,
    meeting_id: uuid.UUID,
    item_id: uuid.UUID,
    data: ActionItemUpdate,
    expected: int,
) -> ActionItem:
    """Change an action item; partners only the status, of their own agency's items."""
    meeting, item = await get_action_item(session, actor, meeting_id, item_id)
    changes = data.model_dump(exclude_unset=True)
    if actor.is_partner:
        if item.assignee_agency_id != actor.agency_id:
            raise NotOwnAgency(
                "Partners may change only their own agency's action items.",
                resource_type="meeting_action_item",
                resource_id=item_id,
            )
        if set(changes) - {"status"}:
            raise NotOwnAgency(
                "Partners may change only the status of an action item.",
                resource_type="meeting_action_item",
                resource_id=item_id,
            )
    check_version(expected, item.version)
    _no_nulls(changes, ("title", "assignee_agency_id", "status"))
    if changes.get("assignee_agency_id") == item.assignee_agency_id:
        del changes["assignee_agency_id"]
    await _check_action_fields(session, meeting, changes)
    _completion(item, changes)
    diff = _apply(item, changes)
    await session.flush()
    await _record(session, actor, meeting_id, "meeting.action_item.update", "action_item", item.id, diff)
    await webhook_events.action_item_updated(session, item, changed=list(diff))
    return item


def _overdue(today: date) -> ColumnElement[bool]:
    return and_(
        ActionItem.due_on.is_not(None),
        ActionItem.due_on < today,
        ActionItem.status.in_(OPEN_ACTION_STATUSES),
    )


def local_today() -> date:
    """Today in Kota Kupang (WITA): an item due today is overdue from local midnight on."""
    return office_today()


async def list_action_items(
    session: AsyncSession,
    actor: Actor,
    page: PageParams,
    *,
    meeting_id: uuid.UUID | None = None,
    assignee_agency_id: uuid.UUID | None = None,
    status: ActionStatus | None = None,
    overdue: bool | None = None,
    due_before: date | None = None,
    updated_since: datetime | None = None,
) -> tuple[Sequence[ActionItem], str | None]:
    """Action items of the meetings `actor` may see (of one meeting, if given), filtered."""
    if meeting_id is not None:
        await get_meeting(session, actor, meeting_id)
    stmt = select(ActionItem).join(Meeting, Meeting.id == ActionItem.meeting_id).where(visible_to(actor))
    for column, value in (
        (ActionItem.meeting_id, meeting_id),
        (ActionItem.assignee_agency_id, assignee_agency_id),
        (ActionItem.status, status),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if overdue is not None:
        condition = _overdue(local_today())
        stmt = stmt.where(condition if overdue else not_(condition))
    if due_before is not None:
        stmt = stmt.where(ActionItem.due_on < due_before)
    if updated_since is not None:
        stmt = stmt.where(ActionItem.updated_at >= updated_since)
    rows, cursor = await paginate_rows(session, stmt, ActionItem.id, page)
    return [r[0] for r in rows], cursor
