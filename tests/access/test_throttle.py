"""Throttling that holds, uniform refusals, rehashing at sign-in, and deactivation that sticks.

The suite's figures (README, Security) are counted here and printed with `pytest -s`.
"""

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import select, update

from app.agencies.models import Agency
from app.security.policy import Role
from app.users.models import User
from tests.access import PASSWORD, api_client, bearer, client_grant, password_grant, password_user, sign_in
from tests.factories import make_agency

WRONG = "salah-sandi-sekali"
FIGURES: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _print_figures() -> AsyncIterator[None]:
    yield
    print(
        f"\nsign-in throttling figures: attempts tried {FIGURES['tried']}, throttled (429) "
        f"{FIGURES['throttled']}, leaks {FIGURES['leaks']}"
    )


def _count(response: httpx.Response) -> httpx.Response:
    FIGURES["tried"] += 1
    FIGURES["throttled"] += response.status_code == 429
    return response


@asynccontextmanager
async def from_address(app, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 41000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_spraying_thirty_usernames_from_one_address_is_throttled(app, client):
    answers = [
        _count(await password_grant(client, f"pengguna.semprot.{n:02d}", PASSWORD)).status_code
        for n in range(30)
    ]
    # The address's ten free failures, then 429 for every further username.
    assert answers[:10] == [401] * 10
    assert answers[10:] == [429] * 20
    throttled = await password_grant(client, "pengguna.semprot.99", PASSWORD)
    assert throttled.headers["content-type"] == "application/problem+json"
    assert 1 <= int(throttled.headers["retry-after"]) <= 30
    # Another address is not throttled by this one's spraying.
    async with from_address(app, "198.51.100.20") as elsewhere:
        assert (await password_grant(elsewhere, "pengguna.semprot.00", PASSWORD)).status_code == 401


async def test_spraying_from_the_addresses_of_one_ipv6_subscriber_is_throttled(app):
    # A /64 is one subscriber's: each attempt from a fresh address of it counts for all of them.
    answers = []
    for n in range(12):
        async with from_address(app, f"2001:db8:7:1::{n + 1:x}") as http:
            answers.append(_count(await password_grant(http, f"pengguna.enam.{n:02d}", PASSWORD)).status_code)
    assert answers[:10] == [401] * 10
    assert answers[10:] == [429] * 2
    async with from_address(app, "2001:db8:7:2::1") as next_subscriber:
        assert (await password_grant(next_subscriber, "pengguna.enam.00", PASSWORD)).status_code == 401


async def test_a_user_locked_from_one_address_still_signs_in_from_another(app, client, session):
    user = await password_user(session)
    for _ in range(5):
        assert _count(await password_grant(client, user.username, WRONG)).status_code == 401
    locked = _count(await password_grant(client, user.username, PASSWORD))
    assert locked.status_code == 429  # even the right password, from the attacker's address
    async with from_address(app, "198.51.100.30") as office:
        assert _count(await password_grant(office, user.username, PASSWORD)).status_code == 200


async def test_backoff_doubles_and_ends_instead_of_locking(app, client, session, monkeypatch):
    from app.auth import throttle

    user = await password_user(session)
    clock = [1_000_000.0]
    monkeypatch.setattr(throttle, "_now", lambda: clock[0])
    for _ in range(5):
        assert (await password_grant(client, user.username, WRONG)).status_code == 401
    first = await password_grant(client, user.username, WRONG)
    assert first.status_code == 429 and int(first.headers["retry-after"]) == 30
    clock[0] += 31
    assert (await password_grant(client, user.username, WRONG)).status_code == 401
    second = await password_grant(client, user.username, PASSWORD)
    assert second.status_code == 429 and int(second.headers["retry-after"]) == 60
    clock[0] += 61
    assert (await password_grant(client, user.username, PASSWORD)).status_code == 200


async def test_concurrent_guesses_are_all_counted(app, session):
    from app.auth import throttle
    from app.auth.models import LoginThrottle

    user = await password_user(session)
    username = user.username

    async def guess(address: str) -> int:
        async with from_address(app, address) as http:
            return _count(await password_grant(http, username, WRONG)).status_code

    # Twelve addresses at once on one account: each count is one atomic upsert, none is lost.
    answers = await asyncio.gather(*(guess(f"198.51.100.{n}") for n in range(40, 52)))
    assert answers == [401] * 12
    account = throttle.keys_for("user", username, None)[2]
    failures = await session.scalar(select(LoginThrottle.failures).where(LoginThrottle.key == account.digest))
    await session.rollback()
    assert failures == 12


async def test_unknown_user_wrong_password_and_inactive_account_or_agency_look_the_same(client, session):
    agency = await make_agency(session)
    await session.commit()
    user = await password_user(session)
    inactive = await password_user(session, active=False)
    in_closed_agency = await password_user(session, Role.partner, agency_id=agency.id)
    assert (await password_grant(client, in_closed_agency.username, PASSWORD)).status_code == 200
    await session.execute(update(Agency).where(Agency.id == agency.id).values(active=False))
    await session.commit()

    answers = [
        _count(await password_grant(client, user.username, WRONG)),
        _count(await password_grant(client, "tidak.ada.pengguna", PASSWORD)),
        _count(await password_grant(client, inactive.username, PASSWORD)),
        _count(await password_grant(client, in_closed_agency.username, PASSWORD)),
    ]
    leaks = sum(
        (r.status_code, r.content, r.headers.get("www-authenticate")) != (401, answers[0].content, "Bearer")
        for r in answers
    )
    FIGURES["leaks"] += leaks
    assert leaks == 0
    assert answers[0].json()["error"] == "invalid_grant"


async def test_a_deactivated_agencys_client_is_refused_like_a_wrong_secret(client, session):
    agency = await make_agency(session)
    await session.commit()
    api, secret = await api_client(session, Role.partner, agency_id=agency.id)
    await session.execute(update(Agency).where(Agency.id == agency.id).values(active=False))
    await session.commit()
    closed = _count(await client_grant(client, api.client_id, secret))
    wrong = _count(await client_grant(client, api.client_id, "bukan-rahasia"))
    FIGURES["leaks"] += closed.content != wrong.content
    assert closed.status_code == wrong.status_code == 401
    assert closed.content == wrong.content


async def test_a_weaker_hash_is_upgraded_at_sign_in(client, session):
    user = await password_user(session)
    user_id, username = user.id, user.username
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, type=Type.ID).hash(PASSWORD)
    await session.execute(update(User).where(User.id == user_id).values(password_hash=weak))
    await session.commit()
    assert (await password_grant(client, username, PASSWORD)).status_code == 200
    stored = await session.scalar(select(User.password_hash).where(User.id == user_id))
    await session.rollback()  # SQLite: the test's read must not hold the write lock
    assert stored != weak and "m=19456,t=2" in stored
    assert (await password_grant(client, username, PASSWORD)).status_code == 200


async def test_hashing_is_bounded_per_address(app, client, session, monkeypatch):
    import time

    from app.auth import service

    user = await password_user(session)
    checked = service.verify_secret

    def slow_check(stored: str | None, secret: str) -> bool:
        time.sleep(0.3)  # a slow Argon2, so that the attempts overlap
        return checked(stored, secret)

    monkeypatch.setattr(service, "verify_secret", slow_check)
    # Four at once from one address: two hash, the others are told to retry, never queued;
    # meanwhile another address is served.
    async with from_address(app, "198.51.100.60") as elsewhere:
        answers = await asyncio.gather(
            *(password_grant(client, user.username, WRONG) for _ in range(4)),
            password_grant(elsewhere, user.username, PASSWORD),
        )
    codes = sorted(r.status_code for r in answers[:4])
    assert codes == [401, 401, 429, 429], codes
    assert answers[4].status_code == 200


# --- deactivation that sticks ------------------------------------------------------------------


async def _patch_agency(
    http: httpx.AsyncClient, token: str, agency_id: uuid.UUID, **fields
) -> httpx.Response:
    current = await http.get(f"/api/v1/agencies/{agency_id}", headers=bearer(token))
    assert current.status_code == 200, current.text
    return await http.patch(
        f"/api/v1/agencies/{agency_id}",
        json=fields,
        headers={**bearer(token), "If-Match": current.headers["etag"]},
    )


async def test_an_agency_deactivated_and_reactivated_keeps_old_tokens_revoked(client, session, callers):
    agency = callers.agency_a
    partner = await password_user(session, Role.partner, agency_id=agency.id)
    old_token = await sign_in(client, partner.username)
    assert (await client.get("/api/v1/me", headers=bearer(old_token))).status_code == 200

    assert (await _patch_agency(client, callers.officer.token, agency.id, active=False)).status_code == 200
    assert (await client.get("/api/v1/me", headers=bearer(old_token))).status_code == 401
    # An officer may deactivate but not reactivate.
    refused = await _patch_agency(client, callers.officer.token, agency.id, active=True)
    assert refused.status_code == 403
    assert (await _patch_agency(client, callers.admin.token, agency.id, active=True)).status_code == 200

    assert (await client.get("/api/v1/me", headers=bearer(old_token))).status_code == 401
    assert (await client.get("/api/v1/persons", headers=callers.partner_a.headers)).status_code == 401
    fresh = await sign_in(client, partner.username)
    assert (await client.get("/api/v1/me", headers=bearer(fresh))).status_code == 200


async def test_a_user_deactivated_and_reactivated_keeps_old_tokens_revoked(client, session, callers):
    user = await password_user(session)
    old_token = await sign_in(client, user.username)
    for active in (False, True):
        current = await client.get(f"/api/v1/users/{user.id}", headers=callers.admin.headers)
        changed = await client.patch(
            f"/api/v1/users/{user.id}",
            json={"active": active},
            headers={**callers.admin.headers, "If-Match": current.headers["etag"]},
        )
        assert changed.status_code == 200, changed.text
    assert (await client.get("/api/v1/me", headers=bearer(old_token))).status_code == 401
    assert (
        await client.get("/api/v1/me", headers=bearer(await sign_in(client, user.username)))
    ).status_code == 200
