"""Sessions that end: short access tokens, rotating refresh tokens, idle and absolute timeouts.

A session is one sign-in through a frontend; its refresh tokens are one family. Each refresh
token works once and is replaced; presenting a used one again means it was copied, so the whole
family is revoked. Every access token is capped at its session's idle and absolute ends, and
revoking a session revokes its access tokens: the token check (app/auth/service.resolve) stays
one indexed lookup with no join on the hot path.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.agencies.models import Agency
from app.audit import service as audit
from app.auth import revocation
from app.auth.errors import InvalidGrant
from app.auth.models import AccessToken
from app.auth.signin_models import AuthSession, RefreshToken
from app.config import get_settings
from app.errors import NotFound
from app.security.policy import Role
from app.security.principal import Actor
from app.security.tokens import new_token, token_digest
from app.users.models import User


class SessionNotFound(NotFound):
    slug, title = "session-not-found", "Session not found"


@dataclass(frozen=True, slots=True)
class SessionTokens:
    access_token: str
    expires_in: int
    refresh_token: str


async def start(session: AsyncSession, user: User, client_id: str) -> tuple[AuthSession, SessionTokens]:
    """A new session for a user who has just signed in (password and second factor checked)."""
    settings, now = get_settings(), clock.now()
    absolute = now + timedelta(hours=settings.session_absolute_hours)
    auth_session = AuthSession(
        user_id=user.id,
        client_id=client_id,
        created_at=now,
        last_refreshed_at=now,
        idle_expires_at=min(now + timedelta(minutes=settings.session_idle_minutes), absolute),
        absolute_expires_at=absolute,
    )
    session.add(auth_session)
    await session.flush()
    return auth_session, await _tokens(session, auth_session)


async def _tokens(session: AsyncSession, auth_session: AuthSession) -> SessionTokens:
    """A fresh access token and refresh token of `auth_session`."""
    now, refresh, access = clock.now(), new_token(), new_token()
    ttl = timedelta(minutes=get_settings().session_access_token_ttl_minutes)
    expires_at = min(now + ttl, auth_session.idle_expires_at, auth_session.absolute_expires_at)
    session.add(RefreshToken(session_id=auth_session.id, token_digest=token_digest(refresh), created_at=now))
    session.add(
        AccessToken(
            token_digest=token_digest(access),
            user_id=auth_session.user_id,
            session_id=auth_session.id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    await session.flush()
    return SessionTokens(access, int((expires_at - now).total_seconds()), refresh)


async def refresh(session: AsyncSession, refresh_token: str, client_id: str) -> SessionTokens:
    """Rotate a refresh token; a used one revokes its whole session (reuse detection)."""
    now = clock.now()
    row = (
        await session.execute(
            select(RefreshToken, AuthSession, User, Agency.active, Agency.tokens_valid_after)
            .join(AuthSession, AuthSession.id == RefreshToken.session_id)
            .join(User, User.id == AuthSession.user_id)
            .outerjoin(Agency, Agency.id == User.agency_id)
            .where(RefreshToken.token_digest == token_digest(refresh_token))
        )
    ).first()
    if row is None:
        raise InvalidGrant()
    token, auth_session, user, agency_active, agency_epoch = row
    if client_id != auth_session.client_id:
        raise InvalidGrant()
    if token.used_at is not None or not await _mark_used(session, token.id, now):
        # Written after the request's rollback: the refusal must not undo the revocation.
        # Values, not ORM objects: those expire with the rollback the durable write follows.
        owner = Actor("user", user.id, Role(user.role), user.agency_id, token_id=uuid.UUID(int=0))
        raise InvalidGrant(durable=[partial(_revoke_reused, session_id=auth_session.id, owner=owner)])
    live = auth_session.revoked_at is None and now < auth_session.idle_expires_at
    if not (live and now < auth_session.absolute_expires_at and user.active and agency_active is not False):
        raise InvalidGrant()
    # A deactivation revokes for good: a session begun before the user's or agency's epoch ends.
    if not revocation.issued_after(auth_session.created_at, user.tokens_valid_after, agency_epoch):
        raise InvalidGrant()
    auth_session.last_refreshed_at = now
    idle = now + timedelta(minutes=get_settings().session_idle_minutes)
    auth_session.idle_expires_at = min(idle, auth_session.absolute_expires_at)
    return await _tokens(session, auth_session)


async def _mark_used(session: AsyncSession, token_id: uuid.UUID, now: datetime) -> bool:
    """Atomic: of two refreshes racing with one token, only one wins; the other is a reuse."""
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == token_id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def _revoke_reused(session: AsyncSession, *, session_id: uuid.UUID, owner: Actor) -> None:
    await revoke(session, session_id, reason="refresh-token-reuse")
    await audit.record(
        session,
        owner,
        "session.revoke",
        resource_type="session",
        resource_id=session_id,
        outcome="failure",
        reason="refresh-token-reuse",
    )


async def revoke(session: AsyncSession, session_id: uuid.UUID, *, reason: str) -> None:
    """End one session: it refreshes no more, and its access tokens stop working at once."""
    await _revoke_where(session, AuthSession.id == session_id, AccessToken.session_id == session_id, reason)


async def revoke_for_user(session: AsyncSession, user_id: uuid.UUID, *, reason: str) -> None:
    """End every session of a user, and revoke every access token of the user."""
    await _revoke_where(session, AuthSession.user_id == user_id, AccessToken.user_id == user_id, reason)


async def _revoke_where(session: AsyncSession, sessions: Any, tokens: Any, reason: str) -> None:
    now = clock.now()
    for table, which, values in (
        (AuthSession, sessions, {"revoked_at": now, "revoked_reason": reason}),
        (AccessToken, tokens, {"revoked_at": now}),
    ):
        await session.execute(
            update(table)
            .where(which, table.revoked_at.is_(None))
            .values(values)
            .execution_options(synchronize_session=False)
        )


async def live_for_user(session: AsyncSession, user_id: uuid.UUID) -> Sequence[AuthSession]:
    """A user's sessions that have not ended, newest first."""
    now = clock.now()
    return (
        await session.scalars(
            select(AuthSession)
            .where(
                AuthSession.user_id == user_id,
                AuthSession.revoked_at.is_(None),
                AuthSession.idle_expires_at > now,
                AuthSession.absolute_expires_at > now,
            )
            .order_by(AuthSession.created_at.desc(), AuthSession.id.desc())
        )
    ).all()


async def session_of_token(session: AsyncSession, token_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(select(AccessToken.session_id).where(AccessToken.id == token_id))


async def revoke_own(session: AsyncSession, actor: Actor, session_id: uuid.UUID) -> None:
    """Sign out of one of your sessions; another user's session is 404 alike an unknown one."""
    owned = await session.scalar(
        select(AuthSession.id).where(AuthSession.id == session_id, AuthSession.user_id == actor.id)
    )
    if owned is None:
        raise SessionNotFound(resource_type="session", resource_id=session_id)
    await revoke(session, session_id, reason="signed-out")
    await audit.record(session, actor, "session.revoke", resource_type="session", resource_id=session_id)


async def sign_out_everywhere(session: AsyncSession, actor: Actor, user_id: uuid.UUID) -> None:
    """An admin ends every session and token of a user (a lost laptop, a leaving officer)."""
    await revoke_for_user(session, user_id, reason="admin")
    await revocation.start_epoch(session, user_id=user_id)  # tokens of any kind: calendar feeds too
    await audit.record(session, actor, "session.revoke_all", resource_type="user", resource_id=user_id)
