"""Signing in, issuing, resolving and revoking access tokens; throttling failed sign-ins."""

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, Literal

import asyncpg
from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.agencies.models import Agency
from app.auth import mfa, sessions
from app.auth.errors import InvalidCredentials, LoginThrottled
from app.auth.models import AccessToken, LoginFailure
from app.clients.models import ApiClient
from app.config import get_settings
from app.db import utcnow
from app.db_driver import DriverStatement
from app.security.passwords import verify_secret
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


def _subject_digest(kind: str, name: str) -> str:
    return hashlib.sha256(f"{kind}:{name.strip().lower()}".encode()).hexdigest()


async def _check_throttle(session: AsyncSession, subject: str) -> None:
    settings = get_settings()
    window_start = utcnow() - timedelta(seconds=settings.login_window_seconds)
    count, oldest = (
        await session.execute(
            select(func.count(), func.min(LoginFailure.occurred_at)).where(
                LoginFailure.subject_digest == subject, LoginFailure.occurred_at > window_start
            )
        )
    ).one()
    if count >= settings.login_max_failures:
        retry_after = max(1, int((oldest - window_start).total_seconds()) + 1)
        raise LoginThrottled(retry_after)


async def _clear_failures(session: AsyncSession, subject: str) -> None:
    await session.execute(delete(LoginFailure).where(LoginFailure.subject_digest == subject))


async def _record_failure(session: AsyncSession, *, subject: str) -> None:
    session.add(LoginFailure(subject_digest=subject))
    await session.flush()


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


async def authenticate_user(
    session: AsyncSession,
    username: str,
    password: str,
    second_factor: str | None = None,
    *,
    enrolling: bool = False,
) -> User:
    """The user of a password and (when they need one) a second factor; 401 alike for every failure.

    `enrolling`: the password alone, for an account with no confirmed factor yet (enrolment).
    """
    subject = _subject_digest("user", username)
    await _check_throttle(session, subject)
    user = await session.scalar(select(User).where(User.username == username.strip().lower()))
    valid = verify_secret(user.password_hash if user else None, password)
    # The second factor is checked only after the password, and fails the same way: no oracle.
    if not (
        valid
        and user is not None
        and user.active
        and await mfa.check_second_factor(session, user, second_factor, enrolling=enrolling)
    ):
        raise InvalidCredentials(durable=[partial(_record_failure, subject=subject)])
    await _clear_failures(session, subject)
    return user


async def login_with_password(
    session: AsyncSession, username: str, password: str, second_factor: str | None = None
) -> IssuedToken:
    """A token for a user; 401 alike for unknown user, inactive user, wrong password or code."""
    user = await authenticate_user(session, username, password, second_factor)
    return await issue(session, user_id=user.id)


async def login_with_client_secret(session: AsyncSession, client_id: str, client_secret: str) -> IssuedToken:
    """A token for an API client (client-credentials grant)."""
    subject = _subject_digest("client", client_id)
    await _check_throttle(session, subject)
    client = await session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))
    valid = verify_secret(client.secret_hash if client else None, client_secret)
    if not (valid and client is not None and client.active):
        raise InvalidCredentials(durable=[partial(_record_failure, subject=subject)])
    await _clear_failures(session, subject)
    return await issue(session, api_client_id=client.id)


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
    )
)


RESOLVE_ON_DRIVER = DriverStatement(RESOLVE)


async def resolve(session: AsyncSession, token: str) -> TokenOwner | None:
    """The owner of a live token (unexpired, unrevoked, owner active), in one query."""
    # Core execution on the session's connection: the ORM layer adds nothing to a column select.
    connection = await session.connection()
    row = (await connection.execute(RESOLVE, _resolve_params(token))).first()
    return None if row is None else _owner(row)


async def resolve_on_driver(connection: asyncpg.Connection, token: str) -> TokenOwner | None:
    """`resolve` on the driver connection of the hot reads (app.db_driver)."""
    rows = await RESOLVE_ON_DRIVER.fetch(connection, _resolve_params(token))
    return _owner(rows[0]) if rows else None


def _resolve_params(token: str) -> dict[str, Any]:
    return {"digest": token_digest(token), "now": clock.now()}


def _owner(row: Sequence[Any]) -> TokenOwner:
    token_id, user_id, client_id, role, agency_id = row
    kind: Literal["user", "client"] = "user" if user_id else "client"
    return TokenOwner(kind, user_id or client_id, Role(role), agency_id, token_id)


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
    """Revoke every live token of a user or client (password change, deactivation), and its sessions."""
    if user_id:
        await sessions.revoke_for_user(session, user_id, reason="revoked")
    column, value = (AccessToken.user_id, user_id) if user_id else (AccessToken.api_client_id, api_client_id)
    await session.execute(
        update(AccessToken)
        .where(column == value, AccessToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def purge_expired(session: AsyncSession) -> int:
    """Delete tokens that expired more than a day ago and stale sign-in failures."""
    now = utcnow()
    tokens = await session.execute(
        delete(AccessToken).where(AccessToken.expires_at < now - timedelta(days=1))
    )
    await session.execute(delete(LoginFailure).where(LoginFailure.occurred_at < now - timedelta(days=1)))
    return tokens.rowcount or 0
