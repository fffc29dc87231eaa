"""Base classes and shared field types of the API's request and response bodies."""

import re
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class RequestBody(BaseModel):
    """A request body: unknown fields are rejected (no mass assignment)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _no_control_chars(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


Text = Annotated[str, AfterValidator(_no_control_chars)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_no_control_chars)]
ShortText = Annotated[str, StringConstraints(max_length=500), AfterValidator(_no_control_chars)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 ()-]{4,30}$")]
Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")]
# Aware only: a timestamp without an offset names no instant (and the database would refuse it).
UpdatedSince = Annotated[
    AwareDatetime | None,
    Field(description="Only items changed at or after this instant (RFC 3339), for incremental sync."),
]
