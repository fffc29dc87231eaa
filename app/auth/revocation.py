"""Revocation epochs: deactivating a user, client or agency kills every token it was issued before.

An epoch is a timestamp on the owner (`tokens_valid_after`); a token of any kind (access token,
refresh token, an external provider's token) is live only if it was issued after the epochs of
its owner and of the owner's agency. Reactivation does not move the epoch back, so old tokens
stay dead for good; new ones are issued after it.
"""

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies.models import Agency
from app.clients.models import ApiClient
from app.db import utcnow
from app.users.models import User


def issued_after_epochs(issued_at: ColumnElement[datetime]) -> ColumnElement[bool]:
    """True for a token issued at `issued_at` after the epochs of the joined User, ApiClient and Agency.

    The query must outer-join the three (a missing row's NULL epoch passes).
    """
    return and_(
        *(
            or_(epoch.is_(None), issued_at > epoch)
            for epoch in (User.tokens_valid_after, ApiClient.tokens_valid_after, Agency.tokens_valid_after)
        )
    )


def issued_after(issued_at: datetime, *epochs: datetime | None) -> bool:
    """`issued_after_epochs` in Python, for a token checked outside SQL (an external provider's)."""
    return all(epoch is None or issued_at > epoch for epoch in epochs)


async def start_epoch(
    session: AsyncSession,
    *,
    user_id: uuid.UUID | None = None,
    api_client_id: uuid.UUID | None = None,
    agency_id: uuid.UUID | None = None,
) -> None:
    """Kill every token issued until now to the user, the client or (everyone of) the agency."""
    model, owner_id = (
        (User, user_id) if user_id else (ApiClient, api_client_id) if api_client_id else (Agency, agency_id)
    )
    if owner_id is None:
        raise ValueError("start_epoch needs an owner")
    await session.execute(
        update(model)
        .where(model.id == owner_id)
        .values(tokens_valid_after=utcnow())
        # A Core UPDATE of a versioned row: the ORM's optimistic check is for the row's own edits.
        .execution_options(synchronize_session=False)
    )
