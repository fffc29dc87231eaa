"""The delivery worker: claims due deliveries, sends them, records each attempt, schedules retries.

A claim is a short transaction that leases the rows (their next attempt moves past the send's
timeout): PostgreSQL skips rows another worker holds (FOR UPDATE SKIP LOCKED), SQLite serializes
writers. Nothing is locked while sending. A worker that dies mid-send leaves its lease to expire,
and the delivery is sent again (at least once; receivers deduplicate on `webhook-id`).
Retries back off exponentially with jitter until the retry window after the event, then fail.
Each claim asks again whether the subscribing agency may still read what the event is about
(app/webhooks/flows.py `still_allowed`): one that may not is dropped, its payload cleared, and
nothing is sent.
"""

import asyncio
import logging
import random
import signal
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import orjson
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.chain import Sealer
from app.config import Settings
from app.db import create_engine, create_sessionmaker, utcnow
from app.logging import configure_logging
from app.webhooks import delivery, flows, service
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

log = logging.getLogger("app.webhooks")

DROPPED = "dropped: the agency may no longer read what the event is about"

Sessionmaker = async_sessionmaker[AsyncSession]


@dataclass(frozen=True, slots=True)
class Claimed:
    """A leased delivery and what sending it needs."""

    id: uuid.UUID
    url: str
    secret: str
    body: bytes
    attempt_count: int
    expires_at: datetime


def backoff(attempts: int, settings: Settings) -> timedelta:
    """The wait after the `attempts`-th failure: base doubling up to the cap, plus up to 20% jitter."""
    delay = min(settings.webhook_retry_max_seconds, settings.webhook_retry_base_seconds * 2 ** (attempts - 1))
    # Jitter spreads the retries of many deliveries that failed together (a receiver's outage).
    return timedelta(seconds=delay + random.uniform(0, delay / 5))  # noqa: S311 - not security


def _lease(settings: Settings) -> timedelta:
    """How long a claim holds its rows: longer than any send can take."""
    return timedelta(seconds=max(60.0, 3 * settings.webhook_timeout_seconds))


async def _expire(sessionmaker: Sessionmaker, now: datetime) -> None:
    """Give up on deliveries past their retry window (e.g. of a subscription switched off)."""
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.expires_at <= now)
            .values(status="failed", last_error="expired: not delivered within the retry window")
        )


async def _claim(sessionmaker: Sessionmaker, settings: Settings, now: datetime) -> list[Claimed]:
    """Lease up to a batch of due deliveries of live subscriptions (a deactivated agency gets none)."""
    async with sessionmaker() as session, session.begin():
        stmt = (
            service.live(
                select(
                    WebhookDelivery,
                    WebhookSubscription.url,
                    WebhookSubscription.secret_ciphertext,
                    WebhookSubscription.agency_id,
                ).join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            )
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(settings.webhook_batch_size)
        )
        if session.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=WebhookDelivery)
        rows = await _drop_disallowed(session, (await session.execute(stmt)).all())
        if not rows:
            return []
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_([row[0].id for row in rows]))
            .values(next_attempt_at=now + _lease(settings))
        )
        claimed = [_claimed(row, url, ciphertext) for row, url, ciphertext, _ in rows]
        return [c for c in claimed if c is not None]


async def _drop_disallowed(session: AsyncSession, rows: list) -> list:
    """The rows still allowed at send time; the others are dropped (status, reason, payload cleared)."""
    allowed, dropped = [], []
    for row in rows:
        delivery_row, agency_id = row[0], row[3]
        ok = await flows.still_allowed(session, agency_id, delivery_row.event_type, delivery_row.payload)
        (allowed if ok else dropped).append(row)
    if dropped:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_([row[0].id for row in dropped]))
            .values(status="dropped", payload={}, last_error=DROPPED)
        )
        for row in dropped:
            log.info("webhook delivery dropped", extra={"delivery_id": str(row[0].id), "outcome": "dropped"})
    return allowed


def _claimed(row: WebhookDelivery, url: str, ciphertext: bytes) -> Claimed | None:
    """A leased delivery ready to send; None when its secret cannot be read (it waits, alone)."""
    try:
        secret = service.decrypt_secret(ciphertext, row.subscription_id)
    except (LookupError, ValueError):
        # A retired data key missing from the settings: the others must still go out.
        log.error("webhook secret unreadable", extra={"subscription_id": str(row.subscription_id)})
        return None
    return Claimed(
        id=row.id,
        url=url,
        secret=secret,
        body=orjson.dumps(service.message(row)),
        attempt_count=row.attempt_count,
        expires_at=row.expires_at,
    )


async def _record(
    sessionmaker: Sessionmaker,
    settings: Settings,
    results: list[tuple[Claimed, delivery.Outcome]],
    now: datetime,
) -> None:
    """Write each attempt and the delivery's new state: delivered, retried later, or failed."""
    async with sessionmaker() as session, session.begin():
        for claimed, outcome in results:
            attempts = claimed.attempt_count + 1
            values: dict[str, object] = {
                "attempt_count": attempts,
                "last_attempt_at": now,
                "last_status_code": outcome.status_code,
                "last_error": outcome.error,
            }
            if outcome.delivered:
                values |= {"status": "delivered", "delivered_at": now}
            else:
                retry_at = now + backoff(attempts, settings)
                values |= (
                    {"status": "failed"}
                    if retry_at > claimed.expires_at
                    else {"status": "pending", "next_attempt_at": retry_at}
                )
            changed = await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == claimed.id, WebhookDelivery.status == "pending")
                .values(**values)
            )
            if changed.rowcount:  # else deleted with its subscription meanwhile
                session.add(
                    WebhookAttempt(
                        delivery_id=claimed.id,
                        attempted_at=now,
                        status_code=outcome.status_code,
                        duration_ms=outcome.duration_ms,
                        error=outcome.error,
                    )
                )
            log.info(
                "webhook attempt",
                extra={
                    "delivery_id": str(claimed.id),
                    "status_code": outcome.status_code,
                    "error": outcome.error,
                    "duration_ms": outcome.duration_ms,
                    "outcome": values["status"],
                },
            )


async def run_once(
    sessionmaker: Sessionmaker, settings: Settings, http: httpx.AsyncClient, *, now: datetime | None = None
) -> int:
    """Send what is due at `now` (default: the clock) once; returns how many deliveries were tried.

    `now` decides what is due and when retries fall; the signature's timestamp is always the
    real time of sending, since receivers check it against their clock.
    """
    now = now or utcnow()
    await _expire(sessionmaker, now)
    claimed = await _claim(sessionmaker, settings, now)
    if not claimed:
        return 0
    allow_private = settings.webhook_allow_private_targets
    deadline = settings.webhook_timeout_seconds  # well within the lease (see _lease)
    outcomes = await asyncio.gather(
        *(
            delivery.send(
                http, c.url, c.secret, str(c.id), c.body, allow_private=allow_private, deadline=deadline
            )
            for c in claimed
        )
    )
    await _record(sessionmaker, settings, list(zip(claimed, outcomes, strict=True)), now)
    return len(claimed)


def http_client(settings: Settings) -> httpx.AsyncClient:
    """The worker's client: short timeouts, no redirects, no proxy from the environment."""
    return httpx.AsyncClient(
        timeout=settings.webhook_timeout_seconds,
        follow_redirects=False,
        trust_env=False,
        # Requests are aimed at the checked IP address, so a kept-alive connection would be shared by
        # every receiver on that address, its certificate checked for the first host name only.
        limits=httpx.Limits(max_connections=settings.webhook_batch_size, max_keepalive_connections=0),
    )


async def run(sessionmaker: Sessionmaker, settings: Settings, stop: asyncio.Event) -> None:
    """Deliver until `stop` is set; a failing round (database down) is logged and retried.

    Between rounds it also seals the audit trail and anchors its head (app.audit.chain).
    """
    sealer = Sealer(sessionmaker, settings)
    async with http_client(settings) as http:
        while not stop.is_set():
            await sealer.tick()
            try:
                done = await run_once(sessionmaker, settings, http)
            except Exception as exc:  # the loop must outlive an outage
                log.warning("webhook round failed", extra={"error": type(exc).__name__})
                done = 0
            if done < settings.webhook_batch_size:
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), settings.webhook_poll_seconds)


@asynccontextmanager
async def beside(sessionmaker: Sessionmaker, settings: Settings) -> AsyncIterator[None]:
    """Run the worker as a task of this process while the block runs (when the setting says so)."""
    if not settings.webhook_worker:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(run(sessionmaker, settings, stop), name="webhook-worker")
    log.info("webhook worker started beside the API")
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, settings.webhook_timeout_seconds + 5)
        except TimeoutError:
            log.warning("webhook worker did not stop in time")


async def main(settings: Settings) -> None:
    """`python -m app worker`: deliver until SIGINT or SIGTERM."""
    configure_logging(settings.log_level)
    engine = create_engine(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    log.info("webhook worker started")
    try:
        await run(create_sessionmaker(engine), settings, stop)
    finally:
        await engine.dispose()
        log.info("webhook worker stopped")
