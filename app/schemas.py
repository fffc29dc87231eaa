"""Base classes and shared field types of the API's request and response bodies."""

import re
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

# Control characters no free text may hold: C0 (tab and line breaks aside, see below), DEL, C1
# (0x9b is a one-byte CSI), and the bidirectional overrides and isolates that reorder what a
# reader sees. ESC (0x1b) falls in C0: no ANSI or OSC-8 (hyperlink) terminal sequence gets in.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# A single line holds no tab or line break either (U+2028/2029 included).
_LINE_BREAK = re.compile(r"[\t\n\r\u2028\u2029]")


class RequestBody(BaseModel):
    """A request body: unknown fields are rejected (no mass assignment)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def no_control_chars(value: str) -> str:
    """Free text of several lines: tabs and line breaks, but no other control character."""
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def one_line(value: str) -> str:
    """Free text of one line: no control character, no tab or line break."""
    if _CONTROL.search(value) or _LINE_BREAK.search(value):
        raise ValueError("must be one line without control characters")
    return value


# The one text type of every request field: `Text` (several lines) or `Line`, or a str with its
# constraints first and then `TEXT` or `LINE` (so that pydantic words a constraint's error as its
# own type). tests/security/test_purpose_and_text.py fails on a request str field without one.
TEXT = AfterValidator(no_control_chars)
LINE = AfterValidator(one_line)
Text = Annotated[str, TEXT]
Line = Annotated[str, LINE]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200), LINE]
ShortText = Annotated[str, StringConstraints(max_length=500), TEXT]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 ()-]{4,30}$"), LINE]
Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$"), LINE]
# Aware only: a timestamp without an offset names no instant (and the database would refuse it).
UpdatedSince = Annotated[
    AwareDatetime | None,
    Field(description="Only items changed at or after this instant (RFC 3339), for incremental sync."),
]
