"""Webhook subscription and delivery bodies."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints

from app.schemas import LINE, PatchBody, RequestBody, ResponseBody, ShortText

EventType = Literal[
    "person.status_changed",
    "person.referred",
    "person.erased",
    "person.restricted",
    "meeting.created",
    "meeting.updated",
    "action_item.updated",
    "repatriation.status_changed",
    "determination.changed",
    "account.read_volume_exceeded",
]
EVENT_TYPES: tuple[str, ...] = EventType.__args__  # type: ignore[attr-defined]
# Partners may not read determinations ("eligibility:determinations"), so may not subscribe to them.
# An account reading more persons than its work needs is the admins' business (app/bulk/volume.py).
STAFF_ONLY_EVENTS = frozenset({"determination.changed", "account.read_volume_exceeded"})
# dropped: at send time the agency could no longer read what the event is about (nothing was sent).
DeliveryStatus = Literal["pending", "delivered", "failed", "dropped"]


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("must not repeat an event type")
    return values


Url = Annotated[str, StringConstraints(min_length=1, max_length=2048, strip_whitespace=True), LINE]
EventTypes = Annotated[
    list[EventType], Field(min_length=1, max_length=len(EVENT_TYPES)), AfterValidator(_unique)
]


class WebhookCreate(RequestBody):
    url: Url = Field(description="https URL the events are POSTed to (no credentials in it).")
    event_types: EventTypes
    description: ShortText | None = None
    active: bool = True
    agency_id: uuid.UUID | None = Field(
        default=None,
        description="Whose view the events take: an agency's (partners: always their own) or, "
        "for admins only, none (staff view).",
    )


class WebhookUpdate(PatchBody):
    url: Url = None
    event_types: EventTypes = None
    description: ShortText | None = None
    active: bool = None


class WebhookRead(ResponseBody):
    id: uuid.UUID
    agency_id: uuid.UUID | None
    url: str
    event_types: list[EventType]
    description: str | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(WebhookRead):
    secret: str = Field(
        description="Standard Webhooks signing secret (whsec_...), shown this once: keep it safe."
    )


class SecretRead(ResponseBody):
    secret: str = Field(description="The new signing secret, shown this once; the old one stops now.")


class DeliveryRead(ResponseBody):
    id: uuid.UUID = Field(description="The message's `webhook-id`, the same on every retry.")
    event_type: EventType
    occurred_at: datetime
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None
    expires_at: datetime
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    body: dict[str, Any] = Field(description="The JSON body sent: type, timestamp and data.")


class AttemptRead(ResponseBody):
    attempted_at: datetime
    status_code: int | None
    duration_ms: int
    error: str | None


class DeliveryDetail(DeliveryRead):
    attempts: list[AttemptRead]
