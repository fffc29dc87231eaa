"""The import use case shared by the API and the CLI: parse, check, then write all or nothing."""

import uuid
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import AppError, InvalidInput
from app.persons import csv_io
from app.persons.schemas import ImportReport
from app.security.principal import Actor
from app.sites import service as site_service

MAX_REPORTED_ERRORS = 1000


class UploadTooLarge(AppError):
    status, slug, title = 413, "content-too-large", "Content too large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The file is over the upload limit of {limit} bytes.")


class ImportRejected(InvalidInput):
    slug, title = "import-rejected", "Import rejected"

    def __init__(self, errors: list[csv_io.RowError], rows: int) -> None:
        shown = errors[:MAX_REPORTED_ERRORS]
        super().__init__(
            [],
            detail=f"{len(errors)} error(s) in {rows} row(s); nothing was written.",
        )
        self.extra = {
            "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in shown],
            "error_count": len(errors),
        }


async def run_import(
    session: AsyncSession,
    actor: Actor,
    site_id: uuid.UUID,
    raw: bytes,
    *,
    dry_run: bool,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a CSV into a site: 422 listing every error and writing nothing, else every row."""
    site = await site_service.require(session, site_id)
    try:
        text = csv_io.decode(raw)
    except UnicodeDecodeError as exc:
        raise ImportRejected([csv_io.RowError(0, None, "the file is not UTF-8")], 0) from exc
    parsed = csv_io.parse(text, site_id)
    await csv_io.check_against_registry(session, parsed)
    if parsed.errors:
        raise ImportRejected(parsed.errors, len(parsed.rows))
    if not parsed.rows:
        raise ImportRejected([csv_io.RowError(1, None, "the file has no rows")], 0)
    created = 0 if dry_run else len(await csv_io.write(session, actor, site, parsed.rows, progress))
    return ImportReport(dry_run=dry_run, rows=len(parsed.rows), created=created, errors=[])
