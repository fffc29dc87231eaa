"""One row a request names, or its 404: a child found only under a parent the caller may see."""

import uuid
from collections.abc import Awaitable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import NotFound

Parent = TypeVar("Parent")
Child = TypeVar("Child")


async def get_child_or_404(
    session: AsyncSession,
    parent: Awaitable[Parent],
    model: type[Child],
    child_id: uuid.UUID,
    *,
    parent_key: Any,
    not_found: type[NotFound],
    resource_type: str,
) -> tuple[Parent, Child]:
    """The `model` row `child_id` whose `parent_key` column names the parent, with that parent.

    `parent` is the parent's own lookup (e.g. `lookup_meeting(session, actor, meeting_id)`): it
    raises the parent's 404 when the caller may not see it, so that a child is never found under a
    parent its caller cannot read. A child of another parent is `not_found` like an unknown one.
    """
    found_parent = await parent
    child = await session.scalar(select(model).where(model.id == child_id, parent_key == found_parent.id))
    if child is None:
        raise not_found(resource_type=resource_type, resource_id=child_id)
    return found_parent, child
