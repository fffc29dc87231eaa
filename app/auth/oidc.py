"""Access tokens of an external OpenID Connect provider, for cities that have one.

A token is accepted when its signature verifies against a key of the provider's JWKS (fetched
and cached by PyJWT's PyJWKClient), it is unexpired, and its issuer and audience are the
configured ones. The role and the agency come from claims (settings name them); a role outside
`oidc_roles` is refused, so the provider cannot mint administrators unless told to. The caller's
id is stable per issuer and subject. An inactive agency, or one whose revocation epoch is after
the token's `iat`, refuses it like any other token.
"""

import hashlib
import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import asyncpg
import jwt
from anyio import to_thread
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies.models import Agency
from app.auth.revocation import issued_after
from app.config import Settings, get_settings
from app.db_driver import DriverStatement
from app.security.policy import Role

# Asymmetric only: an HMAC algorithm would let anyone holding the (public) JWKS sign tokens.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]
_NAMESPACE = uuid.UUID("5e0c2f3a-7a59-4c57-9d0b-2f0b6c1f1a01")

AGENCY = select(Agency.active, Agency.tokens_valid_after).where(Agency.id == bindparam("agency_id"))
AGENCY_ON_DRIVER = DriverStatement(AGENCY)


@lru_cache(maxsize=4)
def _jwks(url: str) -> jwt.PyJWKClient:
    # An unknown key id refreshes the set at most once per cooldown: tokens with made-up key ids
    # cannot make every request a fetch from the provider.
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5, cooldown_duration=30)


def enabled() -> bool:
    return get_settings().oidc_issuer is not None


def looks_external(token: str) -> bool:
    """A JWT (three dot-separated parts); the API's own tokens are opaque."""
    return enabled() and token.count(".") == 2


def _verified(token: str, settings: Settings) -> dict[str, Any]:
    """The claims of a token whose signature, expiry, issuer and audience check out (else raises)."""
    key = _jwks(settings.oidc_jwks_url or "").get_signing_key_from_jwt(token).key
    return jwt.decode(
        token,
        key,
        algorithms=ALGORITHMS,
        audience=settings.oidc_audience,
        issuer=settings.oidc_issuer,
        leeway=settings.oidc_leeway_seconds,
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )


def _mapped(claims: dict[str, Any], settings: Settings) -> tuple[Role, uuid.UUID | None] | None:
    role = claims.get(settings.oidc_role_claim)
    if not isinstance(role, str) or role not in settings.oidc_roles or role not in Role.__members__:
        return None
    raw_agency = claims.get(settings.oidc_agency_claim)
    try:
        agency_id = uuid.UUID(str(raw_agency)) if raw_agency else None
    except ValueError:
        return None
    if Role(role) is Role.partner and agency_id is None:
        return None  # a partner is always one agency's
    return Role(role), agency_id


async def claims_of(token: str) -> tuple[dict[str, Any], Role, uuid.UUID | None] | None:
    """The verified claims, role and agency of an external token; None when it is not acceptable."""
    settings = get_settings()
    try:
        # PyJWKClient fetches the JWKS with blocking I/O (then caches it): a thread, not the loop.
        claims = await to_thread.run_sync(_verified, token, settings)
    except (jwt.PyJWTError, jwt.PyJWKClientError):
        return None
    mapped = _mapped(claims, settings)
    return None if mapped is None else (claims, *mapped)


def _agency_allows(row: Any, claims: dict[str, Any]) -> bool:
    if row is None:
        return False
    active, epoch = row
    if epoch is not None and epoch.tzinfo is None:
        epoch = epoch.replace(tzinfo=UTC)
    return bool(active) and issued_after(datetime.fromtimestamp(int(claims["iat"]), UTC), epoch)


def owner_of(claims: dict[str, Any], role: Role, agency_id: uuid.UUID | None, token: str) -> Any:
    """The fields of the TokenOwner of an accepted token: ids stable per issuer and subject (and token)."""
    subject = uuid.uuid5(_NAMESPACE, f"{claims['iss']}|{claims['sub']}")
    token_id = uuid.uuid5(_NAMESPACE, claims.get("jti") or hashlib.sha256(token.encode()).hexdigest())
    return ("user", subject, role, agency_id, token_id)


async def resolve(session: AsyncSession, token: str) -> Any:
    """The owner of an acceptable external token, or None."""
    accepted = await claims_of(token)
    if accepted is None:
        return None
    claims, role, agency_id = accepted
    if agency_id is not None:
        row = (await session.execute(AGENCY, {"agency_id": agency_id})).first()
        if not _agency_allows(row, claims):
            return None
    return owner_of(claims, role, agency_id, token)


async def resolve_on_driver(connection: asyncpg.Connection, token: str) -> Any:
    """`resolve` on the driver connection of the hot reads."""
    accepted = await claims_of(token)
    if accepted is None:
        return None
    claims, role, agency_id = accepted
    if agency_id is not None:
        rows = await AGENCY_ON_DRIVER.fetch(connection, {"agency_id": agency_id})
        if not _agency_allows(rows[0] if rows else None, claims):
            return None
    return owner_of(claims, role, agency_id, token)
