"""Import requests: an import of a file with NIK, approved by a second staff member, run once.

With `bulk_nik_import_approval` on, `POST /persons/import` of a file with a NIK (or KK) cell runs
only with `import_request=<id>` naming an approved request of the caller, for the same site, whose
`file_sha256` is the SHA-256 of the very bytes sent. Using it is one atomic claim (app/bulk/service.py)
in the import's own transaction: a failed import gives it back, a second import is refused.
"""

import hashlib
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.bulk import service
from app.bulk.models import BulkRequest
from app.bulk.schemas import ImportRequestCreate
from app.config import Settings
from app.errors import Forbidden
from app.security.principal import Actor
from app.sites import service as site_service

WHAT = "An import with NIK"


class ImportRequestMismatch(Forbidden):
    slug, title = "import-request-mismatch", "Not the approved import"


def file_sha256(raw: bytes) -> str:
    """The hex SHA-256 of an import's file: what an import request approves."""
    return hashlib.sha256(raw).hexdigest()


async def create(
    session: AsyncSession, actor: Actor, body: ImportRequestCreate, settings: Settings
) -> BulkRequest:
    """A pending import of one file into one site, awaiting another staff member's approval."""
    purpose = service.require_purpose(actor, WHAT)
    await site_service.require(session, body.site_id)
    request = service.new_request(
        actor,
        service.IMPORT,
        purpose,
        settings,
        site_id=body.site_id,
        file_sha256=body.file_sha256,
        rows=body.rows,
    )
    session.add(request)
    await audit.record_change(
        session, actor, "import_request.create", request, resource_type="import_request",
        reason=f"purpose={purpose}; site={body.site_id}; file_sha256={body.file_sha256}",
    )  # fmt: skip
    return request


async def check(
    session: AsyncSession,
    actor: Actor,
    site_id: uuid.UUID,
    raw: bytes,
    request_id: uuid.UUID | None,
    settings: Settings,
    *,
    dry_run: bool,
) -> str | None:
    """The audit reason of an import, after its purpose and approval are checked (and claimed).

    A file without NIK needs neither (None). A dry run changes nothing: its purpose suffices.
    With an import request, the request is claimed and its purpose is the one it states.
    """
    if request_id is not None and not dry_run:
        return service.export_reason(await claim(session, actor, request_id, site_id, raw))
    if not service.touches_nik(raw):
        return None
    purpose = service.require_purpose(actor, WHAT)
    if settings.bulk_nik_import_approval and not dry_run:
        raise service.ApprovalRequired(
            "An import with NIK needs a second staff approval: run it with dry_run=true for the "
            "file's file_sha256, POST /api/v1/import-requests with it, have another officer or admin "
            "approve it, then import the same file once with import_request=<id>.",
            resource_type="import_request",
        )
    return f"purpose={purpose}"


async def claim(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, site_id: uuid.UUID, raw: bytes
) -> BulkRequest:
    """Use the caller's approved request for this site and these bytes, once (others' requests: 404)."""
    request = await service.get(session, request_id, service.IMPORT)
    if request.requester_id != actor.id:
        raise service.ImportRequestNotFound(resource_type="import_request", resource_id=request_id)
    if request.site_id != site_id:
        raise ImportRequestMismatch(
            "The import request is for another site.", resource_type="import_request", resource_id=request_id
        )
    if request.file_sha256 != file_sha256(raw):
        raise ImportRequestMismatch(
            "The file is not the one the import request approved: its SHA-256 differs. "
            "Ask for a new request for this file.",
            resource_type="import_request",
            resource_id=request_id,
        )
    if not await service.claim(session, request):
        raise service.ImportRequestUnavailable(
            "The import request is not approved, expired, or was used already."
        )
    return request
