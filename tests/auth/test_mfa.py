"""The TOTP second factor: required for admins and officers, enrolment, recovery codes, reset."""

import pytest
from sqlalchemy import select

from app.auth.signin_models import MfaFactor, RecoveryCode
from app.config import Settings, get_settings
from app.security.policy import Role
from tests.access import PASSWORD, bearer, password_grant, password_user, sign_in
from tests.auth import actions, enrol, next_code

pytestmark = pytest.mark.usefixtures("mfa_required")


async def _grant(http, username: str, otp: str | None = None):
    data = {"grant_type": "password", "username": username, "password": PASSWORD}
    return await http.post("/api/v1/auth/token", data=data | ({"otp": otp} if otp else {}))


@pytest.mark.parametrize("role", [Role.admin, Role.officer])
async def test_admins_and_officers_cannot_sign_in_without_the_second_factor(client, session, role):
    user = await password_user(session, role)
    not_enrolled = await password_grant(client, user.username, PASSWORD)
    assert not_enrolled.status_code == 401

    totp, _ = await enrol(client, user.username)
    refused = [await _grant(client, user.username), await _grant(client, user.username, "000000")]
    wrong_password = await password_grant(client, "tidak-ada-" + user.username, PASSWORD)
    # Missing or wrong code: the very answer of a wrong password, so no code confirms a password.
    assert {r.status_code for r in refused} == {401}
    assert {r.json()["type"] for r in refused} == {wrong_password.json()["type"]}
    assert {r.json()["detail"] for r in refused} == {wrong_password.json()["detail"]}

    signed_in = await _grant(client, user.username, next_code(totp))
    assert signed_in.status_code == 200, signed_in.text


async def test_other_roles_need_it_only_when_the_settings_say_so(client, session, monkeypatch):
    auditor = await password_user(session, Role.auditor)
    assert (await password_grant(client, auditor.username, PASSWORD)).status_code == 200
    monkeypatch.setattr(get_settings(), "mfa_also_required_for", ["auditor", "partner"])
    assert (await password_grant(client, auditor.username, PASSWORD)).status_code == 401


async def test_a_voluntary_factor_is_asked_for_even_when_not_required(client, session, monkeypatch):
    monkeypatch.setattr(get_settings(), "mfa_required", False)
    viewer = await password_user(session, Role.viewer)
    totp, _ = await enrol(client, viewer.username)
    assert (await password_grant(client, viewer.username, PASSWORD)).status_code == 401
    assert (await _grant(client, viewer.username, next_code(totp))).status_code == 200


async def test_enrolment_stores_the_secret_encrypted_and_is_audited(client, session):
    user = await password_user(session, Role.officer)
    started = await client.post(
        "/api/v1/auth/mfa/enrolment", json={"username": user.username, "password": PASSWORD}
    )
    secret = started.json()["secret"]
    assert started.json()["otpauth_uri"].startswith("otpauth://totp/")
    factor = await session.get(MfaFactor, user.id)
    assert secret.encode() not in factor.secret_ciphertext
    assert factor.confirmed_at is None
    await session.commit()  # end the read: SQLite's writers would wait for it

    bad = await client.post(
        "/api/v1/auth/mfa/enrolment/confirm",
        json={"username": user.username, "password": PASSWORD, "code": "123456"},
    )
    assert bad.status_code == 422
    assert "mfa.enrol" not in await actions(session, user.id)


async def test_a_confirmed_factor_cannot_be_replaced_with_the_password_alone(client, session):
    user = await password_user(session, Role.officer)
    _, codes = await enrol(client, user.username)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert await actions(session, user.id) == ["mfa.enrol"]
    again = await client.post(
        "/api/v1/auth/mfa/enrolment", json={"username": user.username, "password": PASSWORD}
    )
    assert again.status_code == 401


async def test_recovery_codes_work_once_each(client, session):
    user = await password_user(session, Role.admin)
    _, codes = await enrol(client, user.username)
    assert (await _grant(client, user.username, codes[0])).status_code == 200
    assert (await _grant(client, user.username, codes[0])).status_code == 401
    assert (await _grant(client, user.username, codes[1].upper().replace("-", " "))).status_code == 200
    used = await session.scalar(
        select(RecoveryCode.id)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_not(None))
        .limit(1)
    )
    assert used is not None


async def test_a_totp_code_works_once(client, session, moved_clock):
    user = await password_user(session, Role.officer)
    totp, _ = await enrol(client, user.username)
    moved_clock.advance(seconds=30)
    code = totp.at(moved_clock.now())
    assert (await _grant(client, user.username, code)).status_code == 200
    assert (await _grant(client, user.username, code)).status_code == 401


async def test_an_admin_resets_a_lost_factor_and_it_is_audited(client, session, monkeypatch):
    monkeypatch.setattr(get_settings(), "mfa_required", False)
    admin = await password_user(session, Role.admin)
    officer = await password_user(session, Role.officer)
    admin_token = await sign_in(client, admin.username)
    totp, _ = await enrol(client, officer.username)
    officer_token = (await _grant(client, officer.username, next_code(totp))).json()["access_token"]

    denied = await client.delete(f"/api/v1/users/{admin.id}/mfa", headers=bearer(officer_token))
    assert denied.status_code == 403
    reset = await client.delete(f"/api/v1/users/{officer.id}/mfa", headers=bearer(admin_token))
    assert reset.status_code == 204
    assert (await client.get("/api/v1/me", headers=bearer(officer_token))).status_code == 401
    assert await actions(session, officer.id) == ["mfa.enrol", "mfa.reset"]
    await enrol(client, officer.username)  # a new phone


def test_production_refuses_to_start_without_the_requirement():
    production = {"environment": "production", "database_url": "postgresql+asyncpg://u@db/reintegrasi"}
    with pytest.raises(ValueError, match="MFA_REQUIRED"):
        Settings(**production, mfa_required=False)
    settings = Settings(**production, mfa_required=True)
    assert settings.password_grant_allowed is False
    assert Settings(**production, mfa_required=True, password_grant_enabled=True).password_grant_allowed
    assert Settings(environment="development").password_grant_allowed


async def test_the_password_grant_can_be_turned_off(client, session, monkeypatch):
    user = await password_user(session, Role.viewer)
    monkeypatch.setattr(get_settings(), "password_grant_enabled", False)
    response = await password_grant(client, user.username, PASSWORD)
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
