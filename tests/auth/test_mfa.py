"""The TOTP second factor: required for admins and officers, enrolment, recovery codes, reset."""

import pyotp
import pytest
from sqlalchemy import select

from app.auth.signin_models import MfaEnrolmentCode, MfaFactor, RecoveryCode
from app.config import Settings, get_settings
from app.security.policy import Role
from tests.access import PASSWORD, bearer, password_grant, password_user, sign_in
from tests.auth import actions, enrol, enrolment_code, next_code

ENROLMENT = "/api/v1/auth/mfa/enrolment"

pytestmark = pytest.mark.usefixtures("mfa_required")


async def _grant(http, username: str, otp: str | None = None):
    data = {"grant_type": "password", "username": username, "password": PASSWORD}
    return await http.post("/api/v1/auth/token", data=data | ({"otp": otp} if otp else {}))


@pytest.mark.parametrize("role", [Role.admin, Role.officer])
async def test_admins_and_officers_cannot_sign_in_without_the_second_factor(client, session, role):
    user = await password_user(session, role)
    not_enrolled = await password_grant(client, user.username, PASSWORD)
    assert not_enrolled.status_code == 401

    totp, _ = await enrol(client, session, user)
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
    totp, _ = await enrol(client, session, viewer)
    assert (await password_grant(client, viewer.username, PASSWORD)).status_code == 401
    assert (await _grant(client, viewer.username, next_code(totp))).status_code == 200


async def _start(http, user, code: str | None, password: str = PASSWORD):
    body = {"username": user.username, "password": password}
    return await http.post(ENROLMENT, json=body | ({"enrolment_code": code} if code is not None else {}))


async def _confirm(http, user, code: str, password: str = PASSWORD):
    body = {"username": user.username, "password": password, "code": code}
    return await http.post(f"{ENROLMENT}/confirm", json=body)


async def test_enrolment_stores_the_secret_encrypted_and_is_audited(client, session):
    user = await password_user(session, Role.officer)
    started = await _start(client, user, await enrolment_code(session, user))
    secret = started.json()["secret"]
    assert started.json()["otpauth_uri"].startswith("otpauth://totp/")
    factor = await session.get(MfaFactor, user.id)
    assert secret.encode() not in factor.secret_ciphertext
    assert factor.confirmed_at is None
    await session.commit()  # end the read: SQLite's writers would wait for it

    bad = await _confirm(client, user, "123456")
    assert bad.status_code == 401
    assert await actions(session, user.id) == ["mfa.enrolment-code"]
    confirmed = await _confirm(client, user, pyotp.TOTP(secret).now())
    assert confirmed.status_code == 200, confirmed.text
    assert await actions(session, user.id) == ["mfa.enrolment-code", "mfa.enrol"]


async def test_a_stolen_password_alone_cannot_enrol_an_account_without_a_factor(client, session):
    user = await password_user(session, Role.officer)
    wrong_password = await password_grant(client, "tidak-ada-" + user.username, PASSWORD)
    missing = await _start(client, user, None)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["loc"] == ["body", "enrolment_code"]
    guessed = await _start(client, user, "abcd-efgh-ijkl")
    confirmed_blind = await _confirm(client, user, "123456")
    for refused in (guessed, confirmed_blind):
        assert refused.status_code == 401
        assert refused.json() == wrong_password.json()
    assert await session.get(MfaFactor, user.id) is None
    await session.commit()


async def test_an_enrolment_code_works_once_and_expires(client, session, moved_clock):
    user = await password_user(session, Role.officer)
    code = await enrolment_code(session, user)
    assert (await _start(client, user, code, password="salah-" + PASSWORD)).status_code == 401
    assert (await _start(client, user, code)).status_code == 200  # a wrong password did not use it up
    assert (await _start(client, user, code)).status_code == 401

    later = await password_user(session, Role.officer)
    expiring = await enrolment_code(session, later)
    moved_clock.advance(hours=get_settings().mfa_enrolment_code_ttl_hours, seconds=1)
    assert (await _start(client, later, expiring)).status_code == 401


async def test_a_started_enrolment_is_never_replaced_but_by_an_admins_new_code(client, session):
    user = await password_user(session, Role.officer)
    first = await _start(client, user, await enrolment_code(session, user))
    secret = first.json()["secret"]
    # Someone else with the password, even with a fresh code of another user, cannot restart it.
    other = await password_user(session, Role.officer)
    assert (await _start(client, user, await enrolment_code(session, other))).status_code == 401
    stored = (await session.get(MfaFactor, user.id)).secret_ciphertext
    await session.commit()
    assert (await _start(client, user, "abcd-efgh-ijkl")).status_code == 401
    factor = await session.get(MfaFactor, user.id)
    await session.refresh(factor)
    assert factor.secret_ciphertext == stored
    await session.commit()

    # The admin's new code ends the started enrolment: its secret no longer confirms anything.
    code = await enrolment_code(session, user)
    assert (await _confirm(client, user, pyotp.TOTP(secret).now())).status_code == 401
    restarted = await _start(client, user, code)
    assert restarted.status_code == 200
    assert restarted.json()["secret"] != secret


async def test_a_started_enrolment_not_confirmed_in_time_is_void(client, session, moved_clock):
    user = await password_user(session, Role.officer)
    totp = pyotp.TOTP((await _start(client, user, await enrolment_code(session, user))).json()["secret"])
    moved_clock.advance(minutes=get_settings().mfa_enrolment_confirm_minutes, seconds=1)
    assert (await _confirm(client, user, totp.at(moved_clock.now()))).status_code == 401


async def test_other_scripts_digits_are_a_wrong_code_not_an_error(client, session):
    user = await password_user(session, Role.officer)
    await enrol(client, session, user)
    wrong_password = await password_grant(client, "tidak-ada-" + user.username, PASSWORD)
    fullwidth, arabic_indic = "\uff11\uff12\uff13\uff14\uff15\uff16", "\u0661\u0662\u0663\u0664\u0665\u0666"
    for code in (fullwidth, arabic_indic, "12345\u00b2"):
        refused = await _grant(client, user.username, code)
        assert refused.status_code == 401, (code, refused.text)
        assert refused.json() == wrong_password.json()


async def test_a_new_role_ends_the_sessions_signed_in_under_the_old_one(client, session, callers):
    user = await password_user(session, Role.auditor)  # no second factor needed as an auditor
    token = await sign_in(client, user.username)
    headers = {**callers.admin.headers, "If-Match": '"1"'}
    promoted = await client.patch(f"/api/v1/users/{user.id}", json={"role": "admin"}, headers=headers)
    assert promoted.status_code == 200, promoted.text
    # The auditor's password-only session would otherwise be an admin's without a second factor.
    assert (await client.get("/api/v1/me", headers=bearer(token))).status_code == 401
    assert (await password_grant(client, user.username, PASSWORD)).status_code == 401


async def test_confirming_is_throttled_like_a_password(client, session):
    user = await password_user(session, Role.officer)
    await _start(client, user, await enrolment_code(session, user))
    answers = [(await _confirm(client, user, f"{n:06d}")).status_code for n in range(12)]
    assert 429 in answers  # six digits are not guessed at the speed of the network
    assert set(answers) <= {401, 429}


async def test_only_admins_issue_enrolment_codes_and_not_over_a_factor(client, session, monkeypatch):
    monkeypatch.setattr(get_settings(), "mfa_required", False)
    admin = await password_user(session, Role.admin)
    officer = await password_user(session, Role.officer)
    admin_token = await sign_in(client, admin.username)
    officer_token = await sign_in(client, officer.username)
    url = f"/api/v1/users/{officer.id}/mfa/enrolment-code"

    assert (await client.post(url, headers=bearer(officer_token))).status_code == 403
    issued = await client.post(url, headers=bearer(admin_token))
    assert issued.status_code == 200, issued.text
    assert issued.headers["cache-control"] == "no-store"
    assert (await _start(client, officer, issued.json()["code"])).status_code == 200
    stored = await session.scalar(select(MfaEnrolmentCode.code_digest).limit(1))
    await session.commit()
    assert stored is None  # used up; and only ever kept as a keyed digest

    await enrol(client, session, admin)
    again = await client.post(f"/api/v1/users/{admin.id}/mfa/enrolment-code", headers=bearer(admin_token))
    assert again.status_code == 409
    assert again.json()["type"].endswith("/mfa-already-enrolled")
    assert await actions(session, officer.id) == ["mfa.enrolment-code"]


async def test_a_confirmed_factor_cannot_be_replaced_with_the_password(client, session):
    user = await password_user(session, Role.officer)
    _, codes = await enrol(client, session, user)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert (await _start(client, user, "abcd-efgh-ijkl")).status_code == 401
    assert await actions(session, user.id) == ["mfa.enrolment-code", "mfa.enrol"]


async def test_recovery_codes_work_once_each(client, session):
    user = await password_user(session, Role.admin)
    _, codes = await enrol(client, session, user)
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
    totp, _ = await enrol(client, session, user)
    moved_clock.advance(seconds=30)
    code = totp.at(moved_clock.now())
    assert (await _grant(client, user.username, code)).status_code == 200
    assert (await _grant(client, user.username, code)).status_code == 401


async def test_an_admin_resets_a_lost_factor_and_it_is_audited(client, session, monkeypatch):
    monkeypatch.setattr(get_settings(), "mfa_required", False)
    admin = await password_user(session, Role.admin)
    officer = await password_user(session, Role.officer)
    admin_token = await sign_in(client, admin.username)
    totp, _ = await enrol(client, session, officer)
    officer_token = (await _grant(client, officer.username, next_code(totp))).json()["access_token"]

    denied = await client.delete(f"/api/v1/users/{admin.id}/mfa", headers=bearer(officer_token))
    assert denied.status_code == 403
    reset = await client.delete(f"/api/v1/users/{officer.id}/mfa", headers=bearer(admin_token))
    assert reset.status_code == 204
    assert (await client.get("/api/v1/me", headers=bearer(officer_token))).status_code == 401
    assert await actions(session, officer.id) == ["mfa.enrolment-code", "mfa.enrol", "mfa.reset"]
    await enrol(client, session, officer)  # a new phone


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
