"""Agency request and response bodies."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from app.regions.schemas import RegionCode
from app.schemas import Email, Name, PatchBody, Phone, RequestBody, ResponseBody, ShortText

AgencyKind = Literal["government", "ngo", "police", "other"]


class AgencyCreate(RequestBody):
    name: Name
    acronym: ShortText | None = Field(default=None, max_length=40)
    kind: AgencyKind
    region_code: RegionCode = Field(description="Kemendagri code of the agency's province or regency.")
    address: ShortText | None = None
    contact_name: Name | None = None
    contact_phone: Phone | None = None
    contact_email: Email | None = None
    active: bool = True


class AgencyUpdate(PatchBody):
    name: Name = None
    acronym: ShortText | None = Field(default=None, max_length=40)
    kind: AgencyKind = None
    region_code: RegionCode = None
    address: ShortText | None = None
    contact_name: Name | None = None
    contact_phone: Phone | None = None
    contact_email: Email | None = None
    active: bool = None


class AgencyRead(ResponseBody):
    id: uuid.UUID
    name: str
    acronym: str | None
    kind: AgencyKind
    region_code: str
    address: str | None
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime
