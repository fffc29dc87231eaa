"""ASGI middleware: request id, client address, access log without personal data, security headers."""

import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Callable, Sequence

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import i18n
from app.errors import problem
from app.logging import request_id_var

access_log = logging.getLogger("app.access")


def log_request(fields: dict[str, object]) -> None:
    """The one line per request, made without `Logger.info`'s walk up the stack for the caller."""
    # The caller is always this line, and the walk costs ~1.7 us a request: the record is made
    # with the public makeRecord/handle pair instead (the logging module's switch is private).
    if access_log.isEnabledFor(logging.INFO):
        record = access_log.makeRecord(
            access_log.name, logging.INFO, __file__, 0, "request", (), None, extra=fields
        )
        access_log.handle(record)


UNMATCHED = "<unmatched>"

# A caller's X-Request-ID is kept as its correlation id, never as the request id (the server's).
# fullmatch, not match: `$` would also accept a trailing newline, echoed into a response header.
_VALID_CORRELATION_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
CORRELATION_HEADER = b"x-correlation-id"
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")

Networks = Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]

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


def _is_trusted(address: str, proxies: Networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_of(peer: str | None, headers: dict[bytes, bytes], proxies: Networks) -> tuple[str | None, bool]:
    """The client's address and whether it used https, believing forwarded headers from `proxies` only.

    X-Forwarded-For is read from the right: each trusted proxy appended the address it saw, so
    the first address that is not a trusted proxy is the client; anything left of it was written
    by the client itself and proves nothing.
    """
    if peer is None or not proxies or not _is_trusted(peer, proxies):
        return peer, False
    client = peer
    forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1")
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # not an address: nothing left of it can be believed
        client = hop
        if not _is_trusted(hop, proxies):
            break
    proto = headers.get(b"x-forwarded-proto", b"").decode("latin-1").rsplit(",", 1)[-1].strip()
    return client, proto.lower() == "https"


class RequestContextMiddleware:
    """Request id, client address, one access line per request, security headers; tells `observe`.

    The request id is always the server's own; a caller's X-Request-ID (checked) is kept as the
    correlation id and echoed as X-Correlation-ID. Forwarded headers count only from the proxies
    of `trusted_proxies` (a callable: tests swap the app's settings). The access line names the
    route template (`/api/v1/persons/{person_id}`), never the query string, which can carry a
    searched name or NIK. One layer for the log, the metrics and the headers: each layer costs
    every request a call and a wrapped `send`.
    """

    def __init__(
        self,
        app: ASGIApp,
        observe: Observer | None = None,
        trusted_proxies: Callable[[], Networks] = tuple,
    ) -> None:
        self.app = app
        self.observe = observe
        self.trusted_proxies = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        correlation_id = incoming if _VALID_CORRELATION_ID.fullmatch(incoming) else None
        request_id = uuid.uuid4().hex
        peer = scope["client"][0] if scope.get("client") else None
        client_ip, forwarded_https = client_of(peer, headers, self.trusted_proxies())
        https = forwarded_https or scope.get("scheme") == "https"
        token = request_id_var.set(request_id)
        state = scope.setdefault("state", {})
        state.update(request_id=request_id, correlation_id=correlation_id, client_ip=client_ip, peer_ip=peer)
        extra_headers = _response_headers(request_id, correlation_id, https)
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
                    await self._send_problem(status, extra_headers, send, lang)
                    return
                _add_headers(message, extra_headers)
            elif replaced:
                return  # the body of the plain-text page that the problem replaced
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            route = route_template(scope) or UNMATCHED
            seconds = time.perf_counter() - started
            log_request(
                {
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "correlation_id": correlation_id,
                }
            )
            if self.observe is not None:
                self.observe(scope["method"], route, status, seconds)
            request_id_var.reset(token)

    @staticmethod
    async def _send_problem(status: int, extra: list[tuple[bytes, bytes]], send: Send, lang: str) -> None:
        response = problem(status, lang=lang)
        message: Message = {"type": "http.response.start", "status": status, "headers": response.raw_headers}
        _add_headers(message, extra)
        await send(message)
        await send({"type": "http.response.body", "body": response.body})


_DEFAULT_HEADERS = [
    (name.lower().encode("latin-1"), value.encode("latin-1"))
    for name, value in {**SECURITY_HEADERS, "Cache-Control": "no-store"}.items()
]


# The headers this middleware puts on every answer (and the only ones it replaces).
OWN_HEADERS = ("X-Request-ID", "X-Correlation-ID")
_OWN = {name.lower().encode("latin-1") for name in OWN_HEADERS}


def _response_headers(request_id: str, correlation_id: str | None, https: bool) -> list[tuple[bytes, bytes]]:
    """The headers of this request's answer that the middleware owns."""
    own = [(b"x-request-id", request_id.encode("latin-1"))]
    if correlation_id is not None:
        own.append((CORRELATION_HEADER, correlation_id.encode("latin-1")))
    if https:
        own.append(HSTS)  # over plain http a browser ignores it, and a proxy may serve both
    return own


def _add_headers(message: Message, own: list[tuple[bytes, bytes]]) -> None:
    """The request's own headers, and the security headers the response did not set (raw: hot path)."""
    headers = [(name, value) for name, value in message.get("headers", []) if name.lower() not in _OWN]
    present = {name.lower() for name, _ in headers}
    headers.extend(own)
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
        return RequestContextMiddleware(
            super().build_middleware_stack(),
            metrics and metrics.observe,
            trusted_proxies=lambda: self.state.settings.trusted_proxies,
        )
