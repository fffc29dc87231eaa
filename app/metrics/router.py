"""GET /metrics in Prometheus text format: 404 unless a token is configured, then Bearer only."""

import asyncio
import hmac
import logging

from fastapi import APIRouter, HTTPException, Request
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from starlette.responses import Response

from app.errors import NotAuthenticated
from app.metrics.registry import Metrics
from app.webhooks import service as webhook_service

log = logging.getLogger("app.metrics")

BACKLOG_TIMEOUT_SECONDS = 2

router = APIRouter(tags=["operations"], include_in_schema=False)


class MetricsTokenRequired(NotAuthenticated):
    title = "Metrics token required"


def _check_token(request: Request) -> None:
    """404 when metrics are off (as for any unknown path); 401 without the configured token."""
    expected = request.app.state.settings.metrics_token
    if not expected:
        raise HTTPException(status_code=404)
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    # Constant-time: the comparison must not tell how much of a guess was right.
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise MetricsTokenRequired("Send the metrics token as `Authorization: Bearer <token>`.")


async def _webhook_backlog(request: Request) -> float:
    """Deliveries waiting; NaN when the database does not answer, so the scrape still succeeds."""
    try:
        async with asyncio.timeout(BACKLOG_TIMEOUT_SECONDS), request.app.state.sessionmaker() as session:
            return float(await webhook_service.pending_count(session))
    except Exception as exc:  # metrics must answer during an outage, when they matter most
        log.warning("webhook backlog unavailable", extra={"error": type(exc).__name__})
        return float("nan")


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Request counts and latencies by route template, database pool usage, webhook backlog."""
    _check_token(request)
    app_metrics: Metrics = request.app.state.metrics
    app_metrics.webhook_backlog = await _webhook_backlog(request)
    # The classic text format 0.0.4: every Prometheus version and most agents read it.
    return Response(generate_latest(app_metrics.registry), media_type=CONTENT_TYPE_PLAIN_0_0_4)
