"""FastAPI dependencies: who is calling, and may they call this route."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app import db_driver
from app.auth import service as auth_service
from app.auth.service import TokenOwner
from app.bulk import volume
from app.db import SessionDep, request_session, write_durable_apart
from app.errors import AppError, Forbidden, NotAuthenticated
from app.privacy.purpose import PurposeHeader, purpose_from, refuse_personal_query
from app.security.policy import POLICY, allowed
from app.security.principal import Actor

bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
BearerDep = Annotated[str | None, Depends(bearer)]


def _actor(request: Request, owner: TokenOwner | None, purpose: str | None) -> Actor:
    """The caller behind a resolved token, with the purpose it names; 401 when there was none.

    `purpose` is the X-Purpose header, declared by the dependencies below (`PurposeHeader`), so
    that the document declares it on every operation that reads it: all that need a token.
    """
    refuse_personal_query(request)
    state = request.state
    # A client bound to its networks: its token from elsewhere is as good as none.
    if owner is None or not owner.allows(getattr(state, "client_ip", None)):
        raise NotAuthenticated("A valid bearer token is required.")
    actor = Actor(
        kind=owner.kind,
        id=owner.id,
        role=owner.role,
        agency_id=owner.agency_id,
        token_id=owner.token_id,
        request_id=getattr(state, "request_id", None),
        client_ip=getattr(state, "client_ip", None),
        correlation_id=getattr(state, "correlation_id", None),
        peer_ip=getattr(state, "peer_ip", None),
        purpose=purpose_from(purpose),
    )
    request.state.actor = actor
    return actor


async def current_actor(
    request: Request, session: SessionDep, token: BearerDep, purpose: PurposeHeader = None
) -> Actor:
    """The caller behind the bearer token; 401 when it is missing, expired or revoked."""
    return _actor(request, await auth_service.resolve(session, token) if token else None, purpose)


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


def Permitted(permission: str) -> Any:  # reads as a type in signatures
    """`actor: Permitted("agencies:read")` in a route signature."""
    return Annotated[Actor, Depends(require(permission))]


@dataclass(frozen=True, slots=True)
class ReadAccess:
    """A permitted caller and what its read runs on: the driver connection, or else the session."""

    actor: Actor
    driver: db_driver.DriverConnection | None
    session: AsyncSession | None


class PermittedRead:
    """`async with read as access:` the hottest reads' caller, checked, and its connection.

    On PostgreSQL it all runs on the driver connection (app.db_driver): token check, query and
    audit event share one transaction, as they would in the session. Denials are audited the
    same way (after the rollback, in a transaction of their own). Elsewhere it is the session.
    A context manager the route enters, not a dependency with `yield`: FastAPI's machinery for
    those cost more than the rest of the dependency on this path.
    """

    __slots__ = ("_permission", "_purpose", "_request", "_scope", "_token")

    def __init__(
        self, request: Request, token: str | None, permission: str, purpose: str | None = None
    ) -> None:
        self._request = request
        self._token = token
        self._permission = permission
        self._purpose = purpose
        self._scope: Any = None

    async def __aenter__(self) -> ReadAccess:
        engine = self._request.app.state.engine
        on_driver = engine.dialect.name == "postgresql"
        self._scope = db_driver.Transaction(engine) if on_driver else request_session(self._request)
        handle = await self._scope.__aenter__()
        try:
            if on_driver:
                owner = await auth_service.resolve_on_driver(handle, self._token) if self._token else None
            else:
                owner = await auth_service.resolve(handle, self._token) if self._token else None
            actor = _check(_actor(self._request, owner, self._purpose), self._permission)
        except BaseException as exc:
            await self.__aexit__(type(exc), exc, exc.__traceback__)
            raise
        return ReadAccess(actor, handle, None) if on_driver else ReadAccess(actor, None, handle)

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, traceback: Any) -> None:
        scope, self._scope = self._scope, None
        if scope is None:
            return
        try:
            await scope.__aexit__(exc_type, exc, traceback)
        finally:
            # The session writes its own (request_session); the driver's go through one here.
            if isinstance(exc, AppError) and isinstance(scope, db_driver.Transaction):
                await write_durable_apart(self._request, exc)
        if exc is None and volume.PENDING.get() is not None:
            await volume.write_pending(self._request.app.state.sessionmaker)


def require_read(permission: str) -> Any:
    """Like `require`, for the hottest reads: the route enters the `PermittedRead` it gets."""
    _declared(permission)

    async def read_access(request: Request, token: BearerDep, purpose: PurposeHeader = None) -> PermittedRead:
        return PermittedRead(request, token, permission, purpose)

    read_access.permission = permission  # type: ignore[attr-defined]
    return read_access


def ReadPermitted(permission: str) -> Any:  # reads as a type in signatures
    """`read: ReadPermitted("persons:read")`, then `async with read as access:` in the route."""
    return Annotated[PermittedRead, Depends(require_read(permission))]
