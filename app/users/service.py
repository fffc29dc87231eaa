"""Users: admin-managed accounts; password changes and deactivation revoke tokens."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies import service as agency_service
from app.audit import service as audit
from app.auth import service as auth_service
from app.auth import throttle
from app.conventions import check_version
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.pagination import PageParams, paginate_rows
from app.security.passwords import hash_secret, verify_secret
from app.security.policy import Role
from app.security.principal import Actor
from app.users.models import User
from app.users.schemas import UserCreate, UserUpdate


class UserNotFound(NotFound):
    slug, title = "user-not-found", "User not found"


class DuplicateUsername(Conflict):
    slug, title = "duplicate-username", "Username taken"


class LastAdmin(Conflict):
    slug, title = "last-admin", "Last administrator"


async def check_role_agency(session: AsyncSession, role: Role, agency_id: uuid.UUID | None) -> None:
    """Partners must belong to an existing, active agency."""
    if role is Role.partner and agency_id is None:
        raise InvalidInput([(("body", "agency_id"), "required for the partner role")])
    await agency_service.require_active(session, agency_id)


async def get(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise UserNotFound(resource_type="user", resource_id=user_id)
    return user


async def create(session: AsyncSession, actor: Actor | None, data: UserCreate) -> User:
    """A new user with an Argon2id password hash."""
    await check_role_agency(session, data.role, data.agency_id)
    if await session.scalar(select(User.id).where(User.username == data.username)):
        raise DuplicateUsername("This username is taken.")
    fields = data.model_dump(exclude={"password"})
    user = User(**fields, password_hash=hash_secret(data.password), password_changed_at=utcnow())
    session.add(user)
    await session.flush()
    if actor is not None:
        await audit.record(session, actor, "user.create", resource_type="user", resource_id=user.id)
    return user


async def _ensure_other_admin(session: AsyncSession, user: User) -> None:
    others = await session.scalar(
        select(func.count()).where(User.role == Role.admin.value, User.active, User.id != user.id)
    )
    if not others:
        raise LastAdmin("This is the last active administrator.")


async def update(
    session: AsyncSession, actor: Actor, user_id: uuid.UUID, data: UserUpdate, expected: int
) -> User:
    """Apply the fields sent; revoke the user's tokens on a new password or deactivation."""
    user = await get(session, user_id)
    check_version(expected, user.version)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    role = Role(changes.get("role", user.role))
    if "role" in changes or "agency_id" in changes:
        # Only a new role or agency is checked: users of a since-deactivated agency stay editable.
        await check_role_agency(session, role, changes.get("agency_id", user.agency_id))
    if user.role == Role.admin.value and (role is not Role.admin or changes.get("active") is False):
        await _ensure_other_admin(session, user)
    password = changes.pop("password", None)
    if password is not None:
        user.password_hash = await throttle.hash_bounded(actor.client_ip, hash_secret, password)
        user.password_changed_at = utcnow()
    # New privileges are signed in for anew: a session of the old role had none of the new
    # role's checks (a second factor, above all).
    regranted = any(changes.get(f, getattr(user, f)) != getattr(user, f) for f in ("role", "agency_id"))
    for field, value in changes.items():
        setattr(user, field, value)
    await session.flush()
    if password is not None or changes.get("active") is False or regranted:
        await auth_service.revoke_all(session, user_id=user.id)
    await audit.record(session, actor, "user.update", resource_type="user", resource_id=user.id)
    return user


async def change_own_password(session: AsyncSession, actor: Actor, current: str, new: str) -> None:
    """A user's own password change; every token of theirs is revoked, this one too."""
    user = await get(session, actor.id)
    # Throttled like a sign-in (the same keys): a stolen token must not guess the password.
    keys = throttle.keys_for("user", user.username, actor.client_ip)
    keep_count = await throttle.reserve_in(session, keys)
    if not await throttle.hash_bounded(actor.client_ip, verify_secret, user.password_hash, current):
        raise InvalidInput([(("body", "current_password"), "does not match")], durable=[keep_count])
    await throttle.succeeded(session, keys)
    user.password_hash = await throttle.hash_bounded(actor.client_ip, hash_secret, new)
    user.password_changed_at = utcnow()
    await session.flush()
    await auth_service.revoke_all(session, user_id=user.id)
    await audit.record(session, actor, "user.password_change", resource_type="user", resource_id=user.id)


async def list_users(
    session: AsyncSession,
    page: PageParams,
    *,
    role: Role | None,
    active: bool | None,
    agency_id: uuid.UUID | None,
) -> tuple[Sequence[User], str | None]:
    stmt = select(User)
    if role:
        stmt = stmt.where(User.role == role.value)
    if active is not None:
        stmt = stmt.where(User.active == active)
    if agency_id:
        stmt = stmt.where(User.agency_id == agency_id)
    rows, cursor = await paginate_rows(session, stmt, User.id, page)
    return [r[0] for r in rows], cursor


async def find_by_username(session: AsyncSession, username: str) -> User | None:
    """The user of `username` (not audited: for the server's own commands)."""
    return await session.scalar(select(User).where(User.username == username.strip().lower()))


async def any_users(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(func.count()).select_from(User)))


async def ensure_admin(session: AsyncSession, password: str, username: str = "admin") -> bool:
    """Create the admin user on an empty user table; False when users already exist."""
    if await any_users(session):
        return False
    await create(
        session,
        None,
        UserCreate(username=username, full_name="Administrator", password=password, role=Role.admin),
    )
    return True
