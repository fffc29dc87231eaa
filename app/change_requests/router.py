"""Change requests: partners propose status changes and corrections of referred persons."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from app.change_requests import service
from app.change_requests.schemas import (
    ChangeRequestCreate,
    ChangeRequestRead,
    Decision,
    Kind,
    Rejection,
    RequestStatus,
)
from app.change_requests.service import Filters
from app.conventions import IfMatchDep, set_etag
from app.db import SessionDep
from app.idempotency.deps import IdempotencyDep
from app.pagination import Page, PageDep
from app.security.deps import Permitted
from app.security.principal import Actor

router = APIRouter(prefix="/change-requests", tags=["change requests"])
person_router = APIRouter(prefix="/persons", tags=["change requests"])

PersonRef = Annotated[uuid.UUID, "The person's id (partners: their agency's own id for the person)."]


async def _filters(
    status: RequestStatus | None = None, kind: Kind | None = None, person_id: uuid.UUID | None = None
) -> Filters:
    return Filters(status, kind, person_id)


FiltersDep = Annotated[Filters, Depends(_filters)]


def _page(requests: list, actor: Actor, cursor: str | None) -> Page[ChangeRequestRead]:
    return Page.of(requests, cursor, lambda r: service.present(r, actor))


@person_router.post("/{person_id}/change-requests", status_code=201, response_model=ChangeRequestRead)
async def submit_change_request(
    person_id: PersonRef,
    body: ChangeRequestCreate,
    session: SessionDep,
    actor: Permitted("change_requests:create"),
    idem: IdempotencyDep,
) -> Response:
    """Propose a status change or a correction of a person referred to your agency; officers decide."""
    request = await service.submit(session, actor, person_id, body)
    view = service.present(request, actor)
    return await idem.created(view, "get_change_request", request_id=request.id, version=request.version)


@person_router.get("/{person_id}/change-requests", response_model=Page[ChangeRequestRead])
async def list_person_change_requests(
    person_id: PersonRef,
    session: SessionDep,
    actor: Permitted("change_requests:read"),
    page: PageDep,
    filters: FiltersDep,
) -> Page[ChangeRequestRead]:
    """The change requests of one person (partners: their agency's only), oldest first."""
    requests, cursor = await service.list_for_person(session, actor, person_id, page, filters)
    return _page(requests, actor, cursor)


@router.get("", response_model=Page[ChangeRequestRead])
async def list_change_requests(
    session: SessionDep,
    actor: Permitted("change_requests:read"),
    page: PageDep,
    filters: FiltersDep,
) -> Page[ChangeRequestRead]:
    """Change requests, oldest first (partners: their agency's; restricted persons' need X-Purpose)."""
    requests, cursor = await service.list_requests(session, actor, page, filters)
    return _page(requests, actor, cursor)


@router.get("/{request_id}", response_model=ChangeRequestRead)
async def get_change_request(
    request_id: uuid.UUID,
    session: SessionDep,
    actor: Permitted("change_requests:read"),
    response: Response,
) -> ChangeRequestRead:
    """One change request and its outcome (the read is audited; a restricted person's needs X-Purpose)."""
    request = await service.get(session, actor, request_id)
    set_etag(response, request.version)
    return service.present(request, actor)


@router.post("/{request_id}/approve", response_model=ChangeRequestRead)
async def approve_change_request(
    request_id: uuid.UUID,
    expected: IfMatchDep,
    session: SessionDep,
    actor: Permitted("change_requests:decide"),
    response: Response,
    body: Decision | None = None,
) -> ChangeRequestRead:
    """Approve a pending request (If-Match): the change is applied now, with the partner as its source."""
    request = await service.approve(session, actor, request_id, expected, body.reason if body else None)
    set_etag(response, request.version)
    return service.present(request, actor)


@router.post("/{request_id}/reject", response_model=ChangeRequestRead)
async def reject_change_request(
    request_id: uuid.UUID,
    body: Rejection,
    expected: IfMatchDep,
    session: SessionDep,
    actor: Permitted("change_requests:decide"),
    response: Response,
) -> ChangeRequestRead:
    """Reject a pending request (If-Match) with a reason the partner reads; nothing else changes."""
    request = await service.reject(session, actor, request_id, expected, body.reason)
    set_etag(response, request.version)
    return service.present(request, actor)


@router.post("/{request_id}/withdraw", response_model=ChangeRequestRead)
async def withdraw_change_request(
    request_id: uuid.UUID,
    expected: IfMatchDep,
    session: SessionDep,
    actor: Permitted("change_requests:create"),
    response: Response,
) -> ChangeRequestRead:
    """Withdraw your agency's pending request (If-Match)."""
    request = await service.withdraw(session, actor, request_id, expected)
    set_etag(response, request.version)
    return service.present(request, actor)
