"""Census round, observation and reconciliation bodies."""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from app.schemas import LINE, RequestBody, ResponseBody

Presence = Literal["present", "absent"]
RoundName = Annotated[str, StringConstraints(min_length=1, max_length=100), LINE]


class CensusCreate(RequestBody):
    name: RoundName = Field(description="e.g. initial, final")
    held_on: date
    meeting_id: uuid.UUID | None = Field(default=None, description="The census session (a meeting), if any.")


class CensusRead(ResponseBody):
    id: uuid.UUID
    site_id: uuid.UUID
    name: str
    held_on: date
    meeting_id: uuid.UUID | None
    version: int
    created_at: datetime
    updated_at: datetime


class Observation(RequestBody):
    person_id: uuid.UUID
    presence: Presence


class ObservationBatch(RequestBody):
    observations: list[Observation] = Field(min_length=1, max_length=5000)


class ObservationResult(ResponseBody):
    recorded: int
    present: int
    absent: int


class Reconciliation(ResponseBody):
    """A round against the one before it; the site's first round is the baseline the next ones use."""

    census_id: uuid.UUID
    previous_census_id: uuid.UUID | None
    first_round: bool = Field(
        description="The site's first round: nothing to compare with, so every person present is "
        "under `new`, and `still_present` and `missing` are empty."
    )
    still_present: list[uuid.UUID] = Field(description="Present in this round and the one before.")
    missing: list[uuid.UUID] = Field(
        description="Present before, now absent or not seen: flagged, status unchanged."
    )
    new: list[uuid.UUID] = Field(description="Present now, not present in the round before.")
    absent: list[uuid.UUID] = Field(description="Recorded absent in this round.")
    present_count: int
    counts_by_status: dict[str, int] = Field(description="Statuses of the persons present in this round.")
