"""Signing in, issuing, resolving and revoking access tokens (throttling: app/auth/throttle.py)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Any, Literal

import asyncpg
from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.agencies.models import Agency
from app.auth import mfa, oidc, revocation, sessions, throttle
from app.auth.errors import InvalidCredentials
from app.auth.models import AccessToken
from app.auth.signin_models import AuthorizationCode, AuthSession, MfaEnrolmentCode
from app.clients.models import ApiClient
from app.config import get_settings
from app.db import utcnow
from app.db_driver import DriverStatement
from app.security.passwords import hash_secret, needs_rehash, verify_secret
from app.security.policy import Role
from app.security.tokens import new_token, token_digest
from app.users.models import User


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class TokenOwner:
    kind: Literal["user", "client"]
    id: uuid.UUID
    role: Role
    agency_id: uuid.UUID | None
    token_id: uuid.UUID
    # An API client's source networks (space-separated CIDRs); None: any address.
    networks: str | None = None

    def allows(self, address: str | None) -> bool:
        """Whether a request from `address` may use this owner's token."""
        return self.networks is None or address_in(address, self.networks)


@lru_cache(maxsize=256)
def _parsed(networks: str) -> tuple[IPv4Network | IPv6Network, ...]:
    return tuple(ip_network(network) for network in networks.split())


def address_in(address: str | None, networks: str) -> bool:
    """Whether `address` is in one of `networks` (an unknown or malformed address is in none)."""
    try:
        ip = ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in _parsed(networks))


async def issue(
    session: AsyncSession, *, user_id: uuid.UUID | None = None, api_client_id: uuid.UUID | None = None
) -> IssuedToken:
    """A new access token for a user or client (after their credentials were checked)."""
    ttl = timedelta(minutes=get_settings().access_token_ttl_minutes)
    token = new_token()
    session.add(
        AccessToken(
            token_digest=token_digest(token),
            user_id=user_id,
            api_client_id=api_client_id,
            expires_at=utcnow() + ttl,
        )
    )
    await session.flush()
    return IssuedToken(access_token=token, expires_in=int(ttl.total_seconds()))


async def _account(session: AsyncSession, stmt: Any) -> Any:
    """The account row and its agency's activity, read apart: the write lock is not held while hashing."""
    async with session.bind.connect() as connection:
        return (await connection.execute(stmt)).first()


async def _checked_secret(
    session: AsyncSession, kind: str, name: str, secret: str, address: str | None, match: Any
) -> tuple[list[str], uuid.UUID, str]:
    """The throttle keys, id and stored hash of the active account `match` finds whose secret this is.

    401 alike for an unknown or inactive account, an inactive agency and a wrong secret.
    """
    account = User if kind == "user" else ApiClient
    keys = throttle.keys_for(kind, name, address)
    await throttle.reserve(session.bind, keys)
    stmt = (
        select(account.id, _STORED_HASH[kind], account.active, Agency.active)
        .outerjoin(Agency, Agency.id == account.agency_id)
        .where(match)
    )
    row = await _account(session, stmt)
    account_id, stored, active, agency_active = row if row else (None, None, False, None)
    # The same work for every answer: an unknown account's secret is checked against a dummy hash.
    valid = await throttle.hash_bounded(address, verify_secret, stored, secret)
    if not (valid and account_id is not None and active and agency_active is not False):
        raise InvalidCredentials()
    return keys, account_id, stored


_STORED_HASH = {"user": User.password_hash, "client": ApiClient.secret_hash}


async def _signed_in(
    session: AsyncSession,
    kind: str,
    keys: list[str],
    account_id: uuid.UUID,
    stored: str,
    secret: str,
    address: str | None,
) -> None:
    """Clear the throttle's counts; re-hash a secret stored with weaker parameters than today's."""
    await throttle.succeeded(session, keys)
    if needs_rehash(stored):
        account = User if kind == "user" else ApiClient
        new_hash = await throttle.hash_bounded(address, hash_secret, secret)
        column = _STORED_HASH[kind].key
        await session.execute(update(account).where(account.id == account_id).values({column: new_hash}))


async def authenticate_user(
    session: AsyncSession,
    username: str,
    password: str,
    second_factor: str | None = None,
    *,
    address: str | None = None,
    step: mfa.Step = mfa.Step.sign_in,
) -> User:
    """The user of a password and (when they need one) a second factor; 401 alike for every failure.

    `step`: signing in, or starting (with an enrolment code) or confirming an enrolment. The code is
    checked before the throttle's counts are cleared, so codes are guessed no faster than passwords.
    """
    match = User.username == username.strip().lower()
    keys, user_id, stored = await _checked_secret(session, "user", username, password, address, match)
    user = await session.get(User, user_id)
    # The second factor is checked only after the password, and fails the same way: no oracle.
    if user is None or not await mfa.check_second_factor(session, user, second_factor, step):
        raise InvalidCredentials()
    await _signed_in(session, "user", keys, user_id, stored, password, address)
    return user


async def login_with_password(
    session: AsyncSession,
    username: str,
    password: str,
    second_factor: str | None = None,
    address: str | None = None,
) -> IssuedToken:
    """A token for a user; 401 alike for unknown or inactive user, inactive agency, wrong password or code."""
    user = await authenticate_user(session, username, password, second_factor, address=address)
    return await issue(session, user_id=user.id)


async def login_with_client_secret(
    session: AsyncSession, client_id: str, client_secret: str, address: str | None = None
) -> IssuedToken:
    """A token for an API client (client-credentials grant); 401 alike for every failure."""
    match = ApiClient.client_id == client_id
    keys, api_client_id, stored = await _checked_secret(
        session, "client", client_id, client_secret, address, match
    )
    networks = await session.scalar(select(ApiClient.allowed_networks).where(ApiClient.id == api_client_id))
    if networks is not None and not address_in(address, networks):
        raise InvalidCredentials()  # counted as a failure: the same answer as a wrong secret
    await _signed_in(session, "client", keys, api_client_id, stored, client_secret, address)
    return await issue(session, api_client_id=api_client_id)


# Built once: this runs on every request. A deactivated agency's people and systems lose access
# at once: its partners would otherwise keep reading the persons referred to it.
_OWNER_AGENCY = func.coalesce(User.agency_id, ApiClient.agency_id)
RESOLVE = (
    select(
        AccessToken.id,
        AccessToken.user_id,
        AccessToken.api_client_id,
        func.coalesce(User.role, ApiClient.role),
        _OWNER_AGENCY,
        ApiClient.allowed_networks,
    )
    .outerjoin(User, User.id == AccessToken.user_id)
    .outerjoin(ApiClient, ApiClient.id == AccessToken.api_client_id)
    .outerjoin(Agency, Agency.id == _OWNER_AGENCY)
    .where(
        AccessToken.token_digest == bindparam("digest"),
        AccessToken.revoked_at.is_(None),
        AccessToken.expires_at > bindparam("now"),
        or_(and_(User.id.is_not(None), User.active), and_(ApiClient.id.is_not(None), ApiClient.active)),
        or_(Agency.id.is_(None), Agency.active),
        revocation.issued_after_epochs(AccessToken.created_at),
    )
)


RESOLVE_ON_DRIVER = DriverStatement(RESOLVE)


async def resolve(session: AsyncSession, token: str) -> TokenOwner | None:
    """The owner of a live token (unexpired, unrevoked, owner active), in one query; or an external one."""
    # Core execution on the session's connection: the ORM layer adds nothing to a column select.
    connection = await session.connection()
    row = (await connection.execute(RESOLVE, _resolve_params(token))).first()
    if row is None and oidc.looks_external(token):
        external = await oidc.resolve(session, token)
        return None if external is None else TokenOwner(*external)
    return None if row is None else _owner(row)


async def resolve_on_driver(connection: asyncpg.Connection, token: str) -> TokenOwner | None:
    """`resolve` on the driver connection of the hot reads (app.db_driver)."""
    rows = await RESOLVE_ON_DRIVER.fetch(connection, _resolve_params(token))
    if not rows and oidc.looks_external(token):
        external = await oidc.resolve_on_driver(connection, token)
        return None if external is None else TokenOwner(*external)
    return _owner(rows[0]) if rows else None


def _resolve_params(token: str) -> dict[str, Any]:
    return {"digest": token_digest(token), "now": clock.now()}


def _owner(row: Sequence[Any]) -> TokenOwner:
    token_id, user_id, client_id, role, agency_id, networks = row
    kind: Literal["user", "client"] = "user" if user_id else "client"
    return TokenOwner(kind, user_id or client_id, Role(role), agency_id, token_id, networks)


async def revoke(session: AsyncSession, token: str, *, owner: TokenOwner, any_owner: bool) -> None:
    """Revoke `token` if the caller owns it (or may revoke any); unknown tokens are ignored (RFC 7009)."""
    stmt = update(AccessToken).where(
        AccessToken.token_digest == token_digest(token), AccessToken.revoked_at.is_(None)
    )
    if not any_owner:
        column = AccessToken.user_id if owner.kind == "user" else AccessToken.api_client_id
        stmt = stmt.where(column == owner.id)
    await session.execute(stmt.values(revoked_at=utcnow()))


async def revoke_all(
    session: AsyncSession, *, user_id: uuid.UUID | None = None, api_client_id: uuid.UUID | None = None
) -> None:
    """Revoke every token of a user or client, of any kind, for good (password change, deactivation)."""
    if user_id:
        await sessions.revoke_for_user(session, user_id, reason="revoked")
    column, value = (AccessToken.user_id, user_id) if user_id else (AccessToken.api_client_id, api_client_id)
    await session.execute(
        update(AccessToken)
        .where(column == value, AccessToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    await revocation.start_epoch(session, user_id=user_id, api_client_id=api_client_id)


@dataclass(frozen=True, slots=True)
class Purged:
    tokens: int
    sessions: int
    codes: int


async def purge_expired(session: AsyncSession) -> Purged:
    """Delete what ended more than a day ago: tokens, sessions (their refresh tokens go with them),
    authorization and enrolment codes; and stale sign-in throttles.
    """
    cutoff = utcnow() - timedelta(days=1)
    tokens = await session.execute(delete(AccessToken).where(AccessToken.expires_at < cutoff))
    ended = or_(
        AuthSession.revoked_at < cutoff,
        AuthSession.idle_expires_at < cutoff,
        AuthSession.absolute_expires_at < cutoff,
    )
    sessions_ = await session.execute(delete(AuthSession).where(ended))
    codes = await session.execute(delete(AuthorizationCode).where(AuthorizationCode.expires_at < cutoff))
    enrolment = await session.execute(delete(MfaEnrolmentCode).where(MfaEnrolmentCode.expires_at < cutoff))
    await throttle.purge(session)
    return Purged(
        tokens=tokens.rowcount or 0,
        sessions=sessions_.rowcount or 0,
        codes=(codes.rowcount or 0) + (enrolment.rowcount or 0),
    )
