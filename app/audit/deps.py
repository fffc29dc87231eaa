"""The audit trail's request-level part: the event of a denied request, read off the FastAPI request."""

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.errors import AppError
from app.middleware import route_template
from app.security.principal import Actor


async def record_denial(session: AsyncSession, request: Request, error: AppError) -> None:
    """Append the event of a denied attempt (401, 403, or 404 on an object).

    A denial without a valid identity (a 401, a calendar feed's unknown token) is only counted
    (`count_anonymous_denial`): anyone can send those as fast as they like, and a row each would
    bury the denials of real callers.
    """
    actor: Actor | None = getattr(request.state, "actor", None)
    if actor is None:
        settings = request.app.state.settings
        await audit.count_anonymous_denial(
            session, getattr(request.state, "client_ip", None), settings.audit_denial_bucket_seconds
        )
        return
    who = (
        {
            "actor_kind": actor.kind,
            "actor_id": actor.id,
            "actor_role": actor.role.value,
            "agency_id": actor.agency_id,
        }
        if actor
        else {}
    )
    await session.execute(
        audit.APPEND,
        audit.event_row(
            **who,
            action=f"{request.method} {route_template(request.scope) or 'unmatched'}"[:64],
            resource_type=error.resource_type,
            resource_id=None if error.resource_id is None else str(error.resource_id)[:64],
            **_request_metadata(request),
            outcome="denied",
            status_code=error.status,
        ),
    )


def _request_metadata(request: Request) -> dict[str, str | None]:
    """What the request-context middleware established about the request (app.middleware)."""
    state = request.state
    return {
        name: getattr(state, name, None) for name in ("request_id", "correlation_id", "client_ip", "peer_ip")
    }
