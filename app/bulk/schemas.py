"""Export and import requests: what is asked, and what the API answers about one."""

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from app.persons.transitions import Status
from app.regions.schemas import RegionCode
from app.schemas import Line, RequestBody, ResponseBody

ExportStatus = Literal["pending", "approved", "downloaded"]
ImportStatus = Literal["pending", "approved", "imported"]


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

    @model_validator(mode="before")
    @classmethod
    def _of_request(cls, data: Any) -> Any:
        """An export's claim is its download (the stored request's `claimed_at`)."""
        if isinstance(data, dict):
            return data
        fields = {name: getattr(data, name) for name in cls.model_fields if name != "downloaded_at"}
        return fields | {"downloaded_at": data.claimed_at}


class ImportRequestCreate(RequestBody):
    """The one file an import with NIK will read, by its SHA-256, and the site it goes into."""

    site_id: uuid.UUID
    file_sha256: Line = Field(
        pattern=r"^[0-9a-fA-F]{64}$",
        description="SHA-256 (hex) of the exact bytes to import: a dry run's report gives it.",
    )
    rows: int | None = Field(default=None, ge=1, description="The rows the file holds, for the approver.")

    @field_validator("file_sha256")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class ImportRequestRead(ResponseBody):
    id: uuid.UUID
    requester_kind: str
    requester_id: uuid.UUID
    purpose: str
    site_id: uuid.UUID
    file_sha256: str
    rows: int | None
    status: ImportStatus
    approver_id: uuid.UUID | None
    approved_at: datetime | None
    imported_at: datetime | None = Field(validation_alias="claimed_at")
    created_at: datetime
    expires_at: datetime = Field(description="The approval, and the import, are possible until then.")
