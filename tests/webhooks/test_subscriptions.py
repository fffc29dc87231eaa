"""Subscriptions: who may manage which, the secret shown once, the SSRF guard, and bad input."""

import ipaddress
import uuid

import pytest
from sqlalchemy import func, select

from app.webhooks import targets
from app.webhooks.models import WebhookSubscription
from tests.platform import assert_problem, error_locs
from tests.webhooks import WEBHOOKS, subscribe

RECEIVER = "http://127.0.0.1:9/hook"


async def _count(app) -> int:
    async with app.state.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(WebhookSubscription))


@pytest.mark.usefixtures("private_targets")
async def test_the_secret_is_shown_once_and_stored_encrypted(app, client, callers):
    hook = await subscribe(client, callers.partner_a, RECEIVER, ["person.referred"], description="Sistem Uji")
    secret = hook["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40

    response = await client.get(f"{WEBHOOKS}/{hook['id']}", headers=callers.partner_a.headers)
    assert response.status_code == 200 and "secret" not in response.json()
    assert response.headers["etag"] == '"1"'
    listed = await client.get(WEBHOOKS, headers=callers.partner_a.headers)
    assert [i["id"] for i in listed.json()["items"]] == [hook["id"]]
    assert secret not in listed.text and "secret" not in listed.json()["items"][0]
    async with app.state.sessionmaker() as session:
        row = await session.get(WebhookSubscription, uuid.UUID(hook["id"]))
        assert secret.encode() not in row.secret_ciphertext

    rotated = await client.post(f"{WEBHOOKS}/{hook['id']}/rotate-secret", headers=callers.partner_a.headers)
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["secret"].startswith("whsec_") and rotated.json()["secret"] != secret


@pytest.mark.usefixtures("private_targets")
async def test_a_partner_manages_only_its_own_agencys_webhooks(app, client, callers):
    own = await subscribe(client, callers.partner_a, RECEIVER, ["person.referred"])
    staff = await subscribe(client, callers.admin, RECEIVER, ["determination.changed"])
    assert own["agency_id"] == str(callers.agency_a.id) and staff["agency_id"] is None

    intruder = callers.partner_b.headers
    for method, path in (
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/rotate-secret"),
        ("GET", "/deliveries"),
        ("GET", f"/deliveries/{uuid.uuid4()}"),
        ("POST", f"/deliveries/{uuid.uuid4()}/redeliver"),
    ):
        for hook in (own, staff):
            response = await client.request(
                method,
                f"{WEBHOOKS}/{hook['id']}{path}",
                headers={**intruder, "If-Match": '"1"'},
                json={"active": False} if method == "PATCH" else None,
            )
            assert_problem(response, 404)
    listed = await client.get(WEBHOOKS, headers=intruder)
    assert listed.json()["items"] == []
    # Asking for another agency's list by filter shows nothing either.
    filtered = await client.get(WEBHOOKS, params={"agency_id": str(callers.agency_a.id)}, headers=intruder)
    assert filtered.json()["items"] == []

    # Admins see and manage all; officers, auditors and viewers none.
    everything = await client.get(WEBHOOKS, headers=callers.admin.headers)
    assert {i["id"] for i in everything.json()["items"]} == {own["id"], staff["id"]}
    for caller in (callers.officer, callers.auditor, callers.viewer):
        assert_problem(await client.get(WEBHOOKS, headers=caller.headers), 403)

    # Nothing of A's changed.
    response = await client.get(f"{WEBHOOKS}/{own['id']}", headers=callers.partner_a.headers)
    assert response.json()["active"] is True and response.json()["version"] == 1


@pytest.mark.usefixtures("private_targets")
async def test_partners_subscribe_for_their_own_agency_and_never_to_determinations(app, client, callers):
    for body, loc in (
        ({"event_types": ["determination.changed"]}, ["body", "event_types"]),
        ({"event_types": ["person.referred"], "agency_id": str(callers.agency_b.id)}, ["body", "agency_id"]),
    ):
        response = await client.post(
            WEBHOOKS, json={"url": RECEIVER, **body}, headers=callers.partner_a.headers
        )
        assert loc in error_locs(assert_problem(response, 422))
    # An admin's subscription for an agency takes that agency's view: no determinations either.
    response = await client.post(
        WEBHOOKS,
        json={
            "url": RECEIVER,
            "event_types": ["determination.changed"],
            "agency_id": str(callers.agency_a.id),
        },
        headers=callers.admin.headers,
    )
    assert_problem(response, 422)
    own = await subscribe(client, callers.partner_a, RECEIVER, ["person.referred"])
    response = await client.patch(
        f"{WEBHOOKS}/{own['id']}",
        json={"event_types": ["person.referred", "determination.changed"]},
        headers={**callers.partner_a.headers, "If-Match": '"1"'},
    )
    assert ["body", "event_types"] in error_locs(assert_problem(response, 422))
    assert await _count(app) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/hook",  # not https
        "https://127.0.0.1/hook",  # loopback
        "https://localhost/hook",  # resolves to loopback
        "https://10.1.2.3/hook",  # private
        "https://192.168.1.10/hook",
        "https://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",  # loopback inside IPv6
        "https://100.64.0.1/hook",  # shared address space
        "https://0.0.0.0/hook",
        "https://user:pass@203.0.113.9/hook",  # credentials in the URL
        "https://no-such-host.invalid/hook",
        "ftp://203.0.113.9/hook",
        "https:///hook",
    ],
)
async def test_internal_or_unsafe_targets_are_refused(app, client, callers, url):
    response = await client.post(
        WEBHOOKS, json={"url": url, "event_types": ["person.referred"]}, headers=callers.admin.headers
    )
    assert ["body", "url"] in error_locs(assert_problem(response, 422))
    assert await _count(app) == 0


async def test_a_changed_url_is_checked_too(app, client, callers, private_targets):
    own = await subscribe(client, callers.partner_a, RECEIVER, ["person.referred"])
    app.state.settings = private_targets.model_copy(update={"webhook_allow_private_targets": False})
    response = await client.patch(
        f"{WEBHOOKS}/{own['id']}",
        json={"url": "https://10.0.0.1/hook"},
        headers={**callers.partner_a.headers, "If-Match": '"1"'},
    )
    assert ["body", "url"] in error_locs(assert_problem(response, 422))


def test_the_guard_classifies_addresses():
    internal = ["127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.0.1", "169.254.1.1", "100.64.0.1", "0.0.0.0"]  # noqa: S104
    internal += ["224.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:10.0.0.1", "2002:7f00:1::", "240.0.0.1"]
    # IPv6 forms that a NAT64 gateway or SIIT translator turns into the IPv4 address they carry,
    # IPv4-compatible (deprecated) and local-use NAT64 addresses, and Teredo tunnels.
    internal += [
        "64:ff9b::7f00:1",
        "64:ff9b::a00:1",
        "64:ff9b::a9fe:a9fe",
        "::ffff:0:7f00:1",
        "::ffff:0:a00:1",
    ]
    internal += ["::7f00:1", "::808:808", "64:ff9b:1::808:808", "2001:0:4136:e378:8000:63bf:3fff:fdd2"]
    for address in internal:
        assert targets._internal(ipaddress.ip_address(address)), address
    for address in ("8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "64:ff9b::808:808", "::ffff:8.8.8.8"):
        assert not targets._internal(ipaddress.ip_address(address)), address


@pytest.mark.usefixtures("private_targets")
async def test_bad_input_is_a_problem_and_changes_nothing(app, client, callers):
    admin = callers.admin.headers
    for body in (
        {},
        {"url": RECEIVER},
        {"url": RECEIVER, "event_types": []},
        {"url": RECEIVER, "event_types": ["person.deleted"]},
        {"url": RECEIVER, "event_types": ["person.referred", "person.referred"]},
        {"url": RECEIVER, "event_types": ["person.referred"], "secret": "whsec_mine"},
        {"url": "x" * 3000, "event_types": ["person.referred"]},
        # Control characters: urlsplit drops some silently, the sender's URL parser refuses them.
        {"url": RECEIVER + "\u0001", "event_types": ["person.referred"]},
        {"url": "http://127.0.0.1:9\t/hook", "event_types": ["person.referred"]},
        {"url": RECEIVER, "event_types": ["person.referred"], "agency_id": str(uuid.uuid4())},
    ):
        assert_problem(await client.post(WEBHOOKS, json=body, headers=admin), 422)
    assert await _count(app) == 0

    hook = await subscribe(client, callers.admin, RECEIVER, ["person.referred"])
    url = f"{WEBHOOKS}/{hook['id']}"
    assert_problem(await client.patch(url, json={"active": False}, headers=admin), 428)
    assert_problem(await client.patch(url, json={"active": False}, headers={**admin, "If-Match": '"7"'}), 412)
    for body in ({"url": None}, {"event_types": None}, {"active": None}, {"version": 3}):
        assert_problem(await client.patch(url, json=body, headers={**admin, "If-Match": '"1"'}), 422)
    assert_problem(await client.get(f"{url}/deliveries", params={"cursor": "nonsense"}, headers=admin), 422)
    assert_problem(await client.get(f"{url}/deliveries", params={"status": "lost"}, headers=admin), 422)
    assert_problem(await client.get(f"{WEBHOOKS}/not-a-uuid", headers=admin), 422)
    current = await client.get(url, headers=admin)
    assert current.json()["version"] == 1 and current.json()["active"] is True

    changed = await client.patch(
        url, json={"active": False, "description": "Dijeda"}, headers={**admin, "If-Match": '"1"'}
    )
    assert changed.status_code == 200 and changed.headers["etag"] == '"2"'
    assert (await client.delete(url, headers=admin)).status_code == 204
    assert_problem(await client.get(url, headers=admin), 404)
