"""A meeting's agenda: numbered items, the public ones shown in calendar feeds."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.conventions import check_version
from app.errors import Conflict, InvalidInput, NotFound
from app.lookups import get_child_or_404
from app.meetings import history
from app.meetings.models import ActionItem, AgendaItem
from app.meetings.schemas import AgendaItemCreate, AgendaItemUpdate
from app.meetings.service import StillReferenced, lookup_meeting
from app.pagination import PageParams, encode_cursor
from app.security.principal import Actor

AGENDA_FIELDS = ("number", "title", "public", "outcome")


class AgendaItemNotFound(NotFound):
    slug, title = "agenda-item-not-found", "Agenda item not found"


class DuplicateAgendaNumber(Conflict):
    slug, title = "duplicate-agenda-number", "Duplicate agenda number"


async def lookup_agenda_item(
    session: AsyncSession, actor: Actor, meeting_id: uuid.UUID, item_id: uuid.UUID
) -> AgendaItem:
    """An agenda item of a meeting `actor` may read. Not audited."""
    _, item = await get_child_or_404(
        session,
        lookup_meeting(session, actor, meeting_id),
        AgendaItem,
        item_id,
        parent_key=AgendaItem.meeting_id,
        not_found=AgendaItemNotFound,
        resource_type="meeting_agenda_item",
    )
    return item


async def list_agenda(
    session: AsyncSession,
    actor: Actor,
    meeting_id: uuid.UUID,
    page: PageParams,
    updated_since: datetime | None = None,
) -> tuple[Sequence[AgendaItem], str | None]:
    """The agenda in order of `number` (keyset on the number)."""
    await lookup_meeting(session, actor, meeting_id)
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
    await lookup_meeting(session, actor, meeting_id)
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
    diff = history.created(item, AGENDA_FIELDS)
    await history.record(
        session, actor, meeting_id, "meeting.agenda_item.create", ("agenda_item", item.id), diff
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
    item = await lookup_agenda_item(session, actor, meeting_id, item_id)
    check_version(expected, item.version)
    changes = data.model_dump(exclude_unset=True)
    if "number" in changes:
        await _check_number_free(session, meeting_id, changes["number"], exclude=item.id)
    diff = history.apply(item, changes)
    await session.flush()
    await history.record(
        session, actor, meeting_id, "meeting.agenda_item.update", ("agenda_item", item.id), diff
    )
    return item


async def remove_agenda_item(
    session: AsyncSession, actor: Actor, meeting_id: uuid.UUID, item_id: uuid.UUID
) -> None:
    """Delete an agenda item; 409 while action items refer to it."""
    item = await lookup_agenda_item(session, actor, meeting_id, item_id)
    if await session.scalar(select(ActionItem.id).where(ActionItem.agenda_item_id == item_id)) is not None:
        raise StillReferenced("Action items refer to this agenda item; unlink them first.")
    diff = history.removed(item, AGENDA_FIELDS)
    await session.delete(item)
    await session.flush()
    await history.record(
        session, actor, meeting_id, "meeting.agenda_item.delete", ("agenda_item", item_id), diff
    )
