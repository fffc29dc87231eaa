"""FastAPI dependencies: who is calling, and may they call this route."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app import db_driver
from app.auth import service as auth_service
from app.auth.service import TokenOwner
from app.db import SessionDep, request_session, write_durable_apart
from app.errors import AppError, Forbidden, NotAuthenticated
from app.security.policy import POLICY, allowed
from app.security.principal import Actor

bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
BearerDep = Annotated[str | None, Depends(bearer)]


def _actor(request: Request, owner: TokenOwner | None) -> Actor:
    """The caller behind a resolved token; 401 when there was none (missing, expired, revoked)."""
    if owner is None:
        raise NotAuthenticated("A valid bearer token is required.")
    actor = Actor(
        kind=owner.kind,
        id=owner.id,
        role=owner.role,
        agency_id=owner.agency_id,
        token_id=owner.token_id,
        request_id=getattr(request.state, "request_id", None),
        client_ip=request.client.host if request.client else None,
    )
    request.state.actor = actor
    return actor


async def current_actor(request: Request, session: SessionDep, token: BearerDep) -> Actor:
    """The caller behind the bearer token; 401 when it is missing, expired or revoked."""
    return _actor(request, await auth_service.resolve(session, token) if token else None)


def _check(actor: Actor, permission: str) -> Actor:
    if not allowed(actor.role, permission):
        raise Forbidden(f"The role {actor.role.value} may not do this.")
    return actor


def _declared(permission: str) -> None:
    if permission not in POLICY:
        raise LookupError(f"undeclared permission {permission!r}")


def require(permission: str) -> Any:
    """The dependency of a route that needs `permission`; it also marks the route for the policy test."""
    _declared(permission)

    async def check(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        return _check(actor, permission)

    check.permission = permission  # type: ignore[attr-defined]
    return check


def Permitted(permission: str) -> Any:  # noqa: N802 - reads as a type in signatures
    """`actor: Permitted("agencies:read")` in a route signature."""
    return Annotated[Actor, Depends(require(permission))]


@dataclass(frozen=True, slots=True)
class ReadAccess:
    """A permitted caller and what its read runs on: the driver connection, or else the session."""

    actor: Actor
    driver: asyncpg.Connection | None
    session: AsyncSession | None


def require_read(permission: str) -> Any:
    """Like `require`, for the hottest reads: on PostgreSQL it all runs on the driver connection.

    Token check, query and audit event share one transaction, as with the session; denials are
    audited the same way (after the rollback, in a transaction of their own).
    """
    _declared(permission)

    async def read_access(request: Request, token: BearerDep) -> AsyncIterator[ReadAccess]:
        engine = request.app.state.engine
        if engine.dialect.name != "postgresql":
            async with request_session(request) as session:
                actor = _actor(request, await auth_service.resolve(session, token) if token else None)
                yield ReadAccess(_check(actor, permission), None, session)
            return
        try:
            async with db_driver.transaction(engine) as connection:
                owner = await auth_service.resolve_on_driver(connection, token) if token else None
                yield ReadAccess(_check(_actor(request, owner), permission), connection, None)
        except AppError as exc:
            await write_durable_apart(request, exc)
            raise

    read_access.permission = permission  # type: ignore[attr-defined]
    return read_access


def ReadPermitted(permission: str) -> Any:  # noqa: N802 - reads as a type in signatures
    """`access: ReadPermitted("persons:read")`: the caller, and the connection or session to read on."""
    return Annotated[ReadAccess, Depends(require_read(permission), scope="function")]
