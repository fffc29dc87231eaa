"""API clients bound to their source networks: a stolen secret or token is no use elsewhere."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from tests.access import bearer, client_grant

OFFICE = "198.51.100.7"  # inside the partner's network
ELSEWHERE = "203.0.113.9"


@asynccontextmanager
async def from_address(app, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 41000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def _bound_client(client, callers, networks: list[str] | None) -> dict:
    body = {"name": "Sistem Mitra Terikat", "role": "partner", "agency_id": str(callers.agency_a.id)}
    created = await client.post(
        "/api/v1/api-clients", json=body | {"allowed_networks": networks}, headers=callers.admin.headers
    )
    assert created.status_code == 201, created.text
    return created.json()


async def test_a_bound_client_signs_in_and_calls_only_from_its_networks(app, client, callers):
    made = await _bound_client(client, callers, ["198.51.100.0/24", "2001:db8::/32"])
    assert made["allowed_networks"] == ["198.51.100.0/24", "2001:db8::/32"]
    async with from_address(app, OFFICE) as office, from_address(app, ELSEWHERE) as elsewhere:
        wrong_secret = await client_grant(elsewhere, made["client_id"], made["client_secret"] + "x")
        refused = await client_grant(elsewhere, made["client_id"], made["client_secret"])
        # The very answer of a wrong secret: the address does not confirm the secret.
        assert refused.status_code == 401
        assert refused.json() == wrong_secret.json()

        granted = await client_grant(office, made["client_id"], made["client_secret"])
        assert granted.status_code == 200, granted.text
        token = bearer(granted.json()["access_token"])
        # Both read paths (the session's, and the driver's hot reads on PostgreSQL) check it.
        for path in ("/api/v1/me", "/api/v1/persons"):
            assert (await office.get(path, headers=token)).status_code == 200, path
            stolen = await elsewhere.get(path, headers=token)
            assert stolen.status_code == 401, path
            assert stolen.json()["type"].endswith("/not-authenticated")

    async with from_address(app, "2001:db8:5::1") as ipv6:
        assert (await ipv6.get("/api/v1/me", headers=token)).status_code == 200


async def test_unbinding_a_client_lets_it_call_from_anywhere(app, client, callers):
    made = await _bound_client(client, callers, ["198.51.100.0/24"])
    async with from_address(app, OFFICE) as office, from_address(app, ELSEWHERE) as elsewhere:
        token = bearer(
            (await client_grant(office, made["client_id"], made["client_secret"])).json()["access_token"]
        )
        assert (await elsewhere.get("/api/v1/me", headers=token)).status_code == 401
        unbound = await client.patch(
            f"/api/v1/api-clients/{made['id']}",
            json={"allowed_networks": None},
            headers={**callers.admin.headers, "If-Match": '"1"'},
        )
        assert unbound.status_code == 200, unbound.text
        assert unbound.json()["allowed_networks"] is None
        assert (await elsewhere.get("/api/v1/me", headers=token)).status_code == 200


async def test_malformed_networks_are_refused_and_change_nothing(client, callers):
    body = {"name": "Sistem Mitra Salah", "role": "partner", "agency_id": str(callers.agency_a.id)}
    # An IPv4-mapped network would never match (callers arrive as IPv4): refused, not stored.
    malformed = (
        ["10.0.0.1/8"],
        ["bukan-jaringan"],
        [f"10.0.{n}.0/24" for n in range(33)],
        ["::ffff:198.51.100.0/120"],
    )
    for networks in malformed:
        refused = await client.post(
            "/api/v1/api-clients", json=body | {"allowed_networks": networks}, headers=callers.admin.headers
        )
        assert refused.status_code == 422, (networks, refused.text)
        assert refused.json()["errors"][0]["loc"][:2] == ["body", "allowed_networks"]
    listed = await client.get("/api/v1/api-clients", headers=callers.admin.headers)
    assert listed.json()["items"] == []
