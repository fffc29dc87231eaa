"""Calendar feed request and response bodies."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from app.schemas import Line, RequestBody, ResponseBody

FeedName = Annotated[Line, StringConstraints(min_length=1, max_length=100)]


class CalendarFeedCreate(RequestBody):
    name: FeedName = Field(description="What the feed is for, to tell your feeds apart.")


class CalendarFeedRead(ResponseBody):
    id: uuid.UUID
    user_id: uuid.UUID
    agency_id: uuid.UUID | None
    name: str
    created_at: datetime
    revoked_at: datetime | None


class CalendarFeedCreated(CalendarFeedRead):
    """The new feed with its URL, shown this once: the URL is the credential."""

    url: str = Field(
        description="Subscribe to this URL in a calendar app; it needs no Authorization header. "
        "Anyone holding it reads the feed: revoke it when it is lost."
    )
