"""Calendar feeds: made, listed and revoked by their users; read by a calendar app with the token."""

import uuid
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies.models import Agency
from app.audit import service as audit
from app.calendars.models import CalendarFeed
from app.calendars.schemas import CalendarFeedCreate
from app.db import utcnow
from app.errors import Forbidden, NotFound
from app.pagination import PageParams, paginate_rows
from app.security.policy import Role, allowed
from app.security.principal import Actor
from app.security.tokens import new_token, token_digest
from app.users.models import User

FEED_PERMISSION = "meetings:read"  # what a feed shows, checked against its user's role when read


class CalendarFeedNotFound(NotFound):
    slug, title = "calendar-feed-not-found", "Calendar feed not found"


async def create(session: AsyncSession, actor: Actor, data: CalendarFeedCreate) -> tuple[CalendarFeed, str]:
    """A new feed of the calling user, and its token (returned this once, stored as a digest)."""
    if actor.kind != "user":
        raise Forbidden("Calendar feeds belong to people who sign in, not to API clients.")
    token = new_token()
    feed = CalendarFeed(
        user_id=actor.id, agency_id=actor.agency_id, name=data.name, token_digest=token_digest(token)
    )
    session.add(feed)
    await audit.record_change(session, actor, "calendar_feed.create", feed, resource_type="calendar_feed")
    return feed, token


def _visible(actor: Actor) -> list:
    """An admin sees every feed (to revoke a leaver's); anyone else their own."""
    return [] if actor.role is Role.admin else [CalendarFeed.user_id == actor.id]


async def list_feeds(
    session: AsyncSession, actor: Actor, page: PageParams
) -> tuple[Sequence[CalendarFeed], str | None]:
    """The caller's feeds (an admin: everyone's), revoked ones included."""
    stmt = select(CalendarFeed).where(*_visible(actor))
    rows, cursor = await paginate_rows(session, stmt, CalendarFeed.id, page)
    return [r[0] for r in rows], cursor


async def revoke(session: AsyncSession, actor: Actor, feed_id: uuid.UUID) -> None:
    """Revoke a feed: its URL is 404 from now on. Another user's feed is 404 (an admin's: any)."""
    feed = await session.scalar(select(CalendarFeed).where(CalendarFeed.id == feed_id, *_visible(actor)))
    if feed is None:
        raise CalendarFeedNotFound(resource_type="calendar_feed", resource_id=feed_id)
    if feed.revoked_at is None:
        feed.revoked_at = utcnow()
        await audit.record_change(session, actor, "calendar_feed.revoke", feed, resource_type="calendar_feed")


async def reader(session: AsyncSession, token: str, request_id: str | None) -> Actor:
    """The actor a feed reads as: its user, as that user may read now; 404 for any token not live."""
    row = (
        await session.execute(
            select(CalendarFeed.id, User.id, User.role, User.agency_id)
            .join(User, User.id == CalendarFeed.user_id)
            .outerjoin(Agency, Agency.id == User.agency_id)
            .where(
                CalendarFeed.token_digest == token_digest(token),
                CalendarFeed.revoked_at.is_(None),
                User.active.is_(True),
                or_(Agency.id.is_(None), Agency.active.is_(True)),
                # A feed URL is a token like any other: a deactivation, a new password or a
                # sign-out everywhere (the user's or agency's epoch) ends it for good.
                *(
                    or_(epoch.is_(None), CalendarFeed.created_at > epoch)
                    for epoch in (User.tokens_valid_after, Agency.tokens_valid_after)
                ),
            )
        )
    ).first()
    if row is None or not allowed(Role(row[2]), FEED_PERMISSION):
        # The same answer for unknown, revoked and refused: a URL tells nothing about others.
        raise CalendarFeedNotFound()
    feed_id, user_id, role, agency_id = row
    return Actor(
        kind="user", id=user_id, role=Role(role), agency_id=agency_id, token_id=feed_id, request_id=request_id
    )
