"""An external OpenID Connect provider's tokens, against a provider the test serves itself."""

import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from app.config import get_settings
from tests.access import bearer

ISSUER = "https://idp.kota-uji.example/realms/dinsos"
AUDIENCE = "reintegrasi-api"
PROVIDER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
FORGER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
KID = f"uji-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def provider(httpserver, monkeypatch):
    """A provider's JWKS served by the test, and the app configured to trust it."""
    jwk = RSAAlgorithm.to_jwk(PROVIDER_KEY.public_key(), as_dict=True) | {"kid": KID, "use": "sig"}
    httpserver.expect_request("/jwks").respond_with_json({"keys": [jwk]})
    settings = get_settings()
    monkeypatch.setattr(settings, "oidc_issuer", ISSUER)
    monkeypatch.setattr(settings, "oidc_audience", AUDIENCE)
    monkeypatch.setattr(settings, "oidc_jwks_url", httpserver.url_for("/jwks"))
    return httpserver


def token(key=PROVIDER_KEY, **claims) -> str:
    now = int(time.time())
    body = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "petugas-idp-001",
        "iat": now,
        "exp": now + 300,
        "role": "officer",
    } | claims
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": KID})


async def test_a_providers_token_is_accepted_with_its_role(client, provider):
    response = await client.get("/api/v1/persons", headers=bearer(token()))
    assert response.status_code == 200, response.text
    me = await client.get("/api/v1/me", headers=bearer(token()))
    assert me.status_code == 200 and me.json()["role"] == "officer"
    assert me.json()["name"] == "External identity"
    # The claimed role holds, no more: an officer may not manage users.
    assert (await client.get("/api/v1/users", headers=bearer(token()))).status_code == 403


async def test_a_partner_token_is_mapped_to_its_agency(client, provider, callers):
    partner = token(role="partner", agency_id=str(callers.agency_a.id), sub="mitra-idp-7")
    response = await client.get("/api/v1/persons", headers=bearer(partner))
    assert response.status_code == 200, response.text
    no_agency = token(role="partner", sub="mitra-idp-8")
    assert (await client.get("/api/v1/persons", headers=bearer(no_agency))).status_code == 401


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param(lambda: token(key=FORGER_KEY), id="wrong-key"),
        pytest.param(lambda: token(exp=int(time.time()) - 120, iat=int(time.time()) - 600), id="expired"),
        pytest.param(lambda: token(aud="aplikasi-lain"), id="wrong-audience"),
        pytest.param(lambda: token(iss="https://idp.penyerang.example"), id="wrong-issuer"),
        pytest.param(lambda: token(role="admin"), id="admin-not-mappable"),
        pytest.param(
            lambda: jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "role": "officer"}, "k" * 32),
            id="hmac-unsigned-by-provider",
        ),
    ],
)
async def test_a_forged_expired_or_foreign_token_is_refused(client, provider, forged):
    response = await client.get("/api/v1/persons", headers=bearer(forged()))
    assert response.status_code == 401


async def test_a_deactivated_agencys_external_tokens_stay_dead(client, provider, callers):
    agency_id = callers.agency_a.id
    partner = token(role="partner", agency_id=str(agency_id), sub="mitra-idp-9", iat=int(time.time()) - 5)
    assert (await client.get("/api/v1/persons", headers=bearer(partner))).status_code == 200
    for caller, active in ((callers.officer, False), (callers.admin, True)):
        current = await client.get(f"/api/v1/agencies/{agency_id}", headers=caller.headers)
        changed = await client.patch(
            f"/api/v1/agencies/{agency_id}",
            json={"active": active},
            headers={**caller.headers, "If-Match": current.headers["etag"]},
        )
        assert changed.status_code == 200, changed.text
    # Reactivated, but the token was issued before the deactivation's epoch.
    assert (await client.get("/api/v1/persons", headers=bearer(partner))).status_code == 401
    fresh = token(role="partner", agency_id=str(agency_id), sub="mitra-idp-9", iat=int(time.time()) + 1)
    assert (await client.get("/api/v1/persons", headers=bearer(fresh))).status_code == 200


async def test_tokens_with_unknown_key_ids_refetch_the_jwks_at_most_once_per_cooldown(client, provider):
    assert (await client.get("/api/v1/me", headers=bearer(token()))).status_code == 200
    fetched = len(provider.log)
    for n in range(20):
        unknown = jwt.encode(
            {"iss": ISSUER, "sub": "x"}, PROVIDER_KEY, algorithm="RS256", headers={"kid": f"acak-{n}"}
        )
        assert (await client.get("/api/v1/me", headers=bearer(unknown))).status_code == 401
    # Unauthenticated callers cannot make the API hammer the provider: one refresh, then the cooldown.
    assert len(provider.log) - fetched <= 1
