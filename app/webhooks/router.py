"""Webhooks: subscriptions for partner systems, and their delivery log."""

import uuid
from collections.abc import Sequence

from fastapi import APIRouter, Request, Response

from app.config import Settings
from app.conventions import IfMatchDep, set_etag
from app.db import SessionDep
from app.idempotency.deps import IdempotencyDep
from app.pagination import Page, PageDep
from app.security.deps import Permitted
from app.webhooks import service
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from app.webhooks.schemas import (
    AttemptRead,
    DeliveryDetail,
    DeliveryRead,
    DeliveryStatus,
    SecretRead,
    WebhookCreate,
    WebhookRead,
    WebhookUpdate,
    WebhookWithSecret,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _with_secret(subscription: WebhookSubscription, secret: str) -> WebhookWithSecret:
    return WebhookWithSecret.model_validate(
        {**WebhookRead.model_validate(subscription).model_dump(), "secret": secret}
    )


def _delivery(delivery: WebhookDelivery) -> DeliveryRead:
    return DeliveryRead(
        id=delivery.id,
        event_type=delivery.event_type,  # type: ignore[arg-type]
        occurred_at=delivery.occurred_at,
        status=delivery.status,  # type: ignore[arg-type]
        attempt_count=delivery.attempt_count,
        next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
        expires_at=delivery.expires_at,
        last_attempt_at=delivery.last_attempt_at,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        delivered_at=delivery.delivered_at,
        created_at=delivery.created_at,
        body=service.message(delivery),
    )


def _detail(delivery: WebhookDelivery, attempts: Sequence[WebhookAttempt]) -> DeliveryDetail:
    return DeliveryDetail(
        **_delivery(delivery).model_dump(), attempts=[AttemptRead.model_validate(a) for a in attempts]
    )


@router.get("", response_model=Page[WebhookRead])
async def list_webhooks(
    session: SessionDep,
    actor: Permitted("webhooks:manage"),
    page: PageDep,
    agency_id: uuid.UUID | None = None,
    active: bool | None = None,
) -> Page[WebhookRead]:
    """List webhook subscriptions (partners: their agency's)."""
    items, cursor = await service.list_webhooks(session, actor, page, agency_id=agency_id, active=active)
    return Page.of(items, cursor, WebhookRead)


@router.post("", status_code=201, response_model=WebhookWithSecret)
async def create_webhook(
    body: WebhookCreate,
    request: Request,
    session: SessionDep,
    actor: Permitted("webhooks:manage"),
    idem: IdempotencyDep,
) -> Response:
    """Subscribe a URL to events; the response carries the signing `secret`, shown this once."""
    subscription, secret = await service.create(session, actor, body, _settings(request))
    return await idem.created(
        _with_secret(subscription, secret),
        "get_webhook",
        webhook_id=subscription.id,
        version=subscription.version,
    )


@router.get("/{webhook_id}", response_model=WebhookRead)
async def get_webhook(
    webhook_id: uuid.UUID, session: SessionDep, actor: Permitted("webhooks:manage"), response: Response
) -> WebhookRead:
    """One subscription (never its secret)."""
    subscription = await service.get(session, actor, webhook_id)
    set_etag(response, subscription.version)
    return WebhookRead.model_validate(subscription)


@router.patch("/{webhook_id}", response_model=WebhookRead)
async def update_webhook(
    webhook_id: uuid.UUID,
    body: WebhookUpdate,
    expected: IfMatchDep,
    request: Request,
    session: SessionDep,
    actor: Permitted("webhooks:manage"),
    response: Response,
) -> WebhookRead:
    """Change the URL, event types, description or activity; needs If-Match with its ETag."""
    subscription = await service.update(session, actor, webhook_id, body, expected, _settings(request))
    set_etag(response, subscription.version)
    return WebhookRead.model_validate(subscription)


@router.delete("/{webhook_id}", status_code=204)
async def delete_webhook(
    webhook_id: uuid.UUID, session: SessionDep, actor: Permitted("webhooks:manage")
) -> None:
    """Delete a subscription and its delivery log."""
    await service.delete(session, actor, webhook_id)


@router.post("/{webhook_id}/rotate-secret", response_model=SecretRead)
async def rotate_webhook_secret(
    webhook_id: uuid.UUID, session: SessionDep, actor: Permitted("webhooks:manage"), response: Response
) -> SecretRead:
    """Replace the signing secret; the new one is shown this once and signs every message from now."""
    subscription, secret = await service.rotate_secret(session, actor, webhook_id)
    set_etag(response, subscription.version)
    return SecretRead(secret=secret)


@router.get("/{webhook_id}/deliveries", response_model=Page[DeliveryRead])
async def list_deliveries(
    webhook_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("webhooks:manage"),
    page: PageDep,
    status: DeliveryStatus | None = None,
) -> Page[DeliveryRead]:
    """The delivery log: each event sent (or to be sent) to this subscription, oldest first."""
    items, cursor = await service.list_deliveries(session, actor, webhook_id, page, status=status)
    return Page.of(items, cursor, _delivery)


@router.get("/{webhook_id}/deliveries/{delivery_id}", response_model=DeliveryDetail)
async def get_delivery(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, session: SessionDep, actor: Permitted("webhooks:manage")
) -> DeliveryDetail:
    """One delivery with every attempt (status code, duration, error class)."""
    delivery, attempts = await service.get_delivery(session, actor, webhook_id, delivery_id)
    return _detail(delivery, attempts)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver", status_code=202, response_model=DeliveryDetail
)
async def redeliver(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, session: SessionDep, actor: Permitted("webhooks:manage")
) -> DeliveryDetail:
    """Send the delivery again (same `webhook-id`), with a fresh retry window."""
    delivery, attempts = await service.redeliver(session, actor, webhook_id, delivery_id)
    return _detail(delivery, attempts)
