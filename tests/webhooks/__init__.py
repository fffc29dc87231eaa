"""Steps shared by the webhook tests: subscribing, running the worker with a fake clock, reading logs."""

import uuid
from datetime import datetime
from typing import Any

import httpx
from fastapi import FastAPI
from pytest_httpserver import HTTPServer
from sqlalchemy import select

from app.webhooks import worker
from app.webhooks.models import WebhookDelivery

WEBHOOKS = "/api/v1/webhooks"
HOOK_PATH = "/hook"


def hook_url(receiver: HTTPServer, path: str = HOOK_PATH) -> str:
    return f"http://127.0.0.1:{receiver.port}{path}"


async def subscribe(
    client: httpx.AsyncClient, caller: Any, url: str, event_types: list[str], **fields: Any
) -> dict[str, Any]:
    """A subscription; the response (with its one-time secret)."""
    body = {"url": url, "event_types": event_types, **fields}
    response = await client.post(WEBHOOKS, json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def run_worker(app: FastAPI, now: datetime | None = None) -> int:
    """One round of the delivery worker, with the app's settings, at `now` (fake clock) if given."""
    settings = app.state.settings
    async with worker.http_client(settings) as http:
        return await worker.run_once(app.state.sessionmaker, settings, http, now=now)


async def deliveries(app: FastAPI, subscription_id: str | None = None) -> list[WebhookDelivery]:
    """Delivery rows as stored, read in a transaction of their own."""
    async with app.state.sessionmaker() as session:
        stmt = select(WebhookDelivery).order_by(WebhookDelivery.id)
        if subscription_id is not None:
            stmt = stmt.where(WebhookDelivery.subscription_id == uuid.UUID(str(subscription_id)))
        return list((await session.scalars(stmt)).all())


def received(receiver: HTTPServer, path: str | None = None) -> list[tuple[bytes, dict[str, str]]]:
    """Bodies and headers of the requests the receiver got (at `path`, if given), in order."""
    return [
        (request.get_data(), dict(request.headers))
        for request, _ in receiver.log
        if path is None or request.path == path
    ]
