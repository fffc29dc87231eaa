"""Delivery: a signed message arrives and verifies; an outage is retried with backoff; none is lost."""

import asyncio
import socket
import time
import uuid
from datetime import timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.cli import parser
from app.db import utcnow
from app.webhooks import service as webhook_service
from app.webhooks import worker
from app.webhooks.models import WebhookSubscription
from tests.coordination.helpers import set_status
from tests.persons.helpers import make_person, make_site
from tests.webhooks import WEBHOOKS, deliveries, hook_url, received, run_worker, subscribe

pytestmark = pytest.mark.usefixtures("private_targets")


async def _status_change(client, callers) -> dict:
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    await set_status(client, callers, person["id"], "verified")
    return person


async def test_a_delivered_message_carries_a_verifiable_standard_webhooks_signature(
    app, client, callers, receiver
):
    receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    hook = await subscribe(client, callers.admin, hook_url(receiver), ["person.status_changed"])
    assert hook["secret"].startswith("whsec_")
    person = await _status_change(client, callers)

    assert await run_worker(app) == 1

    [(body, headers)] = received(receiver)
    message = Webhook(hook["secret"]).verify(body, headers)
    assert message["type"] == "person.status_changed"
    assert message["data"] == {
        "person_id": person["id"],
        "from_status": "registered",
        "to_status": "verified",
        "occurred_on": message["data"]["occurred_on"],
    }
    assert headers["Content-Type"] == "application/json"
    # Signed with this subscription's secret only: another secret does not verify.
    with pytest.raises(WebhookVerificationError):
        Webhook(webhook_service.new_secret()).verify(body, headers)
    tampered = body.replace(b"verified", b"declined")
    with pytest.raises(WebhookVerificationError):
        Webhook(hook["secret"]).verify(tampered, headers)

    # The delivery log: delivered once, with the attempt recorded; webhook-id is the delivery id.
    log = await client.get(f"{WEBHOOKS}/{hook['id']}/deliveries", headers=callers.admin.headers)
    assert log.status_code == 200, log.text
    [item] = log.json()["items"]
    assert item["id"] == headers["Webhook-Id"]
    assert item["status"] == "delivered" and item["attempt_count"] == 1 and item["last_status_code"] == 200
    assert item["next_attempt_at"] is None and item["body"] == message
    detail = await client.get(
        f"{WEBHOOKS}/{hook['id']}/deliveries/{item['id']}", headers=callers.admin.headers
    )
    [attempt] = detail.json()["attempts"]
    assert attempt["status_code"] == 200 and attempt["error"] is None and attempt["duration_ms"] >= 0

    # Nothing is left to send.
    assert await run_worker(app) == 0
    assert len(receiver.log) == 1


async def test_a_receiver_outage_is_retried_with_backoff_until_it_answers(app, client, callers, receiver):
    receiver.expect_oneshot_request("/hook", method="POST").respond_with_data("down", status=503)
    hook = await subscribe(client, callers.admin, hook_url(receiver), ["person.status_changed"])
    await _status_change(client, callers)
    start = utcnow()

    assert await run_worker(app, now=start) == 1
    [row] = await deliveries(app)
    assert (row.status, row.attempt_count, row.last_status_code) == ("pending", 1, 503)
    # First retry after the 10 s base, plus at most 20% jitter.
    assert start + timedelta(seconds=10) <= row.next_attempt_at <= start + timedelta(seconds=12)

    # Not due yet: nothing is sent.
    assert await run_worker(app, now=start + timedelta(seconds=5)) == 0
    assert len(receiver.log) == 1

    receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    assert await run_worker(app, now=start + timedelta(seconds=13)) == 1
    [row] = await deliveries(app)
    assert (row.status, row.attempt_count, row.last_status_code) == ("delivered", 2, 200)
    # The same message both times: same webhook-id, same body, each verifiable.
    (first, first_headers), (second, second_headers) = received(receiver)
    assert first == second and first_headers["Webhook-Id"] == second_headers["Webhook-Id"] == str(row.id)
    Webhook(hook["secret"]).verify(second, second_headers)

    detail = await client.get(f"{WEBHOOKS}/{hook['id']}/deliveries/{row.id}", headers=callers.admin.headers)
    assert [a["status_code"] for a in detail.json()["attempts"]] == [503, 200]
    assert detail.json()["attempts"][0]["error"] == "HTTP 503"


async def test_a_receiver_that_is_down_keeps_the_event_until_the_window_closes(app, client, callers):
    # A port nobody listens on: connection refused.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    await subscribe(client, callers.admin, f"http://127.0.0.1:{port}/hook", ["person.status_changed"])
    await _status_change(client, callers)
    start = utcnow()

    assert await run_worker(app, now=start) == 1
    [row] = await deliveries(app)
    assert (row.status, row.attempt_count, row.last_error) == ("pending", 1, "ConnectError")
    async with app.state.sessionmaker() as session:
        assert await webhook_service.pending_count(session) == 1

    # Backoff doubles: the next attempts wait about 20 s, then 40 s.
    assert await run_worker(app, now=start + timedelta(seconds=13)) == 1
    [row] = await deliveries(app)
    gap = row.next_attempt_at - (start + timedelta(seconds=13))
    assert timedelta(seconds=20) <= gap <= timedelta(seconds=24)

    # 24 hours after the event the delivery is given up, and the backlog is empty.
    assert await run_worker(app, now=start + timedelta(hours=24, minutes=1)) == 0
    [row] = await deliveries(app)
    assert row.status == "failed" and row.attempt_count == 2
    async with app.state.sessionmaker() as session:
        assert await webhook_service.pending_count(session) == 0


async def test_redeliver_sends_the_same_message_again(app, client, callers, receiver):
    receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    hook = await subscribe(client, callers.admin, hook_url(receiver), ["person.status_changed"])
    await _status_change(client, callers)
    await run_worker(app)
    [row] = await deliveries(app)

    url = f"{WEBHOOKS}/{hook['id']}/deliveries/{row.id}/redeliver"
    response = await client.post(url, headers=callers.admin.headers)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "pending"
    assert await run_worker(app) == 1
    (first, first_headers), (second, second_headers) = received(receiver)
    assert first == second and first_headers["Webhook-Id"] == second_headers["Webhook-Id"]
    [row] = await deliveries(app)
    assert row.status == "delivered" and row.attempt_count == 2

    missing = await client.post(
        f"{WEBHOOKS}/{hook['id']}/deliveries/{uuid.uuid4()}/redeliver", headers=callers.admin.headers
    )
    assert missing.status_code == 404

    # Deleting the subscription takes its delivery log (and attempts) with it.
    assert (await client.delete(f"{WEBHOOKS}/{hook['id']}", headers=callers.admin.headers)).status_code == 204
    assert await deliveries(app) == []


async def test_two_workers_never_send_one_delivery_twice(app, client, callers, receiver):
    receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    await subscribe(client, callers.admin, hook_url(receiver), ["person.status_changed"])
    site = await make_site(client, callers)
    for _ in range(6):
        person = await make_person(client, callers, site["id"])
        await set_status(client, callers, person["id"], "verified")

    counts = await asyncio.gather(run_worker(app), run_worker(app))
    assert sum(counts) == 6
    ids = [headers["Webhook-Id"] for _, headers in received(receiver)]
    assert len(ids) == 6 and len(set(ids)) == 6
    assert {row.status for row in await deliveries(app)} == {"delivered"}


async def test_an_inactive_subscription_gets_no_events(app, client, callers, receiver):
    await subscribe(client, callers.admin, hook_url(receiver), ["person.status_changed"], active=False)
    await _status_change(client, callers)
    assert await deliveries(app) == []
    assert await run_worker(app) == 0


async def test_the_guard_runs_again_before_each_send(app, client, callers, receiver):
    receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    await subscribe(client, callers.admin, hook_url(receiver), ["person.status_changed"])
    await _status_change(client, callers)
    # The admin setting is switched off after the subscription was saved: 127.0.0.1 is refused now.
    app.state.settings = app.state.settings.model_copy(update={"webhook_allow_private_targets": False})

    assert await run_worker(app) == 1
    assert len(receiver.log) == 0
    [row] = await deliveries(app)
    assert row.status == "pending" and row.last_error.startswith("TargetRefused")


async def test_the_worker_runs_beside_the_api_when_the_setting_is_on(app, client, callers, receiver):
    receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    await subscribe(client, callers.admin, hook_url(receiver), ["person.status_changed"])
    await _status_change(client, callers)
    settings = app.state.settings.model_copy(update={"webhook_worker": True, "webhook_poll_seconds": 0.05})

    async with worker.beside(app.state.sessionmaker, settings):
        for _ in range(200):
            if receiver.log:
                break
            await asyncio.sleep(0.05)
    assert len(receiver.log) == 1
    assert parser().parse_args(["worker"]).func.__name__ == "webhook_worker"


async def test_a_stored_url_the_sender_cannot_use_fails_only_its_own_delivery(app, client, callers, receiver):
    receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    good = await subscribe(client, callers.admin, hook_url(receiver), ["person.status_changed"])
    bad = await subscribe(client, callers.admin, hook_url(receiver, "/other"), ["person.status_changed"])
    # A URL with a control character (saved by hand, or before the API refused them): urlsplit
    # accepts it, the HTTP client does not. It must not take the other deliveries down with it.
    async with app.state.sessionmaker() as session, session.begin():
        row = await session.get(WebhookSubscription, uuid.UUID(bad["id"]))
        row.url = hook_url(receiver, "/oth\x01er")
    await _status_change(client, callers)

    assert await run_worker(app) == 2
    assert len(received(receiver, "/hook")) == 1
    rows = {str(row.subscription_id): row for row in await deliveries(app)}
    assert rows[good["id"]].status == "delivered"
    refused = rows[bad["id"]]
    assert (refused.status, refused.attempt_count) == ("pending", 1)
    assert refused.last_error.startswith("TargetRefused")


async def test_a_receiver_that_answers_byte_by_byte_cannot_hold_the_worker(app, client, callers):
    """Each byte comes well within the read timeout; the attempt as a whole still ends on time."""

    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        try:
            for byte in b"HTTP/1.1 200 OK\r\nX-Uji: " + b"a" * 400:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.05)
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(drip, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    app.state.settings = app.state.settings.model_copy(update={"webhook_timeout_seconds": 0.5})
    async with server:
        await subscribe(client, callers.admin, f"http://127.0.0.1:{port}/hook", ["person.status_changed"])
        await _status_change(client, callers)
        started = time.monotonic()
        assert await asyncio.wait_for(run_worker(app), 15) == 1
        assert time.monotonic() - started < 5
    [row] = await deliveries(app)
    assert (row.status, row.attempt_count, row.last_error) == ("pending", 1, "Timeout")


async def test_an_unreadable_secret_holds_back_only_its_own_delivery(app, client, callers, receiver):
    receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    good = await subscribe(client, callers.admin, hook_url(receiver), ["person.status_changed"])
    bad = await subscribe(client, callers.admin, hook_url(receiver, "/other"), ["person.status_changed"])
    # Sealed for another row (as if under a data key this server no longer has): it cannot be opened.
    async with app.state.sessionmaker() as session, session.begin():
        row = await session.get(WebhookSubscription, uuid.UUID(bad["id"]))
        row.secret_ciphertext = (
            await session.get(WebhookSubscription, uuid.UUID(good["id"]))
        ).secret_ciphertext
    await _status_change(client, callers)

    assert await run_worker(app) == 1
    assert len(received(receiver, "/hook")) == 1 and received(receiver, "/other") == []
    rows = {str(row.subscription_id): row for row in await deliveries(app)}
    assert rows[good["id"]].status == "delivered"
    assert (rows[bad["id"]].status, rows[bad["id"]].attempt_count) == ("pending", 0)


def test_the_worker_keeps_no_connection_between_receivers():
    """Sends go to a checked IP address: a pooled TLS connection would serve another host name there."""
    from app.config import Settings
    from app.webhooks.worker import http_client

    client = http_client(Settings())
    pool = client._transport._pool  # httpx keeps its pool settings here
    assert pool._max_keepalive_connections == 0
