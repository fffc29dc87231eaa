"""Liveness and readiness probes (unauthenticated, no data)."""

import asyncio

from fastapi import APIRouter, Request
from sqlalchemy import text

from app.errors import ServiceUnavailable

router = APIRouter(prefix="/health", tags=["health"])

READY_TIMEOUT_SECONDS = 3


@router.get("/live")
async def live() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "The database does not answer."}})
async def ready(request: Request) -> dict[str, str]:
    """The process can serve: the database answers."""
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS), request.app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database means not ready
        raise ServiceUnavailable("The database does not answer.") from exc
    return {"status": "ok"}
