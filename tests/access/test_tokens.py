"""The token endpoint: both grants, uniform failures, throttling, expiry, revocation, storage."""

import hashlib
from datetime import timedelta

import httpx
from sqlalchemy import select, update

from app.auth.models import AccessToken
from app.clients.models import ApiClient
from app.config import Settings
from app.db import utcnow
from app.main import create_app
from app.security.policy import Role
from app.users.models import User
from tests.access import (
    PASSWORD,
    TOKEN_URL,
    api_client,
    bearer,
    client_grant,
    password_grant,
    password_user,
    sign_in,
)

NEW_PASSWORD = "kata-sandi-baru-uji-99"


async def _me(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.get("/api/v1/me", headers=bearer(token))


# --- grants ---------------------------------------------------------------------------------


async def test_password_grant_issues_a_working_bearer_token(client, session):
    user = await password_user(session, Role.officer)
    response = await password_grant(client, user.username, PASSWORD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert response.headers["cache-control"] == "no-store"

    me = await _me(client, body["access_token"])
    assert me.status_code == 200
    assert me.json()["kind"] == "user"
    assert me.json()["id"] == str(user.id)
    assert me.json()["role"] == "officer"


async def test_password_grant_ignores_username_case(client, session):
    user = await password_user(session)
    response = await password_grant(client, f"  {user.username.upper()} ", PASSWORD)
    assert response.status_code == 200, response.text


async def test_client_credentials_in_the_form(client, session):
    api, secret = await api_client(session, Role.auditor)
    response = await client_grant(client, api.client_id, secret)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    me = await _me(client, body["access_token"])
    assert me.status_code == 200
    assert me.json()["kind"] == "client"
    assert me.json()["id"] == str(api.id)
    assert me.json()["role"] == "auditor"


async def test_client_credentials_with_http_basic(client, session):
    api, secret = await api_client(session, Role.officer)
    response = await client.post(
        TOKEN_URL, data={"grant_type": "client_credentials"}, auth=(api.client_id, secret)
    )
    assert response.status_code == 200, response.text
    assert response.json()["expires_in"] == 3600
    assert (await _me(client, response.json()["access_token"])).json()["id"] == str(api.id)

    wrong = await client.post(
        TOKEN_URL, data={"grant_type": "client_credentials"}, auth=(api.client_id, secret + "x")
    )
    assert wrong.status_code == 401


async def test_wrong_password_unknown_user_and_inactive_user_look_the_same(client, session):
    user = await password_user(session)
    inactive = await password_user(session, active=False)

    wrong = await password_grant(client, user.username, "salah-sandi-sekali")
    unknown = await password_grant(client, "tidak.ada.pengguna", PASSWORD)
    asleep = await password_grant(client, inactive.username, PASSWORD)

    for response in (wrong, unknown, asleep):
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"
    assert wrong.content == unknown.content == asleep.content
    assert wrong.json() == unknown.json() == asleep.json()
    assert wrong.json()["error"] == "invalid_grant"


async def test_wrong_client_secret_and_unknown_client_look_the_same(client, session):
    api, secret = await api_client(session)
    wrong = await client_grant(client, api.client_id, "bukan-rahasia-yang-benar")
    unknown = await client_grant(client, "rc_tidak_ada", secret)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.content == unknown.content


async def test_missing_credentials_are_401_and_unsupported_grant_is_400(client):
    missing = await client.post(TOKEN_URL, data={"grant_type": "password", "username": "seseorang"})
    assert missing.status_code == 401

    unsupported = await client.post(TOKEN_URL, data={"grant_type": "implicit", "code": "abc"})
    assert unsupported.status_code == 400
    assert unsupported.headers["content-type"] == "application/problem+json"
    assert unsupported.json()["error"] == "unsupported_grant_type"


async def test_token_endpoint_takes_a_form_not_json(client, session):
    user = await password_user(session)
    response = await client.post(
        TOKEN_URL, json={"grant_type": "password", "username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 422


# --- throttling -----------------------------------------------------------------------------


async def test_five_failures_throttle_the_sixth_attempt_even_with_the_right_password(client, session):
    user = await password_user(session)
    for _ in range(5):
        assert (await password_grant(client, user.username, "salah-sandi-sekali")).status_code == 401

    throttled = await password_grant(client, user.username, PASSWORD)
    assert throttled.status_code == 429
    assert throttled.headers["content-type"] == "application/problem+json"
    assert 1 <= int(throttled.headers["retry-after"]) <= 60

    # Another account is not affected.
    other = await password_user(session)
    assert (await password_grant(client, other.username, PASSWORD)).status_code == 200


async def test_throttle_is_shared_by_app_instances_over_one_database(app, client, session):
    user = await password_user(session)
    second = create_app(Settings(database_url=app.state.settings.database_url))
    try:
        # The same client address as `client`'s: the account is throttled per address.
        transport = httpx.ASGITransport(app=second, client=("203.0.113.7", 40001))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as other_worker:
            # Failures split across the two workers add up in the database.
            for http in (client, other_worker, client, other_worker, client):
                assert (await password_grant(http, user.username, "salah-sandi-sekali")).status_code == 401
            for http in (other_worker, client):
                response = await password_grant(http, user.username, PASSWORD)
                assert response.status_code == 429
                assert int(response.headers["retry-after"]) >= 1
    finally:
        await second.state.engine.dispose()


async def test_a_successful_sign_in_clears_earlier_failures(client, session):
    user = await password_user(session)
    for _ in range(4):
        assert (await password_grant(client, user.username, "salah-sandi-sekali")).status_code == 401
    assert (await password_grant(client, user.username, PASSWORD)).status_code == 200
    for _ in range(4):
        assert (await password_grant(client, user.username, "salah-sandi-sekali")).status_code == 401
    assert (await password_grant(client, user.username, PASSWORD)).status_code == 200


async def test_client_credentials_are_throttled_too(client, session):
    api, secret = await api_client(session)
    for _ in range(5):
        assert (await client_grant(client, api.client_id, "bukan-rahasia")).status_code == 401
    assert (await client_grant(client, api.client_id, secret)).status_code == 429


# --- expiry and revocation ------------------------------------------------------------------


async def test_expired_token_is_401(client, session):
    user = await password_user(session)
    token = await sign_in(client, user.username)
    assert (await _me(client, token)).status_code == 200

    digest = hashlib.sha256(token.encode()).hexdigest()
    await session.execute(
        update(AccessToken)
        .where(AccessToken.token_digest == digest)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    await session.commit()

    expired = await _me(client, token)
    assert expired.status_code == 401
    assert expired.headers["www-authenticate"] == "Bearer"


async def test_revoking_your_own_token(client, session):
    user = await password_user(session)
    token = await sign_in(client, user.username)
    other_token = await sign_in(client, user.username)

    response = await client.post("/api/v1/auth/revoke", data={"token": token}, headers=bearer(token))
    assert response.status_code == 200
    assert (await _me(client, token)).status_code == 401
    # Only the token named is revoked.
    assert (await _me(client, other_token)).status_code == 200


async def test_revoking_an_unknown_token_is_accepted_and_changes_nothing(client, callers):
    response = await client.post(
        "/api/v1/auth/revoke", data={"token": "tidak-ada-token-seperti-ini"}, headers=callers.viewer.headers
    )
    assert response.status_code == 200
    assert (await client.get("/api/v1/me", headers=callers.viewer.headers)).status_code == 200


async def test_non_admin_cannot_revoke_someone_elses_token(client, callers):
    for name in ("officer", "partner_b", "auditor", "viewer"):
        caller = getattr(callers, name)
        response = await client.post(
            "/api/v1/auth/revoke", data={"token": callers.partner_a.token}, headers=caller.headers
        )
        assert response.status_code == 200
        assert (await client.get("/api/v1/me", headers=callers.partner_a.headers)).status_code == 200


async def test_admin_may_revoke_any_token(client, callers):
    response = await client.post(
        "/api/v1/auth/revoke", data={"token": callers.partner_a.token}, headers=callers.admin.headers
    )
    assert response.status_code == 200
    assert (await client.get("/api/v1/me", headers=callers.partner_a.headers)).status_code == 401
    assert (await client.get("/api/v1/me", headers=callers.admin.headers)).status_code == 200


async def test_revoke_needs_a_token(client):
    response = await client.post("/api/v1/auth/revoke", data={"token": "apa-saja"})
    assert response.status_code == 401


async def test_deactivating_a_user_revokes_their_tokens(client, session, callers):
    user = await password_user(session)
    token = await sign_in(client, user.username)

    response = await client.patch(
        f"/api/v1/users/{user.id}",
        json={"active": False},
        headers={**callers.admin.headers, "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False
    assert (await _me(client, token)).status_code == 401
    revoked = await session.scalar(select(AccessToken.revoked_at).where(AccessToken.user_id == user.id))
    await session.commit()
    assert revoked is not None
    assert (await password_grant(client, user.username, PASSWORD)).status_code == 401


async def test_admin_setting_a_password_revokes_tokens(client, session, callers):
    user = await password_user(session)
    token = await sign_in(client, user.username)

    response = await client.patch(
        f"/api/v1/users/{user.id}",
        json={"password": NEW_PASSWORD},
        headers={**callers.admin.headers, "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    assert "password" not in response.json()
    assert (await _me(client, token)).status_code == 401
    assert (await password_grant(client, user.username, PASSWORD)).status_code == 401
    assert (await password_grant(client, user.username, NEW_PASSWORD)).status_code == 200


async def test_changing_your_own_password_revokes_your_tokens(client, session):
    user = await password_user(session)
    token = await sign_in(client, user.username)
    second = await sign_in(client, user.username)

    response = await client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(token),
    )
    assert response.status_code == 204, response.text
    assert (await _me(client, token)).status_code == 401
    assert (await _me(client, second)).status_code == 401
    assert (await password_grant(client, user.username, PASSWORD)).status_code == 401
    assert (await _me(client, await sign_in(client, user.username, NEW_PASSWORD))).status_code == 200


async def test_own_password_change_needs_the_current_password(client, session):
    user = await password_user(session)
    token = await sign_in(client, user.username)
    response = await client.post(
        "/api/v1/me/password",
        json={"current_password": "bukan-sandi-lama", "new_password": NEW_PASSWORD},
        headers=bearer(token),
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"loc": ["body", "current_password"], "msg": "does not match"}]
    assert (await _me(client, token)).status_code == 200
    assert (await password_grant(client, user.username, NEW_PASSWORD)).status_code == 401


async def test_guessing_your_own_password_with_a_token_is_throttled(client, session):
    user = await password_user(session)
    token = await sign_in(client, user.username)
    answers = []
    for n in range(8):
        guess = {"current_password": f"tebakan-{n}-yang-salah", "new_password": NEW_PASSWORD}
        response = await client.post("/api/v1/me/password", json=guess, headers=bearer(token))
        answers.append(response.status_code)
    # The sign-in's keys: five free failures for the account at this address, then a backoff.
    assert answers[:5] == [422] * 5
    assert set(answers[5:]) == {429}


async def test_api_clients_have_no_password_to_change(client, session):
    api, secret = await api_client(session)
    token = (await client_grant(client, api.client_id, secret)).json()["access_token"]
    response = await client.post(
        "/api/v1/me/password",
        json={"current_password": secret, "new_password": NEW_PASSWORD},
        headers=bearer(token),
    )
    assert response.status_code == 403


# --- password rules and storage -------------------------------------------------------------


async def test_passwords_shorter_than_twelve_characters_are_refused(client, session, callers):
    short = "sebelas-kar"  # 11 characters
    assert len(short) == 11
    created = await client.post(
        "/api/v1/users",
        json={"username": "petugas.pendek", "full_name": "Petugas Uji", "password": short, "role": "viewer"},
        headers=callers.admin.headers,
    )
    assert created.status_code == 422
    assert created.json()["errors"][0]["loc"] == ["body", "password"]
    assert await session.scalar(select(User.id).where(User.username == "petugas.pendek")) is None
    await session.commit()

    user = await password_user(session)
    patched = await client.patch(
        f"/api/v1/users/{user.id}",
        json={"password": short},
        headers={**callers.admin.headers, "If-Match": '"1"'},
    )
    assert patched.status_code == 422

    token = await sign_in(client, user.username)
    own = await client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": short},
        headers=bearer(token),
    )
    assert own.status_code == 422
    assert (await password_grant(client, user.username, PASSWORD)).status_code == 200


async def test_secrets_are_stored_as_argon2id_and_tokens_as_sha256_digests(client, session):
    user = await password_user(session)
    api, secret = await api_client(session)
    user_token = await sign_in(client, user.username)
    client_token = (await client_grant(client, api.client_id, secret)).json()["access_token"]

    stored_password = await session.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored_password.startswith("$argon2id$")
    assert PASSWORD not in stored_password
    stored_secret = await session.scalar(select(ApiClient.secret_hash).where(ApiClient.id == api.id))
    assert stored_secret.startswith("$argon2id$")

    rows = (await session.execute(select(AccessToken))).scalars().all()
    await session.commit()
    digests = {row.token_digest for row in rows}
    for token in (user_token, client_token):
        assert hashlib.sha256(token.encode()).hexdigest() in digests
        for row in rows:
            assert token not in repr({c.key: getattr(row, c.key) for c in AccessToken.__table__.columns})
