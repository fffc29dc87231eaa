"""Identity, access and audit tests; shared helpers for signing in through the real token endpoint."""

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.clients import service as client_service
from app.clients.models import ApiClient
from app.clients.schemas import ClientCreate
from app.security.policy import Role
from app.users import service as user_service
from app.users.models import User
from app.users.schemas import UserCreate

TOKEN_URL = "/api/v1/auth/token"
PASSWORD = "kata-sandi-uji-panjang"  # 22 characters, synthetic


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def password_user(
    session: AsyncSession,
    role: Role = Role.officer,
    *,
    agency_id: uuid.UUID | None = None,
    password: str = PASSWORD,
    active: bool = True,
) -> User:
    """A committed user created through the service, so the password is really hashed."""
    data = UserCreate(
        username=f"petugas.{uuid.uuid4().hex[:10]}",
        full_name="Petugas Uji Sandi",
        password=password,
        role=role,
        agency_id=agency_id,
        active=active,
    )
    user = await user_service.create(session, None, data)
    await session.commit()
    return user


async def api_client(
    session: AsyncSession, role: Role = Role.officer, *, agency_id: uuid.UUID | None = None
) -> tuple[ApiClient, str]:
    """A committed API client and its secret."""
    data = ClientCreate(name=f"Sistem Mitra Uji {uuid.uuid4().hex[:6]}", role=role, agency_id=agency_id)
    client, secret = await client_service.create(session, None, data)
    await session.commit()
    return client, secret


async def password_grant(http: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await http.post(
        TOKEN_URL, data={"grant_type": "password", "username": username, "password": password}
    )


async def client_grant(http: httpx.AsyncClient, client_id: str, secret: str) -> httpx.Response:
    return await http.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )


async def sign_in(http: httpx.AsyncClient, username: str, password: str = PASSWORD) -> str:
    """A token from the password grant; fails the test when sign-in fails."""
    response = await password_grant(http, username, password)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]
