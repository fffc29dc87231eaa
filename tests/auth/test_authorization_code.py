"""Authorization code with PKCE (S256): the browser sign-in, end to end, and what it refuses."""

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.auth.signin_models import AuthorizationCode
from app.security.policy import Role
from tests.access import PASSWORD, bearer, password_user
from tests.auth import (
    AUTHORIZE_URL,
    OTHER_REDIRECT_URI,
    authorize,
    authorize_params,
    code_of,
    enrol,
    exchange,
    next_code,
    pkce_pair,
)

pytestmark = pytest.mark.usefixtures("frontend")


async def test_the_flow_with_pkce_works_end_to_end_with_the_second_factor(client, session, mfa_required):
    officer = await password_user(session, Role.officer)
    totp, _ = await enrol(client, session, officer)
    verifier, challenge = pkce_pair()

    page = await client.get(AUTHORIZE_URL, params=authorize_params(challenge))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'name="otp"' in page.text and challenge in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")

    without_code = await authorize(client, officer.username, challenge)
    assert without_code.status_code == 401
    assert "location" not in without_code.headers and 'name="password"' in without_code.text

    code = code_of(await authorize(client, officer.username, challenge, otp=next_code(totp)))
    tokens = await exchange(client, code, verifier)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["expires_in"] == 600  # short: ten minutes
    me = await client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200 and me.json()["id"] == str(officer.id)


async def test_a_wrong_verifier_is_refused(client, session):
    user = await password_user(session, Role.viewer)
    verifier, challenge = pkce_pair()
    code = code_of(await authorize(client, user.username, challenge))
    other_verifier, _ = pkce_pair()
    for wrong in (other_verifier, challenge, "pendek"):
        refused = await exchange(client, code, wrong)
        assert refused.status_code == 400
        assert refused.json()["error"] == "invalid_grant"
    assert (await exchange(client, code, verifier)).status_code == 200


async def test_a_code_is_bound_to_its_redirect_uri_and_client(client, session):
    user = await password_user(session, Role.viewer)
    verifier, challenge = pkce_pair()
    code = code_of(await authorize(client, user.username, challenge))
    assert (await exchange(client, code, verifier, redirect_uri=OTHER_REDIRECT_URI)).status_code == 400
    stranger = await client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "client_id": "aplikasi-lain",
            "redirect_uri": "https://app.kupang.test/callback",
        },
    )
    assert stranger.status_code == 400 and stranger.json()["error"] == "invalid_client"


async def test_a_code_works_once_and_its_replay_revokes_the_session(client, session):
    user = await password_user(session, Role.viewer)
    verifier, challenge = pkce_pair()
    code = code_of(await authorize(client, user.username, challenge))
    first = await exchange(client, code, verifier)
    assert first.status_code == 200
    replay = await exchange(client, code, verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    me = await client.get("/api/v1/me", headers=bearer(first.json()["access_token"]))
    assert me.status_code == 401


async def test_an_expired_code_is_refused(client, session, moved_clock):
    user = await password_user(session, Role.viewer)
    verifier, challenge = pkce_pair()
    code = code_of(await authorize(client, user.username, challenge))
    moved_clock.advance(seconds=61)
    assert (await exchange(client, code, verifier)).status_code == 400


async def test_codes_are_stored_as_digests(client, session):
    user = await password_user(session, Role.viewer)
    _, challenge = pkce_pair()
    code = code_of(await authorize(client, user.username, challenge))
    digests = (await session.scalars(select(AuthorizationCode.code_digest))).all()
    assert len(digests) == 1 and code not in digests[0]


async def test_an_unregistered_redirect_uri_gets_an_error_page_never_a_redirect(client):
    _, challenge = pkce_pair()
    for params in (
        authorize_params(challenge, redirect_uri="https://penyerang.test/callback"),
        authorize_params(challenge, client_id="aplikasi-lain"),
    ):
        response = await client.get(AUTHORIZE_URL, params=params)
        assert response.status_code == 400
        assert "location" not in response.headers
        assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": ""}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
)
async def test_pkce_s256_is_required(client, change, error):
    _, challenge = pkce_pair()
    response = await client.get(AUTHORIZE_URL, params=authorize_params(challenge) | change)
    assert response.status_code == 303
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["error"] == [error]
    assert query["state"] == ["keadaan-acak-123"]


async def test_a_wrong_password_on_the_form_is_refused_like_an_unknown_user(client, session):
    user = await password_user(session, Role.viewer)
    _, challenge = pkce_pair()
    wrong = await authorize(client, user.username, challenge, password=PASSWORD + "x")
    unknown = await authorize(client, "tidak-ada", challenge)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.text == unknown.text


async def test_a_code_issued_before_its_agency_was_deactivated_is_refused(client, session, callers):
    """Deactivation revokes for good: a code waiting in a browser is a token too."""
    from tests.access.test_throttle import _patch_agency

    agency = callers.agency_a
    partner = await password_user(session, Role.partner, agency_id=agency.id)
    verifier, challenge = pkce_pair()
    code = code_of(await authorize(client, partner.username, challenge))
    assert (await _patch_agency(client, callers.admin.token, agency.id, active=False)).status_code == 200
    assert (await _patch_agency(client, callers.admin.token, agency.id, active=True)).status_code == 200
    refused = await exchange(client, code, verifier)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
