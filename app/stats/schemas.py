"""Aggregate statistics bodies."""

from pydantic import BaseModel, Field


class CountCell(BaseModel):
    key: str | None = Field(description="The group (status, region code, site id, sex); null = unknown.")
    count: int | None = Field(description="Null when suppressed.")
    suppressed: bool = False


class PersonStats(BaseModel):
    total: CountCell
    by_status: list[CountCell]
    by_origin_province: list[CountCell]
    by_origin_regency: list[CountCell]
    by_domicile_region: list[CountCell]
    by_site: list[CountCell]
    by_sex: list[CountCell]
    suppression_threshold: int | None = Field(
        description="Counts below this are suppressed for your role; null when none are."
    )
