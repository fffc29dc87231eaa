"""Tasks decided at a meeting, for its organizer or a participant; partners move their own."""

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import office_today
from app.conventions import check_version
from app.db import utcnow
from app.errors import InvalidInput, NotFound
from app.lookups import get_child_or_404
from app.meetings import events as webhook_events
from app.meetings import history
from app.meetings.models import ActionItem, AgendaItem, Meeting
from app.meetings.queries import readable, takes_part
from app.meetings.schemas import ActionItemCreate, ActionItemUpdate, ActionStatus
from app.meetings.service import (
    NotOwnAgency,
    local_date,
    lookup_meeting,
    require_active_agency,
)
from app.pagination import PageParams, paginate_rows
from app.security.principal import Actor

ACTION_FIELDS = ("title", "description", "assignee_agency_id", "due_on", "status", "agenda_item_id")
OPEN_ACTION_STATUSES = ("open", "in_progress")


class ActionItemNotFound(NotFound):
    slug, title = "action-item-not-found", "Action item not found"


async def lookup_action_item(
    session: AsyncSession, actor: Actor, meeting_id: uuid.UUID, item_id: uuid.UUID
) -> tuple[Meeting, ActionItem]:
    """An action item of a meeting `actor` may read, with the meeting. Not audited."""
    return await get_child_or_404(
        session,
        lookup_meeting(session, actor, meeting_id),
        ActionItem,
        item_id,
        parent_key=ActionItem.meeting_id,
        not_found=ActionItemNotFound,
        resource_type="meeting_action_item",
    )


async def _check_fields(session: AsyncSession, meeting: Meeting, changes: dict[str, Any]) -> None:
    """The assignee takes part in the meeting, the item is not due before it, the agenda item is its."""
    if "assignee_agency_id" in changes:
        agency_id = changes["assignee_agency_id"]
        await require_active_agency(session, agency_id, "assignee_agency_id")
        participates = await session.scalar(
            select(Meeting.id).where(Meeting.id == meeting.id, takes_part(agency_id))
        )
        if participates is None:
            raise InvalidInput(
                [(("body", "assignee_agency_id"), "agency neither organizes nor takes part in the meeting")]
            )
    due_on = changes.get("due_on")
    if due_on is not None and due_on < local_date(meeting):
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
    meeting = await lookup_meeting(session, actor, meeting_id)
    changes = data.model_dump()
    await _check_fields(session, meeting, changes)
    item = ActionItem(meeting_id=meeting_id, status="open")
    _completion(item, changes)
    for field, value in changes.items():
        setattr(item, field, value)
    session.add(item)
    await session.flush()
    diff = history.created(item, (*ACTION_FIELDS, "completed_at"))
    await history.record(
        session, actor, meeting_id, "meeting.action_item.create", ("action_item", item.id), diff
    )
    return item


def _refuse_partner_change(actor: Actor, item: ActionItem, changes: dict[str, Any]) -> None:
    """Partners change only the status, and only of their own agency's items."""
    if not actor.is_partner:
        return
    if item.assignee_agency_id != actor.agency_id:
        detail = "Partners may change only their own agency's action items."
    elif set(changes) - {"status"}:
        detail = "Partners may change only the status of an action item."
    else:
        return
    raise NotOwnAgency(detail, resource_type="meeting_action_item", resource_id=item.id)


async def update_action_item(
    session: AsyncSession,
    actor: Actor,
    meeting_id: uuid.UUID,
    item_id: uuid.UUID,
    data: ActionItemUpdate,
    expected: int,
) -> ActionItem:
    """Change an action item; partners only the status, of their own agency's items."""
    meeting, item = await lookup_action_item(session, actor, meeting_id, item_id)
    changes = data.model_dump(exclude_unset=True)
    _refuse_partner_change(actor, item, changes)
    check_version(expected, item.version)
    if changes.get("assignee_agency_id") == item.assignee_agency_id:
        del changes["assignee_agency_id"]
    await _check_fields(session, meeting, changes)
    _completion(item, changes)
    diff = history.apply(item, changes)
    await session.flush()
    await history.record(
        session, actor, meeting_id, "meeting.action_item.update", ("action_item", item.id), diff
    )
    await webhook_events.action_item_updated(session, item, changed=list(diff))
    return item


def _overdue(today: date) -> ColumnElement[bool]:
    return and_(
        ActionItem.due_on.is_not(None),
        ActionItem.due_on < today,
        ActionItem.status.in_(OPEN_ACTION_STATUSES),
    )


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
    """Action items of the meetings `actor` may read (of one meeting, if given), filtered."""
    if meeting_id is not None:
        await lookup_meeting(session, actor, meeting_id)
    stmt = select(ActionItem).join(Meeting, Meeting.id == ActionItem.meeting_id).where(readable(actor))
    for column, value in (
        (ActionItem.meeting_id, meeting_id),
        (ActionItem.assignee_agency_id, assignee_agency_id),
        (ActionItem.status, status),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if overdue is not None:
        # Today in Kota Kupang (WITA): an item due today is overdue from local midnight on.
        condition = _overdue(office_today())
        stmt = stmt.where(condition if overdue else not_(condition))
    if due_before is not None:
        stmt = stmt.where(ActionItem.due_on < due_before)
    if updated_since is not None:
        stmt = stmt.where(ActionItem.updated_at >= updated_since)
    rows, cursor = await paginate_rows(session, stmt, ActionItem.id, page)
    return [r[0] for r in rows], cursor
