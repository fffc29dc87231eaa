"""Meeting, participant, agenda item, action item and history bodies."""

import uuid
from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.schemas import LINE, Name, PatchBody, RequestBody, ResponseBody, ShortText, Text

DEFAULT_TIMEZONE = "Asia/Makassar"  # WITA, UTC+8: Kota Kupang

MeetingKind = Literal["coordination", "outreach", "census", "other"]
MeetingStatus = Literal["planned", "held", "postponed", "cancelled"]
ParticipantResponse = Literal["invited", "confirmed", "declined"]
ActionStatus = Literal["open", "in_progress", "done", "cancelled"]


@lru_cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _known_zone(name: str) -> str:
    # Membership in the tz database, not ZoneInfo(name): that would also try odd file paths.
    if name not in _zones():
        raise ValueError("unknown IANA timezone")
    return name


TimeZoneName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    LINE,
    AfterValidator(_known_zone),
    Field(description="IANA timezone the meeting takes place in, e.g. Asia/Makassar (WITA)."),
]
LongText = Annotated[Text, StringConstraints(max_length=10_000)]
Minutes = Annotated[Text, StringConstraints(max_length=200_000), Field(description="Markdown.")]


def _not_before_start(ends_at: datetime | None, info: ValidationInfo) -> datetime | None:
    starts_at = info.data.get("starts_at")
    if ends_at is not None and starts_at is not None and ends_at < starts_at:
        raise ValueError("is before starts_at")
    return ends_at


class MeetingCreate(RequestBody):
    kind: MeetingKind
    title: Name
    description: LongText | None = None
    site_id: uuid.UUID | None = None
    starts_at: AwareDatetime = Field(description="RFC 3339 with offset, e.g. 2018-10-30T09:00:00+08:00.")
    ends_at: AwareDatetime | None = Field(default=None, description="Not before starts_at.")
    timezone: TimeZoneName = DEFAULT_TIMEZONE
    location: ShortText | None = None
    organizer_agency_id: uuid.UUID
    minutes: Minutes | None = None

    _ends = field_validator("ends_at")(_not_before_start)


class MeetingUpdate(PatchBody):
    """Fields to change; moving starts_at alone keeps the meeting's duration."""

    kind: MeetingKind = None
    title: Name = None
    description: LongText | None = None
    site_id: uuid.UUID | None = None
    starts_at: AwareDatetime = None
    ends_at: AwareDatetime | None = None
    timezone: TimeZoneName = None
    location: ShortText | None = None
    organizer_agency_id: uuid.UUID = None
    status: MeetingStatus = Field(
        default=None, description="planned, held (once started), postponed, cancelled (not once held)."
    )
    minutes: Minutes | None = None

    _ends = field_validator("ends_at")(_not_before_start)


class MeetingRead(ResponseBody):
    id: uuid.UUID
    kind: MeetingKind
    title: str
    description: str | None
    site_id: uuid.UUID | None
    starts_at: datetime = Field(description="In the meeting's timezone.")
    ends_at: datetime | None
    timezone: str
    location: str | None
    organizer_agency_id: uuid.UUID
    status: MeetingStatus
    minutes: str | None
    version: int
    created_at: datetime
    updated_at: datetime

    @model_validator(mode="after")
    def _in_meeting_zone(self) -> Self:
        # The same instant as stored, written with the offset the meeting's attendees live in.
        zone = ZoneInfo(self.timezone)
        self.starts_at = self.starts_at.astimezone(zone)
        if self.ends_at is not None:
            self.ends_at = self.ends_at.astimezone(zone)
        return self


class ParticipantCreate(RequestBody):
    agency_id: uuid.UUID
    response: ParticipantResponse = "invited"
    attended: bool | None = Field(default=None, description="Only once the meeting has started.")
    representative_name: Name | None = None
    representative_title: Name | None = None


class ParticipantUpdate(PatchBody):
    response: ParticipantResponse = None
    attended: bool | None = Field(default=None, description="Only once the meeting has started.")
    representative_name: Name | None = None
    representative_title: Name | None = None


class ParticipantRead(ResponseBody):
    id: uuid.UUID
    meeting_id: uuid.UUID
    agency_id: uuid.UUID
    response: ParticipantResponse
    attended: bool | None
    representative_name: str | None
    representative_title: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class AgendaItemCreate(RequestBody):
    number: int | None = Field(default=None, ge=1, le=10_000, description="Position; default: next.")
    title: Annotated[ShortText, StringConstraints(min_length=1)]
    public: bool = True
    outcome: LongText | None = None


class AgendaItemUpdate(PatchBody):
    number: int = Field(default=None, ge=1, le=10_000)
    title: Annotated[ShortText, StringConstraints(min_length=1)] = None
    public: bool = None
    outcome: LongText | None = None


class AgendaItemRead(ResponseBody):
    id: uuid.UUID
    meeting_id: uuid.UUID
    number: int
    title: str
    public: bool
    outcome: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class ActionItemCreate(RequestBody):
    title: Annotated[ShortText, StringConstraints(min_length=1)]
    description: LongText | None = None
    assignee_agency_id: uuid.UUID = Field(description="The organizer or a participant of the meeting.")
    due_on: date | None = Field(default=None, description="Not before the meeting's (local) date.")
    status: ActionStatus = "open"
    agenda_item_id: uuid.UUID | None = None


class ActionItemUpdate(PatchBody):
    """Partners may send only `status`, and only for their own agency's items."""

    title: Annotated[ShortText, StringConstraints(min_length=1)] = None
    description: LongText | None = None
    assignee_agency_id: uuid.UUID = None
    due_on: date | None = None
    status: ActionStatus = None
    agenda_item_id: uuid.UUID | None = None


class ActionItemRead(ResponseBody):
    id: uuid.UUID
    meeting_id: uuid.UUID
    agenda_item_id: uuid.UUID | None
    title: str
    description: str | None
    assignee_agency_id: uuid.UUID
    due_on: date | None
    status: ActionStatus
    completed_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class MeetingChangeRead(ResponseBody):
    id: uuid.UUID
    meeting_id: uuid.UUID
    occurred_at: datetime
    action: str
    subject_type: Literal["meeting", "participant", "agenda_item", "action_item"]
    subject_id: uuid.UUID
    changes: dict[str, Any] = Field(description='{"field": {"old": ..., "new": ...}}; instants in UTC.')
    actor_kind: str
    actor_id: uuid.UUID
    actor_role: str
