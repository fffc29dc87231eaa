"""The closed list of purposes for which staff may read or change a restricted record.

A purpose is named by its code in the `X-Purpose` request header, never in the URL (proxies and
browsers log URLs) and never as free text (the audit trail, which erasure cannot reach, keeps
only the code). Partners can never lift a restriction, whatever they send.
"""

import re
from enum import StrEnum
from typing import Annotated

from fastapi import Header
from pydantic import WithJsonSchema
from starlette.requests import HTTPConnection

from app.errors import AppError, InvalidInput

PURPOSE_HEADER = "X-Purpose"
# Query parameters that would put a purpose of access into URLs (proxies and browsers log them).
PURPOSE_QUERY = ("reason", "purpose")


class Purpose(StrEnum):
    """Why a restriction of processing is set aside for one request (UU PDP art. 41)."""

    data_subject_request = "data_subject_request"  # the person's own access, correction or erasure
    legal_obligation = "legal_obligation"  # a duty under law the restriction does not suspend
    legal_claim = "legal_claim"  # establishing or defending a legal claim, a court order
    vital_interest = "vital_interest"  # protecting the person's or another's life or safety
    restriction_review = "restriction_review"  # checking or lifting the restriction itself
    audit_review = "audit_review"  # the auditor's or supervisor's review of processing


PURPOSE_CODES = ", ".join(Purpose)

PURPOSE_DESCRIPTION = (
    "The purpose of access, one code (UU PDP). Staff name it to read or change a restricted "
    "person's record, and for bulk access to NIK (an import or export with NIK); it is recorded "
    "in the audit trail. Partners cannot lift a restriction with it. Another value is 422."
)
# The header as every authenticated operation reads it (app/security/deps.py), so the document
# declares it on each of them: a code of `Purpose`, read leniently (surrounding spaces, empty:
# none) by `purpose_from`, which also answers a code not in the list, once the caller is known.
PurposeHeader = Annotated[
    str | None,
    Header(alias=PURPOSE_HEADER, description=PURPOSE_DESCRIPTION),
    WithJsonSchema({"type": "string", "enum": list(Purpose)}),
]


class PurposeInUrl(AppError):
    status, slug, title = 400, "personal-data-in-url", "Personal data in the URL"


def refuse_personal_query(connection: HTTPConnection) -> None:
    """400 when the URL carries a purpose or a NIK: the problem says where to send it instead."""
    if not connection.scope.get("query_string"):
        return  # most reads (GET one) have no query string at all
    names = {_bare(name) for name in connection.query_params}
    if names & set(PURPOSE_QUERY):
        raise PurposeInUrl("Name the purpose of access in the X-Purpose header, never in the URL.")
    if "nik" in names or any(_NIK_LIKE.search(v) for v in connection.query_params.values()):
        raise PurposeInUrl("Send a NIK in the body of POST /api/v1/persons/search, never in a URL.")


# Sixteen digits in a row, anywhere in a query value (a NIK or a KK number, whatever the name).
_NIK_LIKE = re.compile(r"\d{16}")


def _bare(name: str) -> str:
    """A parameter name as a lenient server would read it: `NIK`, ` nik`, `nik\\0` are all `nik`."""
    return "".join(c for c in name if c.isalnum() or c == "_").lower()


def purpose_from(raw: str | None) -> Purpose | None:
    """The purpose named by an `X-Purpose` value (None if none); 422 on a code not in the list."""
    if raw is None or not raw.strip():
        return None
    try:
        return Purpose(raw.strip())
    except ValueError:
        raise InvalidInput([(("header", PURPOSE_HEADER), f"must be one of: {PURPOSE_CODES}")]) from None
