"""ASGI middleware: request id, access log without personal data, security headers."""

import logging
import re
import time
import uuid
from collections.abc import Callable

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import i18n
from app.errors import problem
from app.logging import request_id_var

access_log = logging.getLogger("app.access")
UNMATCHED = "<unmatched>"

# fullmatch, not match: `$` would also accept a trailing newline, echoed into a response header.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # JSON needs nothing loaded; the API docs pages set their own policy (app/apidocs).
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


def route_template(scope: Scope) -> str | None:
    """The matched route's full path template, e.g. `/api/v1/persons/{person_id}`."""
    # FastAPI keeps the effective route (router prefixes included) in its own scope entry.
    context = scope.get("fastapi", {}).get("effective_route_context")
    path = getattr(context, "path_format", None)
    return path or getattr(scope.get("route"), "path", None)


# Told of every answered request: (method, route template, status, seconds). The metrics.
Observer = Callable[[str, str, int, float], None]


class RequestContextMiddleware:
    """Accepts or generates X-Request-ID, echoes it, logs one access line per request, tells `observe`.

    The access line names the route template (`/api/v1/persons/{person_id}`), never the query
    string, which can carry a searched name or NIK. One layer for both the log and the metrics:
    each layer costs every request a call and a wrapped `send`.
    """

    def __init__(self, app: ASGIApp, observe: Observer | None = None) -> None:
        self.app = app
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        replaced = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, replaced
            if message["type"] == "http.response.start":
                status = message["status"]
                if _plain_error(message):
                    replaced = True
                    lang = i18n.negotiate(Headers(scope=scope).get("accept-language"))
                    await self._send_problem(status, request_id, send, lang)
                    return
                _add_headers(message, request_id)
            elif replaced:
                return  # the body of the plain-text page that the problem replaced
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            route = route_template(scope) or UNMATCHED
            seconds = time.perf_counter() - started
            access_log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )
            if self.observe is not None:
                self.observe(scope["method"], route, status, seconds)
            request_id_var.reset(token)

    @staticmethod
    async def _send_problem(status: int, request_id: str, send: Send, lang: str) -> None:
        response = problem(status, lang=lang)
        message: Message = {"type": "http.response.start", "status": status, "headers": response.raw_headers}
        _add_headers(message, request_id)
        await send(message)
        await send({"type": "http.response.body", "body": response.body})


_DEFAULT_HEADERS = [
    (name.lower().encode("latin-1"), value.encode("latin-1"))
    for name, value in {**SECURITY_HEADERS, "Cache-Control": "no-store"}.items()
]


def _add_headers(message: Message, request_id: str) -> None:
    """The request id, and the security headers the response did not set itself (raw: hot path)."""
    headers = [(name, value) for name, value in message.get("headers", []) if name.lower() != b"x-request-id"]
    present = {name.lower() for name, _ in headers}
    headers.append((b"x-request-id", request_id.encode("latin-1")))
    headers.extend(header for header in _DEFAULT_HEADERS if header[0] not in present)
    message["headers"] = headers


def _plain_error(message: Message) -> bool:
    """A plain-text error page from outside the error handlers, e.g. Starlette's body-limit 413."""
    if message["status"] < 400:
        return False
    content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
    return content_type.startswith("text/plain")


class ContextFirstFastAPI(FastAPI):
    """FastAPI with RequestContextMiddleware outermost, even around the server-error handler."""

    def build_middleware_stack(self) -> ASGIApp:
        # add_middleware() would put it inside ServerErrorMiddleware and the body limit: their 500
        # and 413 answers would then lack the request id, and the 500's log line would too.
        metrics = getattr(self.state, "metrics", None)
        return RequestContextMiddleware(super().build_middleware_stack(), metrics and metrics.observe)
