"""WebAuthn security keys and passkeys as a second factor, with a software authenticator."""

import json

import pytest
from sqlalchemy import select

from app.auth import passkeys
from app.auth import service as auth_service
from app.auth.signin_models import WebauthnChallenge, WebauthnCredential
from app.config import Settings, get_settings
from app.security.policy import Role
from tests.access import PASSWORD, TOKEN_URL, bearer, password_grant, password_user, sign_in
from tests.auth import (
    actions,
    authorize,
    authorize_params,
    browser_sign_in,
    code_of,
    enrol,
    enrolment_code,
    exchange,
    next_code,
    pkce_pair,
)
from tests.auth.authenticator import SoftAuthenticator, unb64url

OPTIONS = "/api/v1/auth/webauthn/options"
REGISTRATION = "/api/v1/me/webauthn/registration"
CREDENTIALS = "/api/v1/me/webauthn/credentials"

pytestmark = pytest.mark.usefixtures("mfa_required")


async def _grant(http, username: str, **factor: str):
    data = {"grant_type": "password", "username": username, "password": PASSWORD}
    return await http.post(TOKEN_URL, data=data | factor)


async def _totp_token(http, session, user):
    """A token of a sign-in with the user's new TOTP factor: a second-factor session."""
    totp, _ = await enrol(http, session, user)
    response = await _grant(http, user.username, otp=next_code(totp))
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


async def _register(http, token: str, key: SoftAuthenticator, **answer: str):
    options = await http.post(REGISTRATION, headers=bearer(token))
    assert options.status_code == 200, options.text
    credential = key.create(options.json()["public_key"], **answer)
    return await http.post(f"{REGISTRATION}/verify", headers=bearer(token), json={"credential": credential})


async def _registered(http, session, role: Role = Role.officer):
    """A user with a TOTP factor and a registered security key."""
    user = await password_user(session, role)
    token = await _totp_token(http, session, user)
    key = SoftAuthenticator()
    registered = await _register(http, token, key)
    assert registered.status_code == 201, registered.text
    return user, key, token


async def _options(http, username: str) -> dict:
    response = await http.post(OPTIONS, json={"username": username})
    assert response.status_code == 200, response.text
    return response.json()["public_key"]


async def test_a_registered_key_signs_in_and_its_assertion_works_once(client, session):
    user, key, _ = await _registered(client, session)
    stored = await session.scalar(select(WebauthnCredential).where(WebauthnCredential.user_id == user.id))
    assert stored.transports == "usb,nfc" and stored.sign_count == 0
    await session.commit()
    assert await actions(session, user.id) == ["mfa.enrolment-code", "mfa.enrol", "mfa.webauthn.register"]

    assertion = key.get(await _options(client, user.username))
    signed_in = await _grant(client, user.username, webauthn=assertion)
    assert signed_in.status_code == 200, signed_in.text
    me = await client.get("/api/v1/me", headers=bearer(signed_in.json()["access_token"]))
    assert me.status_code == 200

    wrong_password = await password_grant(client, "tidak-ada-" + user.username, PASSWORD)
    replayed = await _grant(client, user.username, webauthn=assertion)
    assert replayed.status_code == 401
    assert replayed.json() == wrong_password.json()
    # The challenge was used up: answering it again with a higher counter is refused too.
    again = await _grant(client, user.username, webauthn=key.get(json.loads(_options_of(assertion))))
    assert again.status_code == 401


def _options_of(assertion: str) -> str:
    """The options an assertion answered (its challenge), for answering the same challenge again."""
    client_data = json.loads(unb64url(json.loads(assertion)["response"]["clientDataJSON"]))
    return json.dumps({"challenge": client_data["challenge"], "rpId": "localhost"})


async def test_a_wrong_origin_or_relying_party_is_refused(client, session):
    user, key, _ = await _registered(client, session)
    wrong_password = await password_grant(client, "tidak-ada-" + user.username, PASSWORD)
    for answer in ({"origin": "https://phish.example"}, {"rp_id": "phish.example"}):
        assertion = key.get(await _options(client, user.username), **answer)
        refused = await _grant(client, user.username, webauthn=assertion)
        assert refused.status_code == 401, answer
        assert refused.json() == wrong_password.json()
    fine = await _grant(client, user.username, webauthn=key.get(await _options(client, user.username)))
    assert fine.status_code == 200, fine.text


async def test_a_counter_that_does_not_rise_is_refused_as_a_clone(client, session):
    user, key, _ = await _registered(client, session)
    first = key.get(await _options(client, user.username), sign_count=5)
    assert (await _grant(client, user.username, webauthn=first)).status_code == 200
    for count in (5, 3, 0):
        cloned = key.get(await _options(client, user.username), sign_count=count)
        assert (await _grant(client, user.username, webauthn=cloned)).status_code == 401, count
    stored = await session.scalar(
        select(WebauthnCredential.sign_count).where(WebauthnCredential.user_id == user.id)
    )
    await session.commit()
    assert stored == 5
    raised = key.get(await _options(client, user.username), sign_count=6)
    assert (await _grant(client, user.username, webauthn=raised)).status_code == 200


async def test_another_users_key_or_a_malformed_answer_is_a_wrong_factor(client, session):
    user, _, _ = await _registered(client, session)
    other, other_key, _ = await _registered(client, session)
    wrong_password = await password_grant(client, "tidak-ada-" + user.username, PASSWORD)
    # The other user's key, answering a challenge handed out for this user's name.
    borrowed = other_key.get(await _options(client, user.username))
    for assertion in (borrowed, "{}", "not json", json.dumps({"rawId": 3, "response": []}), "[]"):
        refused = await _grant(client, user.username, webauthn=assertion)
        assert refused.status_code == 401, assertion
        assert refused.json() == wrong_password.json()


@pytest.mark.parametrize("role", [Role.admin, Role.officer])
async def test_a_password_alone_is_still_refused_for_admins_and_officers(client, session, role):
    user, key, _ = await _registered(client, session, role)
    assert (await password_grant(client, user.username, PASSWORD)).status_code == 401
    assert (await _grant(client, user.username, otp="000000")).status_code == 401
    assertion = key.get(await _options(client, user.username))
    wrong = await client.post(
        TOKEN_URL,
        data={
            "grant_type": "password",
            "username": user.username,
            "password": "salah-" + PASSWORD,
            "webauthn": assertion,
        },
    )
    assert wrong.status_code == 401  # a valid key does not stand in for the password


async def test_a_key_alone_is_a_factor_even_when_none_is_required(client, session, monkeypatch):
    user, key, _ = await _registered(client, session, Role.viewer)
    monkeypatch.setattr(get_settings(), "mfa_required", False)
    assert (await password_grant(client, user.username, PASSWORD)).status_code == 401
    assert (
        await _grant(client, user.username, webauthn=key.get(await _options(client, user.username)))
    ).status_code == 200


async def test_unknown_users_options_look_like_real_ones(client, session):
    user, key, _ = await _registered(client, session)
    no_keys = await password_user(session, Role.officer)
    real = await _options(client, user.username)
    real_id = json.loads(key.get(real))["rawId"]
    shapes, lists = {}, {}
    for name in (user.username, no_keys.username, "tidak-ada-sama-sekali", user.username.upper()):
        first, second = await _options(client, name), await _options(client, name)
        assert first["challenge"] != second["challenge"]
        assert first["allowCredentials"] == second["allowCredentials"]  # asking twice tells nothing
        lists[name] = [c["id"] for c in first["allowCredentials"]]
        shapes[name] = (
            sorted(first),
            [sorted(c) for c in first["allowCredentials"]],  # the same fields: no transports
            first["rpId"],
            first["timeout"],
        )
        lengths = {len(unb64url(i)) for i in lists[name] if i != real_id}
        assert lengths <= set(passkeys.DUMMY_ID_LENGTHS)
    assert len(set(map(json.dumps, shapes.values()))) == 1  # as many ids, whoever is asked about
    assert len(lists[user.username]) == passkeys.SIGN_IN_ALLOW_LIST
    assert real_id in lists[user.username]
    assert real_id not in lists["tidak-ada-sama-sekali"]
    assert lists["tidak-ada-sama-sekali"] != lists[no_keys.username]
    stored = await session.scalar(
        select(WebauthnChallenge.id).where(WebauthnChallenge.user_id.is_(None)).limit(1)
    )
    await session.commit()
    assert stored is not None  # stored alike: the same work for every name


async def test_a_user_with_several_keys_lists_as_many_ids_as_one_with_none(client, session):
    """The count of ids tells nothing up to SIGN_IN_ALLOW_LIST keys; each key still signs in."""
    user, first_key, token = await _registered(client, session)
    second_key = SoftAuthenticator()
    assert (await _register(client, token, second_key)).status_code == 201
    options = await _options(client, user.username)
    ids = [c["id"] for c in options["allowCredentials"]]
    nobody = await _options(client, "tidak-ada")
    assert len(ids) == passkeys.SIGN_IN_ALLOW_LIST == len(nobody["allowCredentials"])
    for key in (first_key, second_key):
        assert json.loads(key.get(options))["rawId"] in ids
        answer = key.get(await _options(client, user.username))
        assert (await _grant(client, user.username, webauthn=answer)).status_code == 200


async def test_a_password_alone_never_registers_a_key(client, session, monkeypatch):
    monkeypatch.setattr(get_settings(), "mfa_required", False)
    viewer = await password_user(session, Role.viewer)
    token = await sign_in(client, viewer.username)  # no factor, none required: a password alone
    refused = await client.post(REGISTRATION, headers=bearer(token))
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/second-factor-session-required")
    verify = await client.post(f"{REGISTRATION}/verify", headers=bearer(token), json={"credential": {}})
    assert verify.status_code == 403
    # A token of a sign-in before the factor came was won with the password alone, too.
    await enrol(client, session, viewer)
    assert (await client.post(REGISTRATION, headers=bearer(token))).status_code == 403
    assert (
        await session.scalar(select(WebauthnCredential.id).where(WebauthnCredential.user_id == viewer.id))
        is None
    )
    await session.commit()


async def test_a_registration_answer_is_checked_and_works_once(client, session):
    user = await password_user(session, Role.officer)
    token = await _totp_token(client, session, user)
    key = SoftAuthenticator()
    for answer in ({"origin": "https://phish.example"}, {"rp_id": "phish.example"}):
        refused = await _register(client, token, key, **answer)
        assert refused.status_code == 422, answer
        assert refused.json()["type"].endswith("/webauthn-registration-refused")
    options = (await client.post(REGISTRATION, headers=bearer(token))).json()["public_key"]
    assert options["rp"] == {"id": "localhost", "name": "Reintegrasi"}
    credential = key.create(options)
    first = await client.post(
        f"{REGISTRATION}/verify", headers=bearer(token), json={"credential": credential}
    )
    assert first.status_code == 201, first.text
    again = await client.post(
        f"{REGISTRATION}/verify", headers=bearer(token), json={"credential": credential}
    )
    assert again.status_code == 422  # its challenge was used
    # The same key again, for a fresh challenge: the options exclude it, and the API refuses it.
    options = (await client.post(REGISTRATION, headers=bearer(token))).json()["public_key"]
    assert [c["id"] for c in options["excludeCredentials"]] == [credential["id"]]
    duplicate = await client.post(
        f"{REGISTRATION}/verify", headers=bearer(token), json={"credential": key.create(options)}
    )
    assert duplicate.status_code == 409
    malformed = await client.post(
        f"{REGISTRATION}/verify", headers=bearer(token), json={"credential": {"response": 1}}
    )
    assert malformed.status_code == 422


async def test_listing_removing_and_an_admins_reset(client, session, monkeypatch):
    user, key, token = await _registered(client, session)
    listed = await client.get(CREDENTIALS, headers=bearer(token))
    assert listed.status_code == 200
    [entry] = listed.json()
    assert entry["name"] == "Kunci keamanan" and entry["transports"] == ["usb", "nfc"]
    second = SoftAuthenticator()
    assert (await _register(client, token, second)).status_code == 201
    other, _, other_token = await _registered(client, session)
    assert (
        await client.delete(f"{CREDENTIALS}/{entry['id']}", headers=bearer(other_token))
    ).status_code == 404
    assert (await client.delete(f"{CREDENTIALS}/{entry['id']}", headers=bearer(token))).status_code == 204
    assert len((await client.get(CREDENTIALS, headers=bearer(token))).json()) == 1
    removed = key.get(await _options(client, user.username))
    assert (await _grant(client, user.username, webauthn=removed)).status_code == 401
    assert (await actions(session, user.id))[-2:] == ["mfa.webauthn.register", "mfa.webauthn.delete"]

    monkeypatch.setattr(get_settings(), "mfa_required", False)
    admin = await password_user(session, Role.admin)
    admin_token = await sign_in(client, admin.username)
    assert (
        await client.delete(f"/api/v1/users/{user.id}/mfa", headers=bearer(admin_token))
    ).status_code == 204
    assert (
        await session.scalar(select(WebauthnCredential.id).where(WebauthnCredential.user_id == user.id))
        is None
    )
    await session.commit()
    assert (
        await _grant(client, user.username, webauthn=second.get(await _options(client, user.username)))
    ).status_code == 401


async def test_the_browser_form_accepts_a_key(client, session, frontend):
    user, key, _ = await _registered(client, session)
    _, challenge = pkce_pair()
    refused = await authorize(client, user.username, challenge)
    assert refused.status_code == 401
    form = authorize_params(challenge) | {"username": user.username, "password": PASSWORD}
    answered = await client.post(
        "/api/v1/auth/authorize", data=form | {"webauthn": key.get(await _options(client, user.username))}
    )
    assert code_of(answered)


def test_origins_must_be_secure_and_on_the_relying_party():
    Settings(webauthn_rp_id="kupang.go.id", webauthn_origins=["https://app.kupang.go.id"])
    for origins in (
        ["http://app.kupang.go.id"],
        ["https://kupang.go.id.phish.example"],
        ["https://app.kupang.go.id/x"],
    ):
        with pytest.raises(ValueError, match="webauthn_origins"):
            Settings(webauthn_rp_id="kupang.go.id", webauthn_origins=origins)


ENROLMENT = "/api/v1/auth/webauthn/enrolment"


async def _enrol_key(http, session, user, key: SoftAuthenticator):
    """Enrol `key` as the user's first factor with an admin's enrolment code; the confirmation."""
    credentials = {"username": user.username, "password": PASSWORD}
    started = await http.post(
        ENROLMENT, json=credentials | {"enrolment_code": await enrolment_code(session, user)}
    )
    assert started.status_code == 200, started.text
    return await http.post(
        f"{ENROLMENT}/confirm", json=credentials | {"credential": key.create(started.json()["public_key"])}
    )


async def test_a_key_is_enrolled_as_the_first_factor_with_an_admins_code(client, session):
    user = await password_user(session, Role.officer)
    assert (await password_grant(client, user.username, PASSWORD)).status_code == 401
    key = SoftAuthenticator()
    confirmed = await _enrol_key(client, session, user, key)
    assert confirmed.status_code == 201, confirmed.text
    assert confirmed.json()["credential"]["transports"] == ["usb", "nfc"]
    codes = confirmed.json()["recovery_codes"]
    assert len(set(codes)) == 10
    assert await actions(session, user.id) == ["mfa.enrolment-code", "mfa.webauthn.register"]

    signed_in = await _grant(client, user.username, webauthn=key.get(await _options(client, user.username)))
    assert signed_in.status_code == 200, signed_in.text
    assert (await _grant(client, user.username, otp=codes[0])).status_code == 200
    assert (await password_grant(client, user.username, PASSWORD)).status_code == 401
    # With a key-signed session, a second key is registered from the account.
    token = signed_in.json()["access_token"]
    assert (await _register(client, token, SoftAuthenticator())).status_code == 201


async def test_a_stolen_password_alone_cannot_enrol_a_key(client, session):
    user = await password_user(session, Role.officer)
    credentials = {"username": user.username, "password": PASSWORD}
    wrong_password = await password_grant(client, "tidak-ada-" + user.username, PASSWORD)
    missing = await client.post(ENROLMENT, json=credentials)
    assert missing.status_code == 422
    guessed = await client.post(ENROLMENT, json=credentials | {"enrolment_code": "abcd-efgh-ijkl"})
    # An answer to options it never got: a challenge of the sign-in options, say.
    options = await _options(client, user.username)
    blind = SoftAuthenticator().create(
        {"rp": {"id": "localhost"}, "user": {"id": "AA"}, "challenge": options["challenge"]}
    )
    confirmed_blind = await client.post(f"{ENROLMENT}/confirm", json=credentials | {"credential": blind})
    for refused in (guessed, confirmed_blind):
        assert refused.status_code == 401
        assert refused.json() == wrong_password.json()
    assert (
        await session.scalar(select(WebauthnCredential.id).where(WebauthnCredential.user_id == user.id))
        is None
    )
    await session.commit()


async def test_a_key_enrolment_needs_no_factor_yet_and_a_key_of_nobody_else(client, session):
    user, key, _ = await _registered(client, session)
    # Over a key, an admin's code enrols no other first key: a second key is registered signed in.
    keys_only = await password_user(session, Role.officer)
    assert (await _enrol_key(client, session, keys_only, SoftAuthenticator())).status_code == 201
    code = await enrolment_code(session, keys_only)
    again = await client.post(
        ENROLMENT, json={"username": keys_only.username, "password": PASSWORD, "enrolment_code": code}
    )
    assert again.status_code == 401
    # Another account's key (its id already registered) is a wrong answer, not a conflict.
    newcomer = await password_user(session, Role.officer)
    borrowed = await _enrol_key(client, session, newcomer, key)
    assert borrowed.status_code == 401  # the first user's key stays theirs
    owner = await session.scalar(
        select(WebauthnCredential.user_id).where(WebauthnCredential.user_id == user.id)
    )
    await session.commit()
    assert owner == user.id


async def test_an_admins_new_code_voids_a_started_key_enrolment(client, session):
    user = await password_user(session, Role.officer)
    credentials = {"username": user.username, "password": PASSWORD}
    started = await client.post(
        ENROLMENT, json=credentials | {"enrolment_code": await enrolment_code(session, user)}
    )
    options = started.json()["public_key"]
    await enrolment_code(session, user)
    confirmed = await client.post(
        f"{ENROLMENT}/confirm", json=credentials | {"credential": SoftAuthenticator().create(options)}
    )
    assert confirmed.status_code == 401


async def test_a_browser_session_registers_a_key_if_its_sign_in_used_the_factor(
    client, session, frontend, monkeypatch
):
    monkeypatch.setattr(get_settings(), "mfa_required", False)
    user = await password_user(session, Role.viewer)
    # A code won with the password alone, before the factor came, exchanged after it came.
    verifier, challenge = pkce_pair()
    early = code_of(await authorize(client, user.username, challenge))
    totp, _ = await enrol(client, session, user)
    late = await exchange(client, early, verifier)
    assert late.status_code == 200, late.text
    refused = await client.post(REGISTRATION, headers=bearer(late.json()["access_token"]))
    assert refused.status_code == 403
    signed_in = await browser_sign_in(client, user.username, otp=next_code(totp))
    assert (await _register(client, signed_in["access_token"], SoftAuthenticator())).status_code == 201


async def test_a_challenge_expires_and_is_purged(client, session, moved_clock):
    user, key, _ = await _registered(client, session)
    options = await _options(client, user.username)
    moved_clock.advance(seconds=get_settings().webauthn_challenge_seconds + 1)
    late = await _grant(client, user.username, webauthn=key.get(options))
    assert late.status_code == 401
    purged = await auth_service.purge_expired(session)
    await session.commit()
    assert purged.codes >= 1
    left = await session.scalar(
        select(WebauthnChallenge.id).where(WebauthnChallenge.challenge == options["challenge"])
    )
    await session.commit()
    assert left is None
    fresh = await _grant(client, user.username, webauthn=key.get(await _options(client, user.username)))
    assert fresh.status_code == 200, fresh.text
