"""HTTP conventions shared by every router: ETags, If-Match, and 201 responses."""

from typing import Annotated, Any

from fastapi import Depends, Header, Response
from pydantic import BaseModel

from app.errors import PreconditionFailed, PreconditionRequired


def etag(version: int) -> str:
    """The strong ETag of a resource version."""
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def expected_version(
    if_match: Annotated[
        str | None,
        Header(description="The ETag of the version being changed (from GET).", max_length=64),
    ] = None,
) -> int:
    """The version named by If-Match: missing is 428; weak or malformed can never match (412)."""
    if if_match is None:
        raise PreconditionRequired("Send If-Match with the resource's ETag to change it.")
    value = if_match.strip()
    if value.startswith('"') and value.endswith('"') and value[1:-1].isdigit():
        return int(value[1:-1])
    raise PreconditionFailed("If-Match does not match the current version.")


IfMatchDep = Annotated[int, Depends(expected_version)]


def check_version(expected: int, current: int) -> None:
    """412 when the caller changed an older version than the current one."""
    if expected != current:
        raise PreconditionFailed("The resource was changed since you read it; fetch it again.")


def json_response(
    model: BaseModel | Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """Serialize `model` once, as FastAPI would with `response_model`."""
    body = model.model_dump_json().encode() if isinstance(model, BaseModel) else model
    return Response(body, status_code, headers=headers, media_type="application/json")
