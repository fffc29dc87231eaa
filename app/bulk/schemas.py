"""Export requests: what is asked, and what the API answers about one."""

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from app.persons.transitions import Status
from app.regions.schemas import RegionCode
from app.schemas import RequestBody, ResponseBody

ExportStatus = Literal["pending", "approved", "downloaded"]


class ExportRequestCreate(RequestBody):
    """The persons an export with plain NIK will hold: the filters of GET /persons/export.csv."""

    site_id: uuid.UUID | None = None
    status: Status | None = None
    origin_region_code: RegionCode | None = None
    domicile_region_code: RegionCode | None = None
    identity_verified: bool | None = None
    referred_agency_id: uuid.UUID | None = None


class ExportRequestRead(ResponseBody):
    id: uuid.UUID
    requester_kind: str
    requester_id: uuid.UUID
    purpose: str
    filters: dict[str, Any]
    include_nik: bool
    status: ExportStatus
    approver_id: uuid.UUID | None
    approved_at: datetime | None
    downloaded_at: datetime | None
    created_at: datetime
    expires_at: datetime = Field(description="The approval, and the download, are possible until then.")
