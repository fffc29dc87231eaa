"""Idempotency-Key for POST, the request-level part: the dependency, the answer, the replay's read.

How keys are claimed and kept is in app.idempotency.service.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Message, Scope

from app.config import get_settings
from app.conventions import etag, json_response
from app.db import SessionDep
from app.idempotency import service
from app.security.deps import current_actor
from app.security.principal import Actor

# Request headers that describe the POST's body or condition, not the caller: not sent to the read.
_NOT_FORWARDED = frozenset(
    {b"content-length", b"content-type", b"transfer-encoding", b"expect", b"idempotency-key"}
    | {b"if-match", b"if-none-match", b"if-modified-since", b"if-unmodified-since"}
)
# Scope entries of the POST's own routing and dependency stacks: the read sets its own.
_ROUTING_KEYS = frozenset(
    {"route", "endpoint", "path_params", "fastapi", "fastapi_inner_astack", "fastapi_function_astack"}
)


def _resource_id(model: BaseModel) -> uuid.UUID | None:
    value = getattr(model, "id", None)
    return value if isinstance(value, uuid.UUID) else None


@dataclass
class Idempotency:
    """What a POST route needs to answer: through here, so that a replay can read the answer back."""

    request: Request
    session: AsyncSession
    owner: str
    key: str | None

    def path(self, route: str, /, query: Mapping[str, Any] | None = None, **params: Any) -> str:
        """The path of the route named `route` (its function's name) with `params`, and `query`.

        Relative to the server (`/api/v1/persons/{id}`), as Location says it and a replay reads it.
        """
        path = str(self.request.app.url_path_for(route, **params))
        return f"{path}?{urlencode(query)}" if query else path

    async def respond(
        self,
        model: BaseModel,
        route: str,
        /,
        *,
        query: Mapping[str, Any] | None = None,
        version: int | None = None,
        **params: Any,
    ) -> Response:
        """200 with the JSON; a replay returns the answer of the GET `route` (required) with `params`."""
        return await self._answer(model, 200, self.path(route, query, **params), version, location=False)

    async def created(
        self, model: BaseModel, route: str, /, *, version: int | None = None, **params: Any
    ) -> Response:
        """201 Created with the Location of the GET `route` with `params`: the resource a replay reads."""
        return await self._answer(model, 201, self.path(route, **params), version, location=True)

    async def _answer(
        self, model: BaseModel, status_code: int, read_path: str, version: int | None, *, location: bool
    ) -> Response:
        headers: dict[str, str] = {}
        if location:
            headers["Location"] = read_path
        if version is not None:
            headers["ETag"] = etag(version)
        if self.key is not None:
            await service.store_answer(
                self.session, self.owner, self.key, status_code, read_path, _resource_id(model)
            )
        return json_response(model, status_code, headers)


async def idempotency(
    request: Request,
    session: SessionDep,
    actor: Annotated[Actor, Depends(current_actor)],
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=255,
            description="Send the same key to retry safely: the replay reads the created resource "
            "again (as a GET would; secrets shown once are not shown again).",
        ),
    ] = None,
) -> Idempotency:
    """Claim the key (or replay what it already answered) before the route runs."""
    owner = f"{actor.kind}:{actor.id}"
    if idempotency_key is None:
        return Idempotency(request, session, owner, None)
    digest = service.request_digest(request.method, request.url.path, request.url.query, await request.body())
    ttl = timedelta(hours=get_settings().idempotency_ttl_hours)
    await service.claim(session, owner, idempotency_key, digest, ttl)
    return Idempotency(request, session, owner, idempotency_key)


IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]


def _read_scope(request: Request, location: str) -> Scope:
    """The scope of a GET of `location` by the same caller: its credentials and headers, no body."""
    path, _, query = location.partition("?")
    path = request.scope.get("root_path", "") + path
    scope = {k: v for k, v in request.scope.items() if k not in _ROUTING_KEYS}
    return scope | {
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [(k, v) for k, v in request.scope["headers"] if k.lower() not in _NOT_FORWARDED],
        "state": dict(request.scope.get("state", {})),
    }


async def read_back(request: Request, location: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers and body of an in-process GET of `location` (the routes, not the middleware)."""
    sent: dict[str, Any] = {"status": 500, "headers": [], "body": []}

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            sent["status"], sent["headers"] = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            sent["body"].append(message.get("body", b""))

    # The router, not the whole application: the request-id, access-log and security-header
    # middleware already wrap this request and answer the replay once.
    await request.app.router(_read_scope(request, location), receive, send)
    return sent["status"], sent["headers"], b"".join(sent["body"])


async def replay_response(request: Request, exc: Exception) -> Response:
    """The replay's answer: the resource as the caller may read it now, or the read's refusal."""
    assert isinstance(exc, service.Replay)  # registered for Replay only
    status, raw_headers, body = await read_back(request, exc.location or "")
    headers = {
        k.decode("latin-1"): v.decode("latin-1") for k, v in raw_headers if k.lower() != b"content-length"
    }
    headers["Idempotent-Replayed"] = "true"
    if 200 <= status < 300:
        status = exc.status_code
        if status == 201:
            headers["Location"] = exc.location or ""
    return Response(body, status, headers=headers)
