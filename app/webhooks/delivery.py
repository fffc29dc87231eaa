"""One webhook message on the wire: Standard Webhooks signature, a pinned connection, no redirects.

The request goes to an address vetted by app/webhooks/targets.py (the Host header and TLS server
name stay the URL's, so certificates are checked as usual). Only the status code is read: a
receiver's body is never downloaded nor stored.
"""

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from app.webhooks import targets

USER_AGENT = "Reintegrasi-Webhooks/1"
# What is stored of an error: its class and a short text, never a response body.
MAX_ERROR_CHARS = 200


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    duration_ms: int
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signed_headers(secret: str, message_id: str, body: str, at: datetime | None = None) -> dict[str, str]:
    """The Standard Webhooks headers of `body`: webhook-id, webhook-timestamp, webhook-signature."""
    at = at or datetime.now(UTC)
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
    }


def _pinned(url: str, address: targets.IPAddress) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
    """The URL aimed at `address`, with the Host header and TLS server name of the original."""
    original = httpx.URL(url)
    extensions = {"sni_hostname": original.host} if original.scheme == "https" else {}
    return original.copy_with(host=str(address)), {"host": original.netloc.decode("ascii")}, extensions


async def send(
    http: httpx.AsyncClient,
    url: str,
    secret: str,
    message_id: str,
    body: bytes,
    *,
    allow_private: bool,
    deadline: float,
) -> Outcome:
    """POST the signed body once; any answer but 2xx, and any error, is a failed attempt.

    The whole attempt (lookup, connect, TLS, status line and headers) must end within `deadline`
    seconds: the client's timeouts hold per read, and a receiver answering a byte at a time would
    otherwise hold the worker, and every other delivery of its batch, past its lease.
    """
    started = time.monotonic()
    try:
        async with asyncio.timeout(deadline):
            code, error = await _post(http, url, secret, message_id, body, allow_private=allow_private)
    except TimeoutError:
        code, error = None, "Timeout"
    except Exception as exc:  # one receiver's failure must not end the batch's round
        code, error = None, type(exc).__name__
    elapsed = int((time.monotonic() - started) * 1000)
    return Outcome(code, elapsed, error[:MAX_ERROR_CHARS] if error else None)


async def _post(
    http: httpx.AsyncClient, url: str, secret: str, message_id: str, body: bytes, *, allow_private: bool
) -> tuple[int | None, str | None]:
    """The status code, or the error, of one POST to the first vetted address that connects."""
    try:
        target = await targets.vet(url, allow_private=allow_private)
    except targets.TargetRefused as exc:
        return None, f"TargetRefused: {exc}"
    headers = signed_headers(secret, message_id, body.decode())
    for address in target.addresses:
        pinned, host, extensions = _pinned(url, address)
        request = http.build_request(
            "POST", pinned, content=body, headers=headers | host, extensions=extensions
        )
        try:
            response = await http.send(request, stream=True, follow_redirects=False)
        except httpx.ConnectError:
            continue  # the next address of the host, if any
        except httpx.HTTPError as exc:
            return None, type(exc).__name__
        await response.aclose()
        code = response.status_code
        return code, None if 200 <= code < 300 else f"HTTP {code}"
    return None, "ConnectError"
