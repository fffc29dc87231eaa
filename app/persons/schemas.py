"""Person request and response bodies; what each role may see is decided by the response class."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, model_validator

from app.audit.schemas import AuditEventRead
from app.clock import office_today
from app.persons import nik as nik_rules
from app.persons.transitions import Status
from app.regions.schemas import RegionCode
from app.schemas import LINE, Name, PatchBody, Phone, RequestBody, ResponseBody, ShortText, Text, UpdatedSince

Sex = Literal["female", "male", "unknown"]
IdentityDocument = Literal["ktp", "kk", "other", "none"]
LegalBasis = Literal["consent", "legal_obligation", "public_task", "vital_interest"]


def _valid_nik(value: str) -> str:
    nik_rules.parse(value)  # raises ValueError with a message that never contains the value
    return value


def _not_in_future(value: date | None) -> date | None:
    if value is not None and value > office_today():
        raise ValueError("may not be in the future")
    return value


Nik = Annotated[str, StringConstraints(min_length=1, max_length=32), LINE, AfterValidator(_valid_nik)]
KkNumber = Annotated[str, StringConstraints(pattern=r"^\d{16}$"), LINE]
BirthDate = Annotated[date, AfterValidator(_not_in_future)]
Alias = Annotated[str, StringConstraints(min_length=1, max_length=100), LINE]
Notes = Annotated[Text, StringConstraints(max_length=10_000)]
Reason = Annotated[Text, StringConstraints(min_length=1, max_length=500)]


class _PersonFields(RequestBody):
    alias: Alias | None = Field(default=None, description="The name used at the site.")
    sex: Sex | None = None
    birth_date: BirthDate | None = Field(default=None, description="Not in the future.")
    nik: Nik | None = Field(default=None, description="16 digits; stored encrypted.")
    kk_number: KkNumber | None = Field(default=None, description="16 digits; stored encrypted.")
    phone: Phone | None = None
    domicile_address: ShortText | None = None
    origin_region_code: RegionCode | None = Field(
        default=None, description="Regency/city of origin, Kemendagri code (`53.71` or `5371`)."
    )
    domicile_region_code: RegionCode | None = Field(
        default=None,
        description="Regency/city on the KTP/KK address (`53.71` or `5371`): decides city residency.",
    )
    identity_document: IdentityDocument | None = None
    identity_verified: bool | None = Field(default=None, description="The identity document was checked.")
    legal_basis: LegalBasis | None = Field(default=None, description="Why the record may be kept (UU PDP).")
    # Aware only: a consent time without an offset names no instant (and the database refuses it).
    consent_at: AwareDatetime | None = Field(
        default=None, description="With its offset, e.g. `2018-10-30T10:00:00+08:00`; needed for consent."
    )
    notes: Notes | None = None


class PersonCreate(_PersonFields):
    site_id: uuid.UUID
    full_name: Name
    sex: Sex = "unknown"
    identity_document: IdentityDocument = "none"
    identity_verified: bool = False
    legal_basis: LegalBasis

    @model_validator(mode="after")
    def _consent_has_a_time(self) -> Self:
        if self.legal_basis == "consent" and self.consent_at is None:
            raise ValueError("consent_at is required when legal_basis is consent")
        return self


class PersonUpdate(_PersonFields, PatchBody):
    full_name: Name = None
    sex: Sex = None
    identity_document: IdentityDocument = None
    identity_verified: bool = Field(default=None, description="The identity document was checked.")
    legal_basis: LegalBasis = Field(default=None, description="Why the record may be kept (UU PDP).")


class StatusChange(RequestBody):
    to_status: Status
    reason: Reason | None = None
    occurred_on: date | None = Field(default=None, description="When it happened (default: today).")


class ReferralCreate(RequestBody):
    agency_id: uuid.UUID
    reason: Reason | None = None


class RestrictionCreate(RequestBody):
    reason: Reason


class PersonSearch(RequestBody):
    """The filters of GET /persons, in a body: a NIK never travels in a URL (logs, history)."""

    nik: Annotated[str, StringConstraints(pattern=r"^\d{16}$"), LINE] | None = Field(
        default=None, description="Exact NIK, 16 digits (matched by its blind index)."
    )
    site_id: uuid.UUID | None = None
    status: Status | None = None
    origin_region_code: RegionCode | None = None
    origin_province_code: Annotated[str, StringConstraints(pattern=r"^\d{2}$"), LINE] | None = None
    domicile_region_code: RegionCode | None = None
    identity_verified: bool | None = None
    referred_agency_id: uuid.UUID | None = None
    q: Annotated[str, StringConstraints(max_length=100), LINE] | None = Field(
        default=None, description="Part of the name or alias."
    )
    updated_since: UpdatedSince = None


class ReferralRead(ResponseBody):
    agency_id: uuid.UUID
    reason: str | None
    referred_at: datetime


class PersonRead(ResponseBody):
    """The record as Dinas Sosial staff (full NIK) and auditors (masked NIK, no notes) see it."""

    view: Literal["staff"] = Field(description="The registry's own view (Dinas Sosial staff and auditors).")
    id: uuid.UUID
    registration_number: str
    site_id: uuid.UUID
    full_name: str | None
    alias: str | None
    sex: Sex
    birth_date: date | None = Field(description="Dinas Sosial staff only; others get `birth_year`.")
    birth_year: int | None
    nik: str | None
    nik_region_code: str | None = Field(
        description="Where the NIK was first issued, not the domicile. Dinas Sosial staff only."
    )
    kk_number: str | None
    phone: str | None
    domicile_address: str | None
    origin_region_code: str | None
    domicile_region_code: str | None
    identity_document: IdentityDocument
    identity_verified: bool
    identity_verified_at: datetime | None
    identity_verified_by: uuid.UUID | None
    legal_basis: LegalBasis
    consent_at: datetime | None
    status: Status
    status_changed_at: datetime
    restricted: bool
    erased: bool
    referrals: list[ReferralRead]
    notes: str | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    warnings: list[str] = Field(default_factory=list, description="Accepted, but worth a look.")


class PartnerPersonRead(ResponseBody):
    """The record as a partner agency sees it: its own pseudonymous id, NIK masked, no contact data."""

    view: Literal["partner"] = Field(description="A partner agency's view.")
    id: uuid.UUID = Field(
        description="This agency's own id for the person; no number is shared across agencies."
    )
    site_id: uuid.UUID
    full_name: str | None
    alias: str | None
    sex: Sex
    birth_year: int | None
    nik: str | None = Field(description="Masked to the last 4 digits.")
    origin_region_code: str | None
    domicile_region_code: str | None
    identity_verified: bool
    status: Status
    status_changed_at: datetime
    referral: ReferralRead
    version: int
    updated_at: datetime


# One of a person's views, told apart by `view` (the document's discriminator): what a read answers
# depends on the caller's role.
AnyPersonRead = Annotated[PersonRead | PartnerPersonRead, Field(discriminator="view")]


class ChangeRead(ResponseBody):
    id: uuid.UUID
    occurred_at: datetime
    kind: str
    field: str | None
    old_value: str | None
    new_value: str | None
    reason: str | None
    occurred_on: date | None
    actor_kind: str | None
    actor_id: uuid.UUID | None
    source: str | None


class ImportError_(ResponseBody):
    row: int
    column: str | None
    message: str


class ImportedPerson(ResponseBody):
    row: int = Field(description="The line of the file the person was read from (the header is line 1).")
    id: uuid.UUID
    registration_number: str


class ImportReport(ResponseBody):
    dry_run: bool
    rows: int
    created: int
    persons: list[ImportedPerson] = Field(
        default_factory=list,
        description="The persons created, in file order (none on a dry run); the first 10,000.",
    )
    persons_truncated: bool = Field(default=False, description="More were created than `persons` lists.")
    errors: list[ImportError_]
    file_sha256: str | None = Field(
        default=None,
        description="SHA-256 (hex) of the file's bytes: what POST /import-requests approves.",
    )


class DataExport(ResponseBody):
    """The data subject's copy: the record as the caller may see it, its history and access log."""

    exported_at: datetime
    person: PersonRead
    history: list[ChangeRead]
    access_log: list[AuditEventRead] = Field(description="Every read and change of the record.")
    records: dict[str, list[dict[str, Any]]] = Field(
        description="Every row the personal-data inventory links to the person, by table."
    )
