"""Webhook subscriptions, the outbox they are fed from, and the delivery log.

`enqueue` writes one delivery row per event and subscriber in the caller's transaction: the event
commits with the change that caused it, and a rolled-back change leaves nothing to send. The
worker (app/webhooks/worker.py) sends what is committed. Partners manage only their own agency's
subscriptions, and a subscription of an agency only ever receives that agency's view.
"""

import base64
import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, false, func, insert, select, true
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.agencies import service as agency_service
from app.agencies.models import Agency
from app.audit import service as audit
from app.config import Settings, get_settings
from app.conventions import check_version
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.ids import uuid7
from app.lookups import get_child_or_404
from app.pagination import PageParams, paginate_rows
from app.security import crypto
from app.security.policy import Role
from app.security.principal import Actor
from app.webhooks import targets
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from app.webhooks.schemas import STAFF_ONLY_EVENTS, WebhookCreate, WebhookUpdate

SECRET_FIELD = "webhook_secret"  # noqa: S105 - the associated data's field name, not a secret
SECRET_BYTES = 32
# Rows per INSERT when a bulk change (a determination run) queues many events.
INSERT_CHUNK = 1000
_CACHE_KEY = "webhooks.subscribers"


class WebhookNotFound(NotFound):
    slug, title = "webhook-not-found", "Webhook not found"


class DeliveryNotFound(NotFound):
    slug, title = "delivery-not-found", "Delivery not found"


class DeliveryDropped(Conflict):
    slug, title = "delivery-dropped", "Delivery dropped"


class NoAgency(Forbidden):
    slug, title = "no-agency", "No agency"


# --- subscriptions ------------------------------------------------------------------------


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(os.urandom(SECRET_BYTES)).decode()


def decrypt_secret(ciphertext: bytes, subscription_id: uuid.UUID) -> str:
    """The signing secret of a subscription, for the worker to sign with."""
    return crypto.decrypt(ciphertext, subscription_id, SECRET_FIELD)


def _visible(actor: Actor) -> ColumnElement[bool]:
    """Partners reach only their own agency's subscriptions; admins every one."""
    if not actor.is_partner:
        return true()
    if actor.agency_id is None:
        return false()
    return WebhookSubscription.agency_id == actor.agency_id


async def get(session: AsyncSession, actor: Actor, webhook_id: uuid.UUID) -> WebhookSubscription:
    """The subscription if `actor` may manage it; otherwise 404, whether or not it exists."""
    subscription = await session.scalar(
        select(WebhookSubscription).where(WebhookSubscription.id == webhook_id, _visible(actor))
    )
    if subscription is None:
        raise WebhookNotFound(resource_type="webhook", resource_id=webhook_id)
    return subscription


async def _check_url(url: str, settings: Settings) -> None:
    try:
        await targets.vet(url, allow_private=settings.webhook_allow_private_targets)
    except targets.TargetRefused as exc:
        raise InvalidInput([(("body", "url"), str(exc))]) from exc


def _check_events(agency_id: uuid.UUID | None, event_types: Iterable[str]) -> None:
    refused = sorted(set(event_types) & STAFF_ONLY_EVENTS) if agency_id is not None else []
    if refused:
        raise InvalidInput(
            [(("body", "event_types"), f"{', '.join(refused)} is for staff subscriptions only")]
        )


async def _owner(session: AsyncSession, actor: Actor, agency_id: uuid.UUID | None) -> uuid.UUID | None:
    """The agency whose view a new subscription takes: a partner's own, or the admin's choice."""
    if not actor.is_partner:
        await agency_service.require_active(session, agency_id)
        return agency_id
    if actor.agency_id is None:
        raise NoAgency("A partner without an agency cannot subscribe.")
    if agency_id not in (None, actor.agency_id):
        raise InvalidInput([(("body", "agency_id"), "partners subscribe for their own agency only")])
    return actor.agency_id


async def create(
    session: AsyncSession, actor: Actor, data: WebhookCreate, settings: Settings
) -> tuple[WebhookSubscription, str]:
    """A subscription and its signing secret (returned this once, stored encrypted)."""
    agency_id = await _owner(session, actor, data.agency_id)
    _check_events(agency_id, data.event_types)
    await _check_url(data.url, settings)
    secret, subscription_id = new_secret(), uuid7()
    subscription = WebhookSubscription(
        id=subscription_id,
        agency_id=agency_id,
        url=data.url,
        event_types=list(data.event_types),
        description=data.description,
        active=data.active,
        secret_ciphertext=crypto.encrypt(secret, subscription_id, SECRET_FIELD),
        created_by=actor.id,
    )
    session.add(subscription)
    forget_subscribers(session)
    await audit.record_change(session, actor, "webhook.create", subscription, resource_type="webhook")
    return subscription, secret


async def update(
    session: AsyncSession,
    actor: Actor,
    webhook_id: uuid.UUID,
    data: WebhookUpdate,
    expected: int | None,
    settings: Settings,
) -> WebhookSubscription:
    """Change url, event types, description or activity; If-Match must name the current version."""
    subscription = await get(session, actor, webhook_id)
    check_version(expected, subscription.version)
    changes = data.model_dump(exclude_unset=True)
    if "event_types" in changes:
        _check_events(subscription.agency_id, changes["event_types"])
    if "url" in changes and changes["url"] != subscription.url:
        await _check_url(changes["url"], settings)
    for field, value in changes.items():
        setattr(subscription, field, list(value) if field == "event_types" else value)
    forget_subscribers(session)
    await audit.record_change(session, actor, "webhook.update", subscription, resource_type="webhook")
    return subscription


async def delete(session: AsyncSession, actor: Actor, webhook_id: uuid.UUID) -> None:
    """Delete a subscription with its delivery log; nothing more is sent to it."""
    subscription = await get(session, actor, webhook_id)
    await session.delete(subscription)
    forget_subscribers(session)
    await audit.record_change(session, actor, "webhook.delete", webhook_id, resource_type="webhook")


async def rotate_secret(
    session: AsyncSession, actor: Actor, webhook_id: uuid.UUID
) -> tuple[WebhookSubscription, str]:
    """A new signing secret, returned this once; messages are signed with it from now on."""
    subscription = await get(session, actor, webhook_id)
    secret = new_secret()
    subscription.secret_ciphertext = crypto.encrypt(secret, subscription.id, SECRET_FIELD)
    await audit.record_change(session, actor, "webhook.rotate_secret", subscription, resource_type="webhook")
    return subscription, secret


async def list_webhooks(
    session: AsyncSession,
    actor: Actor,
    page: PageParams,
    *,
    agency_id: uuid.UUID | None = None,
    active: bool | None = None,
) -> tuple[list[WebhookSubscription], str | None]:
    stmt = select(WebhookSubscription).where(_visible(actor))
    if agency_id is not None:
        stmt = stmt.where(WebhookSubscription.agency_id == agency_id)
    if active is not None:
        stmt = stmt.where(WebhookSubscription.active == active)
    rows, cursor = await paginate_rows(session, stmt, WebhookSubscription.id, page)
    return [r[0] for r in rows], cursor


# --- the delivery log ---------------------------------------------------------------------


def message(delivery: WebhookDelivery) -> dict[str, Any]:
    """The Standard Webhooks body of a delivery."""
    return {
        "type": delivery.event_type,
        "timestamp": delivery.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": delivery.payload,
    }


async def list_deliveries(
    session: AsyncSession,
    actor: Actor,
    webhook_id: uuid.UUID,
    page: PageParams,
    *,
    status: str | None = None,
) -> tuple[list[WebhookDelivery], str | None]:
    """The subscription's deliveries, oldest first."""
    await get(session, actor, webhook_id)
    stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == webhook_id)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    rows, cursor = await paginate_rows(session, stmt, WebhookDelivery.id, page)
    return [r[0] for r in rows], cursor


async def get_delivery(
    session: AsyncSession, actor: Actor, webhook_id: uuid.UUID, delivery_id: uuid.UUID
) -> tuple[WebhookDelivery, Sequence[WebhookAttempt]]:
    """One delivery of a subscription `actor` may manage, with every attempt."""
    _, delivery = await get_child_or_404(
        session,
        get(session, actor, webhook_id),
        WebhookDelivery,
        delivery_id,
        parent_key=WebhookDelivery.subscription_id,
        not_found=DeliveryNotFound,
        resource_type="webhook_delivery",
    )
    attempts = await session.scalars(
        select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id).order_by(WebhookAttempt.id)
    )
    return delivery, attempts.all()


async def redeliver(
    session: AsyncSession, actor: Actor, webhook_id: uuid.UUID, delivery_id: uuid.UUID
) -> tuple[WebhookDelivery, Sequence[WebhookAttempt]]:
    """Queue the delivery again, now, with a fresh retry window (same `webhook-id`: receivers dedupe)."""
    delivery, attempts = await get_delivery(session, actor, webhook_id, delivery_id)
    if delivery.status == "dropped":
        raise DeliveryDropped("A dropped delivery is not sent again: the agency may no longer read it.")
    now = utcnow()
    delivery.status, delivery.next_attempt_at, delivery.delivered_at = "pending", now, None
    delivery.expires_at = now + timedelta(hours=get_settings().webhook_retry_window_hours)
    await audit.record_change(session, actor, "webhook.redeliver", delivery, resource_type="webhook_delivery")
    return delivery, attempts


async def pending_count(session: AsyncSession) -> int:
    """Deliveries not yet delivered nor given up: the webhook backlog."""
    return (
        await session.scalar(
            select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.status == "pending")
        )
        or 0
    )


# --- the outbox ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Subscriber:
    """An active subscription, as emission needs it: whose view, and which events."""

    id: uuid.UUID
    agency_id: uuid.UUID | None
    event_types: frozenset[str]


def agencies_of(subscribers: Sequence[Subscriber]) -> set[uuid.UUID]:
    """The agencies with a subscription among `subscribers` (the staff ones have none)."""
    return {s.agency_id for s in subscribers if s.agency_id is not None}


def as_partner(agency_id: uuid.UUID) -> Actor:
    """A partner of `agency_id`, to ask the domains' own visibility conditions what it may see."""
    nobody = uuid.UUID(int=0)
    return Actor(kind="system", id=nobody, role=Role.partner, agency_id=agency_id, token_id=nobody)


def iso(value: datetime | date | None) -> str | None:
    """A payload's dates as YYYY-MM-DD; instants in UTC, as the API writes them."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return None if value is None else value.isoformat()


def forget_subscribers(session: AsyncSession | Session) -> None:
    session.info.pop(_CACHE_KEY, None)


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_at_transaction_end(session: Session, _transaction: Any) -> None:
    # The cache lives for one transaction: a bulk change loads subscriptions once, not per row.
    forget_subscribers(session)


def live(stmt: Any) -> Any:
    """Limit a query on subscriptions to active ones whose agency (if any) is still active."""
    return stmt.outerjoin(Agency, Agency.id == WebhookSubscription.agency_id).where(
        WebhookSubscription.active.is_(True),
        (WebhookSubscription.agency_id.is_(None)) | Agency.active.is_(True),
    )


async def subscribers(session: AsyncSession, event_type: str) -> list[Subscriber]:
    """The live subscriptions to `event_type` (loaded once per transaction)."""
    cached: list[Subscriber] | None = session.info.get(_CACHE_KEY)
    if cached is None:
        rows = await session.execute(
            live(
                select(WebhookSubscription.id, WebhookSubscription.agency_id, WebhookSubscription.event_types)
            )
        )
        cached = [Subscriber(id, agency_id, frozenset(types)) for id, agency_id, types in rows]
        session.info[_CACHE_KEY] = cached
    return [s for s in cached if event_type in s.event_types]


View = Mapping[uuid.UUID | None, Mapping[str, Any]]
"""An event's data per audience: None is the staff view, an agency id that agency's view."""


async def enqueue(
    session: AsyncSession,
    event_type: str,
    audience: Sequence[Subscriber],
    views: Iterable[View],
    *,
    occurred_at: datetime | None = None,
) -> int:
    """Write a delivery for each event and each subscriber that has a view of it; returns how many.

    A subscriber without a view (an agency that may not see the object) gets nothing; the staff-only
    events never reach an agency's subscription, whatever the caller passes.
    """
    now = utcnow()
    occurred_at = occurred_at or now
    expires_at = now + timedelta(hours=get_settings().webhook_retry_window_hours)
    rows: list[dict[str, Any]] = []
    written = 0
    for view in views:
        for subscriber in audience:
            data = view.get(subscriber.agency_id)
            if data is None or (subscriber.agency_id is not None and event_type in STAFF_ONLY_EVENTS):
                continue
            rows.append(
                {
                    "id": uuid7(),
                    "subscription_id": subscriber.id,
                    "event_type": event_type,
                    "occurred_at": occurred_at,
                    "payload": dict(data),
                    "status": "pending",
                    "attempt_count": 0,
                    "next_attempt_at": now,
                    "expires_at": expires_at,
                    "created_at": now,
                }
            )
            if len(rows) >= INSERT_CHUNK:
                await session.execute(insert(WebhookDelivery), rows)
                written, rows = written + len(rows), []
    if rows:
        await session.execute(insert(WebhookDelivery), rows)
        written += len(rows)
    return written
