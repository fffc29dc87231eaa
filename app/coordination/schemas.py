"""Coordination, correspondence, repatriation and assistance bodies."""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, field_validator, model_validator

from app.clock import office_today
from app.persons.transitions import Status
from app.regions.schemas import RegionCode
from app.schemas import Name, PatchBody, RequestBody, ResponseBody, ShortText, Text

CoordinationStatus = Literal["open", "contacted", "agreed", "completed", "closed"]
Direction = Literal["outgoing", "incoming"]
Channel = Literal["letter", "email", "phone", "meeting", "other"]
Leg = Literal["to_province_capital", "to_regency", "direct"]
TransportMode = Literal["air", "sea", "land"]
FundingSource = Literal["apbn_kemensos", "apbd_kota", "apbd_provinsi", "other"]
RepatriationStatus = Literal["planned", "departed", "arrived", "handed_over", "cancelled"]
AssistanceType = Literal["business_capital", "living_allowance", "transport", "pem_fund", "other"]
AssistanceStatus = Literal["planned", "paid", "cancelled"]
TotalsGroup = Literal["person", "program", "funding_source", "type"]

# A trillion rupiah: far above any real amount, far below what a BIGINT holds.
MAX_RUPIAH = 1_000_000_000_000
# Strict: a JSON string or a fraction (even 1.0) is not a whole number of rupiah.
Rupiah = Annotated[int, Field(strict=True, ge=0, le=MAX_RUPIAH, description="Whole rupiah (IDR).")]
PositiveRupiah = Annotated[int, Field(strict=True, gt=0, le=MAX_RUPIAH, description="Whole rupiah (IDR).")]
LongText = Annotated[Text, StringConstraints(max_length=10_000)]
Reference = Annotated[Text, StringConstraints(min_length=1, max_length=100)]
Reason = Annotated[Text, StringConstraints(min_length=1, max_length=500)]


def _not_in_future(value: date) -> date:
    if value > office_today():
        raise ValueError("may not be in the future")
    return value


PastDate = Annotated[date, AfterValidator(_not_in_future)]


# --- coordination cases -------------------------------------------------------------------


class CoordinationCreate(RequestBody):
    site_id: uuid.UUID
    region_code: RegionCode = Field(description="The origin regency/city (not a province), e.g. 53.05.")
    counterpart_agency_id: uuid.UUID | None = Field(
        default=None, description="The origin region's social office: an agency in the same province."
    )
    status: CoordinationStatus = "open"
    notes: LongText | None = None


class CoordinationUpdate(PatchBody):
    counterpart_agency_id: uuid.UUID | None = None
    status: CoordinationStatus = None
    notes: LongText | None = None


class CoordinationRead(ResponseBody):
    id: uuid.UUID
    site_id: uuid.UUID
    region_code: str
    province_code: str
    counterpart_agency_id: uuid.UUID | None
    status: CoordinationStatus
    notes: str | None = Field(description="Internal: null for partners.")
    person_total: int = Field(description="The site's persons from this region (partners: those they see).")
    person_counts: dict[str, int] = Field(
        description="By status. Partners: only awaiting_return, repatriated and handed_over."
    )
    version: int
    created_at: datetime
    updated_at: datetime


class GenerateRequest(RequestBody):
    site_id: uuid.UUID


class GenerateResult(ResponseBody):
    created: list[CoordinationRead]
    existing: int = Field(description="Cases that already existed for the site's origin regions.")


class RegencySummary(ResponseBody):
    region_code: str
    name: str
    total: int
    by_status: dict[str, int]
    coordination_id: uuid.UUID | None
    coordination_status: CoordinationStatus | None


class ProvinceSummary(ResponseBody):
    province_code: str
    name: str
    total: int
    regencies: list[RegencySummary]


class CoordinationSummary(ResponseBody):
    site_id: uuid.UUID
    total: int
    unknown_origin: int = Field(description="Persons whose origin is not recorded.")
    provinces: list[ProvinceSummary]


class CasePersonRead(ResponseBody):
    """A person of a case, NIK masked; partners see their agency's own pseudonymous id."""

    id: uuid.UUID = Field(description="Partners: their agency's own id for the person.")
    registration_number: str | None = Field(description="Dinas Sosial and auditors; null for partners.")
    full_name: str | None
    alias: str | None
    sex: str
    birth_date: date | None = Field(description="Dinas Sosial staff only; others get `birth_year`.")
    birth_year: int | None
    nik: str | None = Field(description="Masked to the last 4 digits.")
    origin_region_code: str | None
    domicile_region_code: str | None
    identity_verified: bool
    status: Status
    status_changed_at: datetime
    repatriation_id: uuid.UUID | None = Field(description="The batch the person travels in, if any.")


# --- correspondence -----------------------------------------------------------------------


class CorrespondenceCreate(RequestBody):
    direction: Direction
    channel: Channel
    reference_number: Reference | None = Field(default=None, description="Nomor surat.")
    dated_on: PastDate
    subject: Name
    summary: LongText | None = None


class CorrespondenceUpdate(PatchBody):
    direction: Direction = None
    channel: Channel = None
    reference_number: Reference | None = None
    dated_on: PastDate = None
    subject: Name = None
    summary: LongText | None = None


class CorrespondenceRead(ResponseBody):
    id: uuid.UUID
    coordination_id: uuid.UUID
    direction: Direction
    channel: Channel
    reference_number: str | None
    dated_on: date
    subject: str
    summary: str | None
    version: int
    created_at: datetime
    updated_at: datetime


# --- repatriation batches -----------------------------------------------------------------


class _BatchFields(RequestBody):
    planned_departure_on: date | None = None
    transport_mode: TransportMode | None = None
    carrier: ShortText | None = Field(default=None, max_length=200)
    booking_reference: Reference | None = None
    escort_agency_id: uuid.UUID | None = None
    cost_amount: Rupiah | None = None
    funding_source: FundingSource | None = None
    notes: LongText | None = None


class RepatriationCreate(_BatchFields):
    coordination_id: uuid.UUID
    leg: Leg
    members: list[uuid.UUID] = Field(default_factory=list, max_length=200, description="Person ids.")
    override_reason: Reason | None = Field(
        default=None, description="Needed when a member's origin is not the case's region (audited)."
    )

    @field_validator("members")
    @classmethod
    def _distinct(cls, value: list[uuid.UUID]) -> list[uuid.UUID]:
        if len(set(value)) != len(value):
            raise ValueError("lists a person twice")
        return value


class RepatriationUpdate(_BatchFields, PatchBody):
    leg: Leg = None


class MemberAdd(RequestBody):
    person_id: uuid.UUID
    override_reason: Reason | None = Field(
        default=None, description="Needed when the person's origin is not the case's region (audited)."
    )


class Departure(RequestBody):
    departed_at: AwareDatetime | None = Field(default=None, description="Default: now.")


class Arrival(RequestBody):
    arrived_at: AwareDatetime | None = Field(default=None, description="Default: now.")


class Handover(RequestBody):
    received_by_agency_id: uuid.UUID
    received_by_name: Name
    handed_over_at: AwareDatetime | None = Field(default=None, description="Default: now.")
    document_number: Reference = Field(description="Number of the berita acara serah terima.")


class Cancellation(RequestBody):
    reason: Reason


class RepatriationRead(ResponseBody):
    id: uuid.UUID
    coordination_id: uuid.UUID
    region_code: str
    leg: Leg
    status: RepatriationStatus
    planned_departure_on: date | None
    departed_at: datetime | None
    arrived_at: datetime | None
    transport_mode: TransportMode | None
    carrier: str | None
    booking_reference: str | None
    escort_agency_id: uuid.UUID | None
    cost_amount: int | None
    funding_source: FundingSource | None
    received_by_agency_id: uuid.UUID | None
    received_by_name: str | None
    handed_over_at: datetime | None
    handover_document_number: str | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    members: list[uuid.UUID] = Field(description="Person ids (partners: their agency's own ids).")
    notes: str | None = Field(description="Internal: null for partners.")
    version: int
    created_at: datetime
    updated_at: datetime


class MemberRead(ResponseBody):
    person_id: uuid.UUID = Field(description="Partners: their agency's own id for the person.")
    registration_number: str | None = Field(description="Dinas Sosial and auditors; null for partners.")
    status: Status
    override_reason: str | None = Field(description="Internal: null for partners.")
    added_at: datetime


# --- assistance ---------------------------------------------------------------------------


class AssistanceCreate(RequestBody):
    type: AssistanceType
    amount: PositiveRupiah
    funding_source: FundingSource
    program_id: uuid.UUID | None = Field(default=None, description="Required for pem_fund.")
    status: Literal["planned", "paid"] = "planned"
    paid_on: PastDate | None = Field(default=None, description="Required when paid.")
    reference: Reference | None = None
    notes: LongText | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.status == "paid" and self.paid_on is None:
            raise ValueError("paid_on is required when status is paid")
        if self.status != "paid" and self.paid_on is not None:
            raise ValueError("paid_on is only for paid assistance")
        if self.type == "pem_fund" and self.program_id is None:
            raise ValueError("program_id is required for pem_fund")
        return self


class AssistanceUpdate(PatchBody):
    amount: PositiveRupiah = None
    funding_source: FundingSource = None
    program_id: uuid.UUID | None = None
    status: AssistanceStatus = None
    paid_on: PastDate | None = None
    reference: Reference | None = None
    notes: LongText | None = None


class AssistanceRead(ResponseBody):
    id: uuid.UUID
    person_id: uuid.UUID
    type: AssistanceType
    amount: int
    funding_source: FundingSource
    program_id: uuid.UUID | None
    status: AssistanceStatus
    paid_on: date | None
    reference: str | None
    notes: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class TotalRow(ResponseBody):
    key: str | None = Field(description="Person id, program id, funding source or type; null = none.")
    count: int = Field(description="Records that are not cancelled.")
    planned_amount: int
    paid_amount: int


class AssistanceTotals(ResponseBody):
    group_by: TotalsGroup
    currency: Literal["IDR"] = "IDR"
    total: TotalRow
    groups: list[TotalRow]
