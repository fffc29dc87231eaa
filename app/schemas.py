"""Base classes and shared field types of the API's request and response bodies."""

import re
import types
import unicodedata
from typing import Annotated, Any, get_args

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

# Characters no free text may hold: control characters (C0 but tab and line breaks, DEL, C1: 0x9b
# is a one-byte CSI, ESC starts ANSI and OSC-8 hyperlink sequences), format characters (bidi marks,
# overrides and isolates, zero-width characters, soft hyphen, BOM, tags), private use, and the
# line and paragraph separators outside multi-line text; and the blank fillers that look like
# nothing. They reorder or hide what a reader sees, or make two equal-looking names differ.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Zl", "Zp"})
_BLANK_LOOKALIKES = frozenset("\u115f\u1160\u3164\uffa0")
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ASCII_CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f]")
_MULTI_LINE = frozenset("\t\n\r\u2028\u2029")
# Joiners shape emoji sequences and several scripts' letters: kept (they hide nothing on their own).
_JOINERS = frozenset("\u200c\u200d")


def _hides_text(value: str, allowed: frozenset[str], ascii_refused: re.Pattern[str]) -> bool:
    if value.isascii():  # the usual case, checked by one regex
        return ascii_refused.search(value) is not None
    return any(
        c not in allowed
        and c not in _JOINERS
        and (unicodedata.category(c) in _REFUSED_CATEGORIES or c in _BLANK_LOOKALIKES)
        for c in value
    )


class RequestBody(BaseModel):
    """A request body: unknown fields are rejected (no mass assignment)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _admits_null(annotation: Any) -> bool:
    return annotation in (None, types.NoneType, Any) or types.NoneType in get_args(annotation)


def _not_nullable(model: type[BaseModel]) -> list[str]:
    """The fields of a PATCH body that a change may not empty: their type admits no None."""
    return [name for name, field in model.model_fields.items() if not _admits_null(field.annotation)]


def _document_patch_body(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """A field that may not be emptied is documented without null and without the absent default."""
    properties = schema.get("properties", {})
    for name in _not_nullable(model):
        properties.get(model.model_fields[name].alias or name, {}).pop("default", None)


class PatchBody(RequestBody):
    """A PATCH body: only the fields sent change (`model_dump(exclude_unset=True)`).

    A field that may be emptied admits None in its type (`notes: Text | None = None`); one that may
    not is declared with its type alone and the absent default (`name: Name = None`): sent as
    null, it is a 422 "may not be null" at ("body", field), before the route runs.
    """

    model_config = ConfigDict(json_schema_extra=_document_patch_body)

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_null(cls, value: Any, info: ValidationInfo) -> Any:
        # Runs on the values sent only: an absent field keeps its default, unvalidated.
        if value is None and not _admits_null(cls.model_fields[str(info.field_name)].annotation):
            raise PydanticCustomError("not_null", "may not be null")
        return value


class ResponseBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def no_control_chars(value: str) -> str:
    """Free text of several lines: tabs and line breaks, but no other control character."""
    if _hides_text(value, _MULTI_LINE, _ASCII_CONTROL):
        raise ValueError("must not contain control characters")
    return value


def one_line(value: str) -> str:
    """Free text of one line: no control character, no tab or line break."""
    if _hides_text(value, frozenset(), _ASCII_CONTROL_OR_BREAK):
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
