"""API clients: created and rotated by admins; the secret is shown once and stored hashed."""

import secrets
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth import service as auth_service
from app.clients.models import ApiClient
from app.clients.schemas import ClientCreate, ClientUpdate, stored_networks
from app.conventions import check_version
from app.errors import NotFound
from app.pagination import PageParams, paginate_rows
from app.security.passwords import hash_secret
from app.security.policy import Role
from app.security.principal import Actor
from app.security.tokens import new_token
from app.users.service import check_role_agency


class ClientNotFound(NotFound):
    slug, title = "client-not-found", "API client not found"


async def get(session: AsyncSession, client_pk: uuid.UUID) -> ApiClient:
    client = await session.get(ApiClient, client_pk)
    if client is None:
        raise ClientNotFound(resource_type="api_client", resource_id=client_pk)
    return client


async def create(session: AsyncSession, actor: Actor | None, data: ClientCreate) -> tuple[ApiClient, str]:
    """A new client and its secret (returned once)."""
    await check_role_agency(session, data.role, data.agency_id)
    secret = new_token()
    client = ApiClient(
        **data.model_dump(exclude={"allowed_networks"}),
        allowed_networks=stored_networks(data.allowed_networks),
        client_id=f"rc_{secrets.token_urlsafe(12)}",
        secret_hash=hash_secret(secret),
    )
    session.add(client)
    await session.flush()
    if actor is not None:
        await audit.record(session, actor, "client.create", resource_type="api_client", resource_id=client.id)
    return client, secret


async def update(
    session: AsyncSession, actor: Actor, client_pk: uuid.UUID, data: ClientUpdate, expected: int
) -> ApiClient:
    """Apply the fields sent; deactivation revokes the client's tokens."""
    client = await get(session, client_pk)
    check_version(expected, client.version)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    if "role" in changes or "agency_id" in changes:
        # Only a new role or agency is checked: clients of a since-deactivated agency stay editable.
        await check_role_agency(
            session, Role(changes.get("role", client.role)), changes.get("agency_id", client.agency_id)
        )
    if "allowed_networks" in changes:
        changes["allowed_networks"] = stored_networks(data.allowed_networks)
    for field, value in changes.items():
        setattr(client, field, value)
    await session.flush()
    if changes.get("active") is False:
        await auth_service.revoke_all(session, api_client_id=client.id)
    await audit.record(session, actor, "client.update", resource_type="api_client", resource_id=client.id)
    return client


async def rotate_secret(session: AsyncSession, actor: Actor, client_pk: uuid.UUID) -> tuple[ApiClient, str]:
    """A new secret; the old one and every token issued with it stop working."""
    client = await get(session, client_pk)
    secret = new_token()
    client.secret_hash = hash_secret(secret)
    await session.flush()
    await auth_service.revoke_all(session, api_client_id=client.id)
    await audit.record(
        session, actor, "client.rotate_secret", resource_type="api_client", resource_id=client.id
    )
    return client, secret


async def list_clients(session: AsyncSession, page: PageParams) -> tuple[Sequence[ApiClient], str | None]:
    rows, cursor = await paginate_rows(session, select(ApiClient), ApiClient.id, page)
    return [r[0] for r in rows], cursor
