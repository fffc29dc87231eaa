"""FastAPI dependencies: who is calling, and may they call this route."""

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from app.auth import service as auth_service
from app.db import SessionDep
from app.errors import Forbidden, NotAuthenticated
from app.security.policy import POLICY, allowed
from app.security.principal import Actor

bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def current_actor(
    request: Request, session: SessionDep, token: Annotated[str | None, Depends(bearer)]
) -> Actor:
    """The caller behind the bearer token; 401 when it is missing, expired or revoked."""
    owner = await auth_service.resolve(session, token) if token else None
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


def require(permission: str) -> Any:
    """The dependency of a route that needs `permission`; it also marks the route for the policy test."""
    if permission not in POLICY:
        raise LookupError(f"undeclared permission {permission!r}")

    async def check(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        if not allowed(actor.role, permission):
            raise Forbidden(f"The role {actor.role.value} may not do this.")
        return actor

    check.permission = permission  # type: ignore[attr-defined]
    return check


def Permitted(permission: str) -> Any:  # noqa: N802 - reads as a type in signatures
    """`actor: Permitted("agencies:read")` in a route signature."""
    return Annotated[Actor, Depends(require(permission))]
