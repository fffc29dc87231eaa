"""Arranging test data directly through the services (fast: no password hashing per token)."""

import uuid
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies.models import Agency
from app.agencies.service import name_key
from app.auth import service as auth_service
from app.security.policy import Role
from app.users.models import User


async def make_agency(
    session: AsyncSession, name: str | None = None, kind: str = "ngo", region_code: str = "53.71"
) -> Agency:
    name = name or f"Yayasan Uji {uuid.uuid4().hex[:6]}"
    agency = Agency(name=name, name_key=name_key(name), kind=kind, region_code=region_code)
    session.add(agency)
    await session.flush()
    return agency


async def make_user(session: AsyncSession, role: Role, agency_id: uuid.UUID | None = None) -> User:
    user = User(
        username=f"{role.value}-{uuid.uuid4().hex[:8]}",
        full_name=f"Petugas Uji {role.value.title()}",
        password_hash="!unusable",  # never matches: tokens are issued directly
        role=role.value,
        agency_id=agency_id,
    )
    session.add(user)
    await session.flush()
    return user


async def make_token(
    session: AsyncSession, role: Role, agency_id: uuid.UUID | None = None
) -> tuple[User, str]:
    user = await make_user(session, role, agency_id)
    issued = await auth_service.issue(session, user_id=user.id)
    return user, issued.access_token


@dataclass
class Caller:
    user: User
    token: str
    headers: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.headers = {"Authorization": f"Bearer {self.token}"}


@dataclass
class Callers:
    """One signed-in user per role, two partners of different agencies."""

    agency_a: Agency
    agency_b: Agency
    admin: Caller
    officer: Caller
    partner_a: Caller
    partner_b: Caller
    auditor: Caller
    viewer: Caller

    def by_name(self) -> dict[str, Caller]:
        return {
            name: getattr(self, name)
            for name in ("admin", "officer", "partner_a", "partner_b", "auditor", "viewer")
        }


async def make_callers(session: AsyncSession) -> Callers:
    agency_a = await make_agency(session, "Yayasan Uji Alfa")
    agency_b = await make_agency(session, "Polres Uji Beta", kind="police")
    callers = {}
    for name, role, agency in (
        ("admin", Role.admin, None),
        ("officer", Role.officer, None),
        ("partner_a", Role.partner, agency_a.id),
        ("partner_b", Role.partner, agency_b.id),
        ("auditor", Role.auditor, None),
        ("viewer", Role.viewer, None),
    ):
        callers[name] = Caller(*await make_token(session, role, agency))
    await session.commit()
    return Callers(agency_a=agency_a, agency_b=agency_b, **callers)
