"""API clients for partner systems and scripts (admin only)."""

import uuid

from fastapi import APIRouter, Response

from app.clients import service
from app.clients.schemas import ClientCreate, ClientRead, ClientUpdate, ClientWithSecret
from app.conventions import IfMatchDep, set_etag
from app.db import SessionDep
from app.idempotency.deps import IdempotencyDep
from app.pagination import Page, PageDep
from app.security.deps import Permitted

router = APIRouter(prefix="/api-clients", tags=["api-clients"])


def _with_secret(client: object, secret: str) -> ClientWithSecret:
    return ClientWithSecret.model_validate(
        {**ClientRead.model_validate(client).model_dump(), "client_secret": secret}
    )


@router.get("", response_model=Page[ClientRead])
async def list_clients(
    session: SessionDep, actor: Permitted("clients:manage"), page: PageDep
) -> Page[ClientRead]:
    """List API clients."""
    items, cursor = await service.list_clients(session, page)
    return Page.of(items, cursor, ClientRead)


@router.post("", status_code=201, response_model=ClientWithSecret)
async def create_client(
    body: ClientCreate, session: SessionDep, actor: Permitted("clients:manage"), idem: IdempotencyDep
) -> Response:
    """Create an API client; the response carries `client_secret`, shown this once."""
    client, secret = await service.create(session, actor, body)
    return await idem.created(
        _with_secret(client, secret), "get_client", client_pk=client.id, version=client.version
    )


@router.get("/{client_pk}", response_model=ClientRead)
async def get_client(
    client_pk: uuid.UUID, session: SessionDep, actor: Permitted("clients:manage"), response: Response
) -> ClientRead:
    """One API client (never its secret)."""
    client = await service.get(session, client_pk)
    set_etag(response, client.version)
    return ClientRead.model_validate(client)


@router.patch("/{client_pk}", response_model=ClientRead)
async def update_client(
    client_pk: uuid.UUID,
    body: ClientUpdate,
    expected: IfMatchDep,
    session: SessionDep,
    actor: Permitted("clients:manage"),
    response: Response,
) -> ClientRead:
    """Change an API client's name, role, agency or activity; needs If-Match."""
    client = await service.update(session, actor, client_pk, body, expected)
    set_etag(response, client.version)
    return ClientRead.model_validate(client)


@router.post("/{client_pk}/secret", response_model=ClientWithSecret)
async def rotate_client_secret(
    client_pk: uuid.UUID, session: SessionDep, actor: Permitted("clients:manage"), response: Response
) -> ClientWithSecret:
    """Issue a new secret (shown once); the old secret and its tokens stop working."""
    client, secret = await service.rotate_secret(session, actor, client_pk)
    set_etag(response, client.version)
    return _with_secret(client, secret)
