"""Region codes (Kemendagri, dotted) and the region resource."""

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, StringConstraints

from app.schemas import LINE, ResponseBody

_CODE = re.compile(r"^([0-9]{2})(?:\.?([0-9]{2}))?$")


def normalize_region_code(value: str) -> str:
    """`5371` and `53.71` are both Kota Kupang; the dotted form is canonical."""
    match = _CODE.match(value.strip())
    if not match:
        raise ValueError("must be a Kemendagri region code such as 53 or 53.71")
    province, regency = match.groups()
    return f"{province}.{regency}" if regency else province


RegionCode = Annotated[str, StringConstraints(max_length=8), LINE, AfterValidator(normalize_region_code)]

RegionLevel = Literal["province", "regency"]


class RegionRead(ResponseBody):
    code: str
    name: str
    level: RegionLevel
    parent_code: str | None
