"""Sessions that end: rotation with reuse detection, idle and absolute timeouts, listing and sign-out."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.auth.signin_models import AuthSession, RefreshToken
from app.orm import utcnow
from app.security.policy import Role
from tests.access import PASSWORD, api_client, bearer, client_grant, password_user, sign_in
from tests.auth import actions, browser_sign_in, refresh

pytestmark = pytest.mark.usefixtures("frontend")


async def _me(http, token: str) -> int:
    return (await http.get("/api/v1/me", headers=bearer(token))).status_code


async def test_a_refresh_token_rotates(client, session):
    user = await password_user(session, Role.officer)
    first = await browser_sign_in(client, user.username)
    second = await refresh(client, first["refresh_token"])
    assert second.status_code == 200, second.text
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert rotated["access_token"] != first["access_token"]
    assert await _me(client, rotated["access_token"]) == 200
    third = await refresh(client, rotated["refresh_token"])
    assert third.status_code == 200
    # Bound to its frontend: the same token from another client id, or none, is refused.
    for other in ({"client_id": "aplikasi-lain"}, {}):
        data = {"grant_type": "refresh_token", "refresh_token": third.json()["refresh_token"], **other}
        assert (await client.post("/api/v1/auth/token", data=data)).status_code == 400


async def test_a_reused_refresh_token_revokes_its_family(client, session):
    user = await password_user(session, Role.officer)
    other_session = await browser_sign_in(client, user.username)
    first = await browser_sign_in(client, user.username)
    second = (await refresh(client, first["refresh_token"])).json()

    reused = await refresh(client, first["refresh_token"])  # a copy, replayed
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert (await refresh(client, second["refresh_token"])).status_code == 400
    assert await _me(client, second["access_token"]) == 401
    assert await _me(client, first["access_token"]) == 401
    # Only that family: the user's other session goes on.
    assert await _me(client, other_session["access_token"]) == 200
    assert (await refresh(client, other_session["refresh_token"])).status_code == 200

    reason = await session.scalar(
        select(AuditEvent.reason).where(AuditEvent.action == "session.revoke", AuditEvent.actor_id == user.id)
    )
    assert reason == "refresh-token-reuse"


async def test_the_idle_timeout_ends_a_session(client, session, moved_clock):
    user = await password_user(session, Role.officer)
    tokens = await browser_sign_in(client, user.username)
    moved_clock.advance(minutes=29)
    kept = await refresh(client, tokens["refresh_token"])
    assert kept.status_code == 200  # used within the idle time: the session goes on
    moved_clock.advance(minutes=30, seconds=1)
    assert await _me(client, kept.json()["access_token"]) == 401
    assert (await refresh(client, kept.json()["refresh_token"])).status_code == 400


async def test_the_absolute_timeout_ends_a_session_however_busy(client, session, moved_clock):
    user = await password_user(session, Role.officer)
    tokens = await browser_sign_in(client, user.username)
    for _ in range(12 * 60 // 20 - 1):  # a refresh every 20 minutes, for just under 12 hours
        moved_clock.advance(minutes=20)
        response = await refresh(client, tokens["refresh_token"])
        assert response.status_code == 200, response.text
        tokens = response.json()
    moved_clock.advance(minutes=15)  # 11 h 55 min: the access token ends with the session
    last = await refresh(client, tokens["refresh_token"])
    assert last.status_code == 200 and 290 < last.json()["expires_in"] <= 5 * 60  # not 10 minutes
    moved_clock.advance(minutes=5)
    assert await _me(client, last.json()["access_token"]) == 401
    assert (await refresh(client, last.json()["refresh_token"])).status_code == 400


async def test_you_list_and_end_your_own_sessions(client, session):
    user = await password_user(session, Role.officer)
    other = await password_user(session, Role.officer)
    laptop = await browser_sign_in(client, user.username)
    phone = await browser_sign_in(client, user.username)
    strangers = await browser_sign_in(client, other.username)

    listed = await client.get("/api/v1/me/sessions", headers=bearer(phone["access_token"]))
    assert listed.status_code == 200
    assert [s["current"] for s in listed.json()] == [True, False]
    laptop_id = listed.json()[1]["id"]

    foreign = await client.get("/api/v1/me/sessions", headers=bearer(strangers["access_token"]))
    foreign_id = foreign.json()[0]["id"]
    denied = await client.delete(f"/api/v1/me/sessions/{foreign_id}", headers=bearer(phone["access_token"]))
    assert denied.status_code == 404
    assert await _me(client, strangers["access_token"]) == 200

    ended = await client.delete(f"/api/v1/me/sessions/{laptop_id}", headers=bearer(phone["access_token"]))
    assert ended.status_code == 204
    assert await _me(client, laptop["access_token"]) == 401
    assert (await refresh(client, laptop["refresh_token"])).status_code == 400
    assert await _me(client, phone["access_token"]) == 200
    left = await client.get("/api/v1/me/sessions", headers=bearer(phone["access_token"]))
    assert [s["id"] for s in left.json()] == [listed.json()[0]["id"]]
    assert await actions(session, laptop_id) == ["session.revoke"]


async def test_an_admin_signs_a_user_out_everywhere(client, session):
    admin = await password_user(session, Role.admin)
    officer = await password_user(session, Role.officer)
    admin_token = await sign_in(client, admin.username)
    browser = await browser_sign_in(client, officer.username)
    script = await sign_in(client, officer.username, PASSWORD)

    denied = await client.delete(f"/api/v1/users/{admin.id}/sessions", headers=bearer(script))
    assert denied.status_code == 403
    done = await client.delete(f"/api/v1/users/{officer.id}/sessions", headers=bearer(admin_token))
    assert done.status_code == 204
    assert await _me(client, browser["access_token"]) == 401
    assert await _me(client, script) == 401
    assert (await refresh(client, browser["refresh_token"])).status_code == 400
    assert await actions(session, officer.id) == ["session.revoke_all"]
    ended = (await session.scalars(select(AuthSession.revoked_reason))).all()
    assert ended == ["admin"]


async def test_a_new_password_ends_every_session(client, session):
    user = await password_user(session, Role.officer)
    tokens = await browser_sign_in(client, user.username)
    changed = await client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "kata-sandi-baru-uji-99"},
        headers=bearer(tokens["access_token"]),
    )
    assert changed.status_code == 204, changed.text
    assert (await refresh(client, tokens["refresh_token"])).status_code == 400


async def test_api_clients_have_no_sessions(client, session):
    api, secret = await api_client(session, Role.officer)
    token = (await client_grant(client, api.client_id, secret)).json()["access_token"]
    response = await client.get("/api/v1/me/sessions", headers=bearer(token))
    assert response.status_code == 200 and response.json() == []


async def test_a_session_begun_before_an_agency_was_deactivated_cannot_be_refreshed(client, session, callers):
    """A refresh token outlives its access token: reactivating the agency must not revive it."""
    from tests.access.test_throttle import _patch_agency

    agency = callers.agency_a
    partner = await password_user(session, Role.partner, agency_id=agency.id)
    signed_in = await browser_sign_in(client, partner.username)
    assert (await _patch_agency(client, callers.officer.token, agency.id, active=False)).status_code == 200
    assert (await refresh(client, signed_in["refresh_token"])).status_code == 400
    assert (await _patch_agency(client, callers.admin.token, agency.id, active=True)).status_code == 200
    assert (await refresh(client, signed_in["refresh_token"])).status_code == 400
    fresh = await browser_sign_in(client, partner.username)
    assert (await refresh(client, fresh["refresh_token"])).status_code == 200


async def test_purge_deletes_sessions_ended_over_a_day_ago_with_their_refresh_tokens(client, session):
    user = await password_user(session, Role.officer)
    await browser_sign_in(client, user.username)
    await browser_sign_in(client, user.username)
    ended, live = (await session.scalars(select(AuthSession).where(AuthSession.user_id == user.id))).all()
    await session.execute(
        update(AuthSession).where(AuthSession.id == ended.id).values(revoked_at=utcnow() - timedelta(days=2))
    )
    purged = await auth_service.purge_expired(session)
    await session.commit()
    assert purged.sessions == 1
    left = await session.scalars(select(AuthSession.id).where(AuthSession.user_id == user.id))
    assert list(left) == [live.id]
    orphans = await session.scalar(
        select(func.count()).select_from(RefreshToken).where(RefreshToken.session_id == ended.id)
    )
    await session.commit()
    assert orphans == 0
