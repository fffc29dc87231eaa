"""Change request bodies: the proposal, its decision, and what each role reads back."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints

from app.clock import office_today
from app.persons.schemas import Alias, BirthDate, Reason, Sex, StatusChange
from app.regions.schemas import RegionCode
from app.schemas import Name, PatchBody, RequestBody, ResponseBody, Text

Kind = Literal["status_change", "correction"]
RequestStatus = Literal["pending", "approved", "rejected", "withdrawn"]
Note = Annotated[Text, StringConstraints(min_length=1, max_length=2000)]


def _not_in_future(value: date | None) -> date | None:
    if value is not None and value > office_today():
        raise ValueError("may not be in the future")
    return value


class ProposedStatusChange(StatusChange):
    """What a partner saw happen: the person went home, was received, stays..."""

    occurred_on: Annotated[date | None, AfterValidator(_not_in_future)] = Field(
        default=None, description="When it happened (default: the day it is approved)."
    )


class ProposedCorrection(PatchBody):
    """Corrections a partner may propose: only fields it reads itself (no NIK, contact data or notes)."""

    full_name: Name = None
    alias: Alias | None = None
    sex: Sex = None
    birth_date: BirthDate | None = None
    origin_region_code: RegionCode | None = None
    domicile_region_code: RegionCode | None = None


PAYLOADS: dict[str, type[RequestBody]] = {
    "status_change": ProposedStatusChange,
    "correction": ProposedCorrection,
}


class ChangeRequestCreate(RequestBody):
    kind: Kind
    payload: dict[str, Any] = Field(
        description=(
            "status_change: {to_status, reason?, occurred_on?}; correction: any of full_name, alias, "
            "sex, birth_date, origin_region_code, domicile_region_code."
        )
    )
    note: Note | None = Field(default=None, description="How the partner learned it; seen by officers.")


class Decision(RequestBody):
    reason: Reason | None = Field(default=None, description="Why it was approved (optional).")


class Rejection(RequestBody):
    reason: Reason = Field(description="Why it was rejected; the partner sees it.")


class ChangeRequestRead(ResponseBody):
    """A change request as officers, admins and auditors see it."""

    id: uuid.UUID
    reference: str
    person_id: uuid.UUID = Field(description="The person's id (partners: their agency's own id).")
    agency_id: uuid.UUID
    kind: Kind
    payload: dict[str, Any]
    note: str | None
    status: RequestStatus
    requested_by: uuid.UUID
    decided_by: uuid.UUID | None = None
    decided_at: datetime | None
    decision_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime
