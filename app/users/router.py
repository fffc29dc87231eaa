"""Users (admin) and the caller's own account (/me)."""

import uuid

from fastapi import APIRouter, Response

from app.conventions import IfMatchDep, set_etag
from app.db import SessionDep
from app.errors import Forbidden
from app.idempotency.deps import IdempotencyDep
from app.pagination import Page, PageDep
from app.security.deps import Permitted
from app.security.policy import POLICY, Role
from app.security.principal import Actor
from app.users import service
from app.users.models import User
from app.users.schemas import MeRead, PasswordChange, UserCreate, UserRead, UserUpdate

router = APIRouter(prefix="/users", tags=["users"])
me_router = APIRouter(prefix="/me", tags=["me"])


@router.get("", response_model=Page[UserRead])
async def list_users(
    session: SessionDep,
    actor: Permitted("users:manage"),
    page: PageDep,
    role: Role | None = None,
    active: bool | None = None,
    agency_id: uuid.UUID | None = None,
) -> Page[UserRead]:
    """List users."""
    items, cursor = await service.list_users(session, page, role=role, active=active, agency_id=agency_id)
    return Page.of(items, cursor, UserRead)


@router.post("", status_code=201, response_model=UserRead)
async def create_user(
    body: UserCreate, session: SessionDep, actor: Permitted("users:manage"), idem: IdempotencyDep
) -> Response:
    """Create a user."""
    user = await service.create(session, actor, body)
    return await idem.created(
        UserRead.model_validate(user), "get_user", user_id=user.id, version=user.version
    )


@router.get("/{user_id}", response_model=UserRead)
async def get_user(
    user_id: uuid.UUID, session: SessionDep, actor: Permitted("users:manage"), response: Response
) -> UserRead:
    """One user."""
    user = await service.get(session, user_id)
    set_etag(response, user.version)
    return UserRead.model_validate(user)


@router.patch("/{user_id}", response_model=UserRead)
async def update_user(
    user_id: uuid.UUID,
    body: UserUpdate,
    expected: IfMatchDep,
    session: SessionDep,
    actor: Permitted("users:manage"),
    response: Response,
) -> UserRead:
    """Change a user: name, role, agency, password or activity; needs If-Match."""
    user = await service.update(session, actor, user_id, body, expected)
    set_etag(response, user.version)
    return UserRead.model_validate(user)


async def _display_name(session: SessionDep, actor: Actor) -> str:
    if actor.kind == "user":
        user = await session.get(User, actor.id)
        # An external provider's user (app/auth/oidc.py) has no local account: named as such.
        return user.full_name if user is not None else "External identity"
    from app.clients import service as client_service

    return (await client_service.get(session, actor.id)).name


@me_router.get("", response_model=MeRead)
async def read_me(session: SessionDep, actor: Permitted("me:read")) -> MeRead:
    """Who the token belongs to, and what it may do."""
    return MeRead(
        kind=actor.kind,
        id=actor.id,
        name=await _display_name(session, actor),
        role=actor.role,
        agency_id=actor.agency_id,
        permissions=sorted(p for p, roles in POLICY.items() if actor.role in roles),
    )


@me_router.post(
    "/password",
    status_code=204,
    responses={429: {"description": "Wrong current passwords are throttled like sign-ins (Retry-After)."}},
)
async def change_password(body: PasswordChange, session: SessionDep, actor: Permitted("me:read")) -> None:
    """Change your own password; all your tokens are revoked, so sign in again."""
    if actor.kind != "user":
        raise Forbidden("API clients have secrets, not passwords; ask an admin to rotate it.")
    await service.change_own_password(session, actor, body.current_password, body.new_password)
