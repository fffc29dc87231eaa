"""Site request and response bodies."""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from app.regions.schemas import RegionCode
from app.schemas import LINE, Name, PatchBody, RequestBody, ResponseBody, ShortText, Text

SiteStatus = Literal["active", "closing", "closed"]
SiteCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{0,9}$"), LINE]


class _Dates(RequestBody):
    closure_announced_on: date | None = None
    closed_on: date | None = None

    @model_validator(mode="after")
    def _closed_after_announced(self) -> Self:
        if self.closure_announced_on and self.closed_on and self.closed_on < self.closure_announced_on:
            raise ValueError("closed_on is before closure_announced_on")
        return self


class SiteCreate(_Dates):
    name: Name
    code: SiteCode = Field(description="Prefix of registration numbers, e.g. KD for KD-0001.")
    region_code: RegionCode = Field(description="The regency/city the site is in, e.g. 53.71.")
    address: ShortText | None = None
    status: SiteStatus = "active"
    notes: Annotated[Text, StringConstraints(max_length=10_000)] | None = None


class SiteUpdate(_Dates, PatchBody):
    name: Name = None
    region_code: RegionCode = None
    address: ShortText | None = None
    status: SiteStatus = None
    notes: Annotated[Text, StringConstraints(max_length=10_000)] | None = None


class SiteRead(ResponseBody):
    id: uuid.UUID
    name: str
    code: str
    region_code: str
    address: str | None
    status: SiteStatus
    closure_announced_on: date | None
    closed_on: date | None
    notes: str | None
    version: int
    created_at: datetime
    updated_at: datetime
