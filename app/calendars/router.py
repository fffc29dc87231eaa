"""Calendar feeds: URLs a calendar app subscribes to (no Authorization header), and their tokens."""

import uuid

from fastapi import APIRouter, Request, Response

from app.calendars import service
from app.calendars.schemas import CalendarFeedCreate, CalendarFeedCreated, CalendarFeedRead
from app.db import SessionDep
from app.meetings import agenda as agenda_service
from app.meetings import ics
from app.meetings import service as meeting_service
from app.meetings.router import ICS_RESPONSE, MeetingFiltersDep
from app.pagination import Page, PageDep
from app.security.deps import Permitted

router = APIRouter(tags=["calendar-feeds"])

FEED_ROUTE = "calendar_feed"


@router.post("/calendar-feeds", status_code=201, response_model=CalendarFeedCreated)
async def create_feed(
    body: CalendarFeedCreate, request: Request, session: SessionDep, actor: Permitted("calendar_feeds:manage")
) -> CalendarFeedCreated:
    """A feed of the meetings you may read, for a calendar app; its URL is shown this once."""
    feed, token = await service.create(session, actor, body)
    url = str(request.url_for(FEED_ROUTE, token=token))
    return CalendarFeedCreated(**CalendarFeedRead.model_validate(feed).model_dump(), url=url)


@router.get("/calendar-feeds", response_model=Page[CalendarFeedRead])
async def list_feeds(
    session: SessionDep, actor: Permitted("calendar_feeds:manage"), page: PageDep
) -> Page[CalendarFeedRead]:
    """Your feeds (an admin: everyone's), revoked ones included; never their URLs."""
    feeds, cursor = await service.list_feeds(session, actor, page)
    return Page.of(feeds, cursor, CalendarFeedRead)


@router.delete("/calendar-feeds/{feed_id}", status_code=204)
async def revoke_feed(
    feed_id: uuid.UUID, session: SessionDep, actor: Permitted("calendar_feeds:manage")
) -> None:
    """Revoke a feed: its URL answers 404 from now on."""
    await service.revoke(session, actor, feed_id)


@router.get(
    "/calendar-feeds/{token}/meetings.ics", name=FEED_ROUTE, response_class=Response, responses=ICS_RESPONSE
)
async def calendar_feed(
    token: str, request: Request, session: SessionDep, filters: MeetingFiltersDep
) -> Response:
    """The meetings the feed's user may read now, as iCalendar; the URL is the credential (no header).

    The same filters as `GET /meetings.ics`. An unknown or revoked token, or a deactivated user's, is 404.
    """
    actor = await service.reader(session, token, getattr(request.state, "request_id", None))
    found = await meeting_service.feed_meetings(session, actor, filters)
    agenda = await agenda_service.public_agenda(session, [m.id for m in found])
    body = ics.render(found, agenda, name="Reintegrasi meetings")
    # No Cache-Control of its own: the app's `no-store` keeps the secret URL's answer out of caches.
    return Response(
        body, media_type=ics.MEDIA_TYPE, headers={"Content-Disposition": 'inline; filename="meetings.ics"'}
    )
