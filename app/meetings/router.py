"""Meetings (rakor, sosialisasi, census sessions), participants, agenda, action items, calendar feed."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AwareDatetime

from app.conventions import FILE_HEADERS, IfMatchDep, set_etag
from app.db import SessionDep
from app.errors import InvalidInput
from app.idempotency.deps import IdempotencyDep
from app.meetings import action_items as action_item_service
from app.meetings import agenda as agenda_service
from app.meetings import ics, service
from app.meetings import participants as participant_service
from app.meetings.queries import MeetingFilters
from app.meetings.schemas import (
    ActionItemCreate,
    ActionItemRead,
    ActionItemUpdate,
    ActionStatus,
    AgendaItemCreate,
    AgendaItemRead,
    AgendaItemUpdate,
    MeetingChangeRead,
    MeetingCreate,
    MeetingKind,
    MeetingRead,
    MeetingStatus,
    MeetingUpdate,
    ParticipantCreate,
    ParticipantRead,
    ParticipantUpdate,
)
from app.pagination import Page, PageDep
from app.schemas import UpdatedSince
from app.security.deps import Permitted

meetings = APIRouter(prefix="/meetings", tags=["meetings"])
action_items = APIRouter(tags=["action-items"])

ICS_RESPONSE = {
    200: {"content": {"text/calendar": {}}, "description": "An RFC 5545 calendar.", "headers": FILE_HEADERS}
}


async def meeting_filters(
    kind: MeetingKind | None = None,
    status: MeetingStatus | None = None,
    site_id: uuid.UUID | None = None,
    agency_id: Annotated[uuid.UUID | None, Query(description="Organizer or participant.")] = None,
    from_: Annotated[
        AwareDatetime | None,
        Query(alias="from", description="Meetings still going on at or after this instant (RFC 3339)."),
    ] = None,
    to: Annotated[AwareDatetime | None, Query(description="Meetings starting before this instant.")] = None,
    updated_since: UpdatedSince = None,
) -> MeetingFilters:
    """The meeting filters of the list and of the calendar feed."""
    if from_ is not None and to is not None and to <= from_:
        raise InvalidInput([(("query", "to"), "must be after from")])
    return MeetingFilters(kind, status, site_id, agency_id, from_, to, updated_since)


MeetingFiltersDep = Annotated[MeetingFilters, Depends(meeting_filters)]


def _calendar(body: bytes, filename: str) -> Response:
    headers = {"Content-Disposition": f'inline; filename="{filename}"'}
    return Response(body, media_type=ics.MEDIA_TYPE, headers=headers)


# The .ics routes come first: `/meetings/{meeting_id}` would otherwise capture "x.ics".
@meetings.get(".ics", response_class=Response, responses=ICS_RESPONSE)
async def meetings_calendar(
    session: SessionDep, actor: Permitted("meetings:read"), filters: MeetingFiltersDep
) -> Response:
    """The meetings as an iCalendar feed (same filters as the list; at most 1000, latest first)."""
    found = await service.feed_meetings(session, actor, filters)
    agenda = await agenda_service.public_agenda(session, [m.id for m in found])
    return _calendar(ics.render(found, agenda, name="Reintegrasi meetings"), "meetings.ics")


@meetings.get("/{meeting_id}.ics", response_class=Response, responses=ICS_RESPONSE)
async def meeting_calendar(
    meeting_id: uuid.UUID, session: SessionDep, actor: Permitted("meetings:read")
) -> Response:
    """One meeting as an iCalendar file."""
    meeting = await service.lookup_meeting(session, actor, meeting_id)
    agenda = await agenda_service.public_agenda(session, [meeting.id])
    return _calendar(ics.render([meeting], agenda, name=meeting.title), f"meeting-{meeting.id}.ics")


@meetings.get("", response_model=Page[MeetingRead])
async def list_meetings(
    session: SessionDep,
    actor: Permitted("meetings:read"),
    page: PageDep,
    filters: MeetingFiltersDep,
) -> Page[MeetingRead]:
    """List meetings by kind, status, site, agency, time window or last change."""
    items, cursor = await service.list_meetings(session, actor, page, filters)
    return Page.of(items, cursor, MeetingRead)


@meetings.post("", status_code=201, response_model=MeetingRead)
async def create_meeting(
    body: MeetingCreate, session: SessionDep, actor: Permitted("meetings:write"), idem: IdempotencyDep
) -> Response:
    """Schedule a meeting."""
    meeting = await service.create_meeting(session, actor, body)
    return await idem.created(
        MeetingRead.model_validate(meeting), "get_meeting", meeting_id=meeting.id, version=meeting.version
    )


@meetings.get("/{meeting_id}", response_model=MeetingRead)
async def get_meeting(
    meeting_id: uuid.UUID, session: SessionDep, actor: Permitted("meetings:read"), response: Response
) -> MeetingRead:
    """One meeting, its times in its own timezone."""
    meeting = await service.lookup_meeting(session, actor, meeting_id)
    set_etag(response, meeting.version)
    return MeetingRead.model_validate(meeting)


@meetings.patch("/{meeting_id}", response_model=MeetingRead)
async def update_meeting(
    meeting_id: uuid.UUID,
    body: MeetingUpdate,
    expected: IfMatchDep,
    session: SessionDep,
    actor: Permitted("meetings:write"),
    response: Response,
) -> MeetingRead:
    """Change, reschedule, postpone, hold or cancel a meeting; needs If-Match."""
    meeting = await service.update_meeting(session, actor, meeting_id, body, expected)
    set_etag(response, meeting.version)
    return MeetingRead.model_validate(meeting)


@meetings.get("/{meeting_id}/history", response_model=Page[MeetingChangeRead])
async def meeting_history(
    meeting_id: uuid.UUID, session: SessionDep, actor: Permitted("meetings:read"), page: PageDep
) -> Page[MeetingChangeRead]:
    """Every change to the meeting and its parts, oldest first, with old and new values."""
    items, cursor = await service.list_history(session, actor, meeting_id, page)
    return Page.of(items, cursor, MeetingChangeRead)


# --- participants -------------------------------------------------------------------------


@meetings.get("/{meeting_id}/participants", response_model=Page[ParticipantRead])
async def list_participants(
    meeting_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("meetings:read"),
    page: PageDep,
    updated_since: UpdatedSince = None,
) -> Page[ParticipantRead]:
    """The agencies invited to a meeting, their answers and attendance."""
    items, cursor = await participant_service.list_participants(
        session, actor, meeting_id, page, updated_since
    )
    return Page.of(items, cursor, ParticipantRead)


@meetings.post("/{meeting_id}/participants", status_code=201, response_model=ParticipantRead)
async def add_participant(
    meeting_id: uuid.UUID,
    body: ParticipantCreate,
    session: SessionDep,
    actor: Permitted("meetings:write"),
    idem: IdempotencyDep,
) -> Response:
    """Invite an active agency (once per meeting)."""
    participant = await participant_service.add_participant(session, actor, meeting_id, body)
    return await idem.created(
        ParticipantRead.model_validate(participant),
        "get_participant",
        meeting_id=meeting_id,
        participant_id=participant.id,
        version=participant.version,
    )


@meetings.get("/{meeting_id}/participants/{participant_id}", response_model=ParticipantRead)
async def get_participant(
    meeting_id: uuid.UUID,
    participant_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("meetings:read"),
    response: Response,
) -> ParticipantRead:
    """One participating agency."""
    _, participant = await participant_service.lookup_participant(session, actor, meeting_id, participant_id)
    set_etag(response, participant.version)
    return ParticipantRead.model_validate(participant)


@meetings.patch("/{meeting_id}/participants/{participant_id}", response_model=ParticipantRead)
async def update_participant(
    meeting_id: uuid.UUID,
    participant_id: uuid.UUID,
    body: ParticipantUpdate,
    expected: IfMatchDep,
    session: SessionDep,
    actor: Permitted("meetings:participate"),
    response: Response,
) -> ParticipantRead:
    """Set the response, representative or attendance; partners only for their own agency."""
    participant = await participant_service.update_participant(
        session, actor, meeting_id, participant_id, body, expected
    )
    set_etag(response, participant.version)
    return ParticipantRead.model_validate(participant)


@meetings.delete("/{meeting_id}/participants/{participant_id}", status_code=204)
async def remove_participant(
    meeting_id: uuid.UUID, participant_id: uuid.UUID, session: SessionDep, actor: Permitted("meetings:write")
) -> None:
    """Withdraw an invitation (409 while the agency has action items of the meeting)."""
    await participant_service.remove_participant(session, actor, meeting_id, participant_id)


# --- agenda items -------------------------------------------------------------------------


@meetings.get("/{meeting_id}/agenda-items", response_model=Page[AgendaItemRead])
async def list_agenda_items(
    meeting_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("meetings:read"),
    page: PageDep,
    updated_since: UpdatedSince = None,
) -> Page[AgendaItemRead]:
    """The agenda, in order of number."""
    items, cursor = await agenda_service.list_agenda(session, actor, meeting_id, page, updated_since)
    return Page.of(items, cursor, AgendaItemRead)


@meetings.post("/{meeting_id}/agenda-items", status_code=201, response_model=AgendaItemRead)
async def add_agenda_item(
    meeting_id: uuid.UUID,
    body: AgendaItemCreate,
    session: SessionDep,
    actor: Permitted("meetings:write"),
    idem: IdempotencyDep,
) -> Response:
    """Add an agenda item (numbered after the last one unless a free number is given)."""
    item = await agenda_service.add_agenda_item(session, actor, meeting_id, body)
    return await idem.created(
        AgendaItemRead.model_validate(item),
        "get_agenda_item",
        meeting_id=meeting_id,
        item_id=item.id,
        version=item.version,
    )


@meetings.get("/{meeting_id}/agenda-items/{item_id}", response_model=AgendaItemRead)
async def get_agenda_item(
    meeting_id: uuid.UUID,
    item_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("meetings:read"),
    response: Response,
) -> AgendaItemRead:
    """One agenda item."""
    item = await agenda_service.lookup_agenda_item(session, actor, meeting_id, item_id)
    set_etag(response, item.version)
    return AgendaItemRead.model_validate(item)


@meetings.patch("/{meeting_id}/agenda-items/{item_id}", response_model=AgendaItemRead)
async def update_agenda_item(
    meeting_id: uuid.UUID,
    item_id: uuid.UUID,
    body: AgendaItemUpdate,
    expected: IfMatchDep,
    session: SessionDep,
    actor: Permitted("meetings:write"),
    response: Response,
) -> AgendaItemRead:
    """Renumber an agenda item or record its outcome; needs If-Match."""
    item = await agenda_service.update_agenda_item(session, actor, meeting_id, item_id, body, expected)
    set_etag(response, item.version)
    return AgendaItemRead.model_validate(item)


@meetings.delete("/{meeting_id}/agenda-items/{item_id}", status_code=204)
async def remove_agenda_item(
    meeting_id: uuid.UUID, item_id: uuid.UUID, session: SessionDep, actor: Permitted("meetings:write")
) -> None:
    """Delete an agenda item (409 while action items refer to it)."""
    await agenda_service.remove_agenda_item(session, actor, meeting_id, item_id)


# --- action items -------------------------------------------------------------------------


@action_items.get("/action-items", response_model=Page[ActionItemRead])
async def list_all_action_items(
    session: SessionDep,
    actor: Permitted("meetings:read"),
    page: PageDep,
    assignee_agency_id: uuid.UUID | None = None,
    status: ActionStatus | None = None,
    overdue: Annotated[
        bool | None, Query(description="Due before today (WITA) and still open or in progress.")
    ] = None,
    due_before: Annotated[date | None, Query(description="Due before this date (YYYY-MM-DD).")] = None,
    updated_since: UpdatedSince = None,
) -> Page[ActionItemRead]:
    """Action items across the meetings the caller may see."""
    items, cursor = await action_item_service.list_action_items(
        session,
        actor,
        page,
        assignee_agency_id=assignee_agency_id,
        status=status,
        overdue=overdue,
        due_before=due_before,
        updated_since=updated_since,
    )
    return Page.of(items, cursor, ActionItemRead)


@action_items.get("/meetings/{meeting_id}/action-items", response_model=Page[ActionItemRead])
async def list_action_items(
    meeting_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("meetings:read"),
    page: PageDep,
    status: ActionStatus | None = None,
    updated_since: UpdatedSince = None,
) -> Page[ActionItemRead]:
    """The action items decided at one meeting."""
    items, cursor = await action_item_service.list_action_items(
        session, actor, page, meeting_id=meeting_id, status=status, updated_since=updated_since
    )
    return Page.of(items, cursor, ActionItemRead)


@action_items.post("/meetings/{meeting_id}/action-items", status_code=201, response_model=ActionItemRead)
async def add_action_item(
    meeting_id: uuid.UUID,
    body: ActionItemCreate,
    session: SessionDep,
    actor: Permitted("meetings:write"),
    idem: IdempotencyDep,
) -> Response:
    """Assign a task to the organizer or a participant, due no earlier than the meeting."""
    item = await action_item_service.add_action_item(session, actor, meeting_id, body)
    return await idem.created(
        ActionItemRead.model_validate(item),
        "get_action_item",
        meeting_id=meeting_id,
        item_id=item.id,
        version=item.version,
    )


@action_items.get("/meetings/{meeting_id}/action-items/{item_id}", response_model=ActionItemRead)
async def get_action_item(
    meeting_id: uuid.UUID,
    item_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("meetings:read"),
    response: Response,
) -> ActionItemRead:
    """One action item."""
    _, item = await action_item_service.lookup_action_item(session, actor, meeting_id, item_id)
    set_etag(response, item.version)
    return ActionItemRead.model_validate(item)


@action_items.patch("/meetings/{meeting_id}/action-items/{item_id}", response_model=ActionItemRead)
async def update_action_item(
    meeting_id: uuid.UUID,
    item_id: uuid.UUID,
    body: ActionItemUpdate,
    expected: IfMatchDep,
    session: SessionDep,
    actor: Permitted("meetings:participate"),
    response: Response,
) -> ActionItemRead:
    """Change an action item; partners only the status of their own agency's items."""
    item = await action_item_service.update_action_item(session, actor, meeting_id, item_id, body, expected)
    set_etag(response, item.version)
    return ActionItemRead.model_validate(item)


router = APIRouter()
router.include_router(meetings)
router.include_router(action_items)
