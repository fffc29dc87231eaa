"""The application factory: routers, middleware, error handlers."""

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy.exc import IntegrityError

from app.agencies.router import router as agencies_router
from app.apidocs.examples import install_examples
from app.apidocs.router import install_api_docs
from app.audit.router import router as audit_router
from app.auth.passkeys_router import me_router as me_webauthn_router
from app.auth.passkeys_router import router as webauthn_router
from app.auth.router import router as auth_router
from app.auth.signin_router import SignInRefused, render_refused
from app.auth.signin_router import me_router as me_sessions_router
from app.auth.signin_router import router as signin_router
from app.auth.signin_router import users_router as user_sessions_router
from app.bulk.router import import_router as import_requests_router
from app.bulk.router import router as export_requests_router
from app.calendars.router import router as calendars_router
from app.censuses.router import router as censuses_router
from app.change_requests.router import person_router as person_change_requests_router
from app.change_requests.router import router as change_requests_router
from app.clients.router import router as clients_router
from app.config import Settings, get_settings
from app.coordination.router import assistance as assistance_router
from app.coordination.router import coordinations as coordinations_router
from app.coordination.router import repatriations as repatriations_router
from app.db import check_database_files, create_engine, create_sessionmaker, keep_files_private
from app.eligibility.router import router as eligibility_router
from app.errors import install_error_handlers
from app.health.router import router as health_router
from app.idempotency.deps import replay_response
from app.idempotency.service import Replay
from app.logging import configure_logging
from app.meetings.router import router as meetings_router
from app.metrics.registry import Metrics
from app.metrics.router import router as metrics_router
from app.middleware import OWN_HEADERS, ContextFirstFastAPI
from app.openapi import install_openapi, operation_id, response_headers
from app.persons.router import router as persons_router
from app.privacy.router import router as privacy_router
from app.problems.router import router as problems_router
from app.regions import service as region_service
from app.regions.router import router as regions_router
from app.sites.router import router as sites_router
from app.stats.router import router as stats_router
from app.users import service as user_service
from app.users.router import me_router
from app.users.router import router as users_router
from app.webhooks import worker as webhook_worker
from app.webhooks.router import router as webhooks_router

log = logging.getLogger("app")

API_PREFIX = "/api/v1"

DESCRIPTION = """
The system of record for closing a lokalisasi: coordination meetings, agencies, the registry of
persons, origin-region coordination and the fund's eligibility rules.

Sign in at `POST /api/v1/auth/token` (people: the password grant; partner systems: client
credentials) and send `Authorization: Bearer <token>`. Errors are RFC 9457
`application/problem+json`; each problem's `type` is a page that explains it (`GET /problems`).
Lists are cursor-paginated. Changes need `If-Match`; creations accept `Idempotency-Key`.
Operation ids are the route names (`list_persons`, `create_meeting`) and stay stable.
"""


async def bootstrap(app: FastAPI, settings: Settings) -> None:
    """Load the region list and the first admin on an empty database (safe if workers race)."""
    async with app.state.sessionmaker() as session:
        try:
            await region_service.ensure_loaded(session)
            if settings.bootstrap_admin_password:
                await user_service.ensure_admin(session, settings.bootstrap_admin_password)
            await session.commit()
        except IntegrityError:
            await session.rollback()  # another worker did it first


GC_THRESHOLDS = (50_000, 20, 100)  # measured under `make bench`: see the README's Benchmarks


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    check_database_files(app.state.settings)
    await bootstrap(app, app.state.settings)
    # Everything loaded so far lives as long as the process: keep the cyclic GC from rescanning it.
    gc.freeze()
    # A page of persons makes thousands of short-lived containers, freed by reference counting:
    # at the default 700 allocations a collection ran several times a request and promoted the
    # objects of requests still in flight to older generations, rescanned again and again.
    gc.set_threshold(*GC_THRESHOLDS)
    async with webhook_worker.beside(app.state.sessionmaker, app.state.settings):
        yield
    await app.state.engine.dispose()


API_ROUTERS = (
    # Matched in this order, one router at a time: the registry's hot reads come first.
    persons_router,
    export_requests_router,
    import_requests_router,
    auth_router,
    signin_router,
    webauthn_router,
    me_router,
    me_sessions_router,
    me_webauthn_router,
    users_router,
    user_sessions_router,
    clients_router,
    agencies_router,
    regions_router,
    audit_router,
    privacy_router,
    sites_router,
    meetings_router,
    calendars_router,
    coordinations_router,
    repatriations_router,
    assistance_router,
    stats_router,
    censuses_router,
    eligibility_router,
    person_change_requests_router,
    change_requests_router,
    webhooks_router,
)


def include_api(app: FastAPI) -> None:
    """Each domain's router straight under /api/v1.

    Not through one /api/v1 router: FastAPI re-checks every nested router's routes on each
    request to see whether they changed, which cost the hot reads ~0.2 ms per request.
    """
    for domain_router in API_ROUTERS:
        app.include_router(domain_router, prefix=API_PREFIX)


def exposed_headers(app: FastAPI) -> list[str]:
    """The answers' headers a browser frontend may read: all the document declares, and the request ids.

    Built from the document (once, then served from the cache), so that a header declared on an
    operation is never one that CORS hides from the frontend.
    """
    return sorted(response_headers(app.openapi()) | set(OWN_HEADERS))


def create_app(settings: Settings | None = None) -> FastAPI:
    """A configured application; the engine is created here (lazily connecting), not per request."""
    keep_files_private()
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    app = ContextFirstFastAPI(
        title="Reintegrasi",
        # One schema per model for requests and answers: the rule tree's models are the same both
        # ways, and split they would be two components with one title (generators drop one).
        separate_input_output_schemas=False,
        generate_unique_id_function=operation_id,
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        max_body_size=settings.max_body_bytes,
        openapi_url="/openapi.json",
        # Served by app/apidocs from the installed package: the default pages need a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = create_engine(settings)
    app.state.sessionmaker = create_sessionmaker(app.state.engine)
    app.state.metrics = Metrics(app)
    install_error_handlers(app)
    install_openapi(app)
    install_examples(app)
    app.add_exception_handler(Replay, replay_response)
    app.add_exception_handler(SignInRefused, render_refused)
    include_api(app)
    app.include_router(health_router)
    app.include_router(problems_router)
    app.include_router(metrics_router)
    install_api_docs(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=exposed_headers(app),
        )
    return app
