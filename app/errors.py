"""Domain errors that carry their HTTP status, rendered as RFC 9457 problem+json."""

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

import asyncpg
import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from app import i18n

log = logging.getLogger("app.errors")

PROBLEM_JSON = "application/problem+json"
# The detail of a 422 names this many of its errors; `errors` lists them all.
DETAIL_ERRORS = 5

DurableWrite = Callable[[Any], Awaitable[None]]


class ProblemLocation(BaseModel):
    """Where a request was invalid: the path to the value (`["body", "nik"]`) and why."""

    loc: list[str | int]
    msg: str


class ImportRowError(BaseModel):
    """One invalid cell of a CSV import: its 1-based data row, its column (none: the whole row)."""

    row: int
    column: str | None
    message: str


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _extension(description: str) -> Any:
    """An optional extension field of a problem: absent when unused, never null, so no `default`.

    A `default: null` would contradict the field's type, and TypeScript generators make a field
    with a default required (openapi-typescript's `defaultNonNullable`).
    """
    return Field(None, description=description, json_schema_extra=_no_default)


class Problem(BaseModel):
    """An RFC 9457 problem detail, as every error of the API is answered.

    Documentation only (answers are built by `problem`): the extension fields are present only on
    the kinds of problem that name them, so they are optional and never null.
    """

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="The kind of problem: GET this URI for a page that explains it.")
    title: str
    status: int
    detail: str
    errors: list[ProblemLocation] | SkipJsonSchema[None] = _extension(
        "Every invalid value (`validation-error`)."
    )
    allowed: list[str] | SkipJsonSchema[None] = _extension(
        "The statuses reachable from the current one (`illegal-transition`)."
    )
    current_status: str | SkipJsonSchema[None] = _extension(
        "The status the resource or person has now (`illegal-transition`)."
    )
    person_id: str | SkipJsonSchema[None] = _extension(
        "The member that cannot make the change (`member-transition-failed`)."
    )


class ImportProblem(BaseModel):
    """The 422 of a CSV import: every row error (up to 100) and how many there were."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    errors: list[ImportRowError]
    error_count: int


class ProblemType(BaseModel):
    """What one problem `type` means, as its page at `/problems/{slug}` explains it."""

    type: str
    title: str
    status: int
    explanation: str


class AppError(Exception):
    """Base of all domain errors; subclasses set the status, a stable slug and a title."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"
    # Denied attempts are written to the audit trail even though the request rolls back.
    audited: ClassVar[bool] = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        resource_type: str | None = None,
        resource_id: Any = None,
        durable: Sequence[DurableWrite] = (),
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers = headers or {}
        self.extra = extra or {}
        self.resource_type = resource_type
        self.resource_id = resource_id
        # Writes that must survive the request's rollback, e.g. a failed login's throttle row.
        self.durable = list(durable)


class NotFound(AppError):
    status, slug, title, audited = 404, "not-found", "Not found", True


class NotAuthenticated(AppError):
    status, slug, title, audited = 401, "not-authenticated", "Not authenticated", True

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kwargs)


class Forbidden(AppError):
    status, slug, title, audited = 403, "forbidden", "Forbidden", True


class Conflict(AppError):
    status, slug, title = 409, "conflict", "Conflict"


class InvalidInput(AppError):
    """A 422 for rules that a schema alone cannot express; `errors` says where."""

    status, slug, title = 422, "validation-error", "Invalid request"

    def __init__(self, errors: Iterable[tuple[Sequence[str | int], str]], **kwargs: Any) -> None:
        errs = [{"loc": list(loc), "msg": msg} for loc, msg in errors]
        detail = kwargs.pop("detail", None) or join_errors(errs)
        super().__init__(detail, extra={"errors": errs}, **kwargs)


class PreconditionRequired(AppError):
    status, slug, title = 428, "precondition-required", "Precondition required"


class PreconditionFailed(AppError):
    status, slug, title = 412, "precondition-failed", "Precondition failed"


class TooManyRequests(AppError):
    status, slug, title = 429, "too-many-requests", "Too many requests"


class ServiceUnavailable(AppError):
    status, slug, title = 503, "service-unavailable", "Service unavailable"


# What each status means to a caller, for problem types that say no more themselves.
_STATUS_EXPLANATIONS = {
    400: "The request cannot be processed as sent; `detail` says what to change.",
    401: "Sign in first (`POST /api/v1/auth/token`) and send `Authorization: Bearer <token>`.",
    403: "Your role or agency may not do this; the attempt is written to the audit trail.",
    404: "There is no such resource, or none that you may see.",
    409: "The request conflicts with the resource's current state or with other data; "
    "`detail` says which. Fetch the resource again before deciding what to do.",
    412: "The resource changed since you read it: GET it again, then send its new `ETag` in `If-Match`.",
    413: "The request body is over the size limit.",
    422: "A value in the request is invalid; `errors` lists each one with its location.",
    428: "Changing this resource needs `If-Match` with the `ETag` of the version you read.",
    429: "Too many requests; wait for the seconds in `Retry-After` before trying again.",
    500: "An unexpected error on the server; it has been logged. Retry later or report the request id.",
    503: "The service cannot answer now; retry after the seconds in `Retry-After`.",
}
_EXPLANATIONS = {
    "validation-error": "A value in the request is invalid: `errors` lists each one, `loc` being its "
    'place (`["body", "nik"]`, `["query", "limit"]`) and `msg` the reason.',
    "illegal-transition": "The status change is not allowed from the current status: `current_status` "
    "says where the resource is, `allowed` lists the statuses it can move to.",
}
# Answered by a handler without an error class.
_HANDLER_TYPES = ((503, "service-busy", "Service busy"), (500, "internal-error", "Internal server error"))


def _error_classes(base: type[AppError] = AppError) -> Iterable[type[AppError]]:
    for cls in base.__subclasses__():
        yield cls
        yield from _error_classes(cls)


def problem_types() -> dict[str, ProblemType]:
    """Every kind of problem the loaded app answers with, by slug (each `type` is `/problems/<slug>`)."""
    found: dict[str, ProblemType] = {}
    kinds = [(c.status, c.slug, c.title) for c in [AppError, *_error_classes()]]
    for status, slug, title in [*kinds, *_HANDLER_TYPES]:
        if status >= 400 and slug not in found:  # the first class of a shared slug names it
            explanation = _EXPLANATIONS.get(slug) or _STATUS_EXPLANATIONS.get(status, "")
            found[slug] = ProblemType(
                type=f"/problems/{slug}", title=title, status=status, explanation=explanation
            )
    return dict(sorted(found.items()))


def join_errors(errors: Sequence[Mapping[str, Any]]) -> str:
    """The detail of a 422 from its errors: `body.nik: must be 16 digits; ...`."""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)


def problem(
    status: int,
    *,
    slug: str | None = None,
    title: str | None = None,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    lang: str = i18n.DEFAULT,
    translated: bool = False,
    **extra: Any,
) -> Response:
    """A problem+json response; `type` is a stable URI reference per kind of problem.

    Its text is written in English and rendered in `lang`; `translated` says that the caller
    already did so for `detail` and `errors`.
    """
    phrase = HTTPStatus(status).phrase
    body = {
        "type": f"/problems/{slug}" if slug else "about:blank",
        "title": title or phrase,
        "status": status,
        "detail": detail or title or phrase,
        **extra,
    }
    if lang != i18n.DEFAULT:
        body = _localise(body, lang, translated)
    headers = (headers or {}) | i18n.headers(lang)
    return Response(orjson.dumps(body), status, headers=headers, media_type=PROBLEM_JSON)


def _localise(body: dict[str, Any], lang: str, translated: bool) -> dict[str, Any]:
    """The problem's human text in `lang`; type, status, locations, codes and values stay."""
    out = body | {"title": i18n.translate(body["title"], lang)}
    if translated:
        return out
    errors = body.get("errors")
    if isinstance(errors, list) and errors and all(isinstance(e, dict) for e in errors):
        out["errors"] = [_localise_error(e, lang) for e in errors]
        if all("loc" in e and "msg" in e for e in errors):
            # The detail joins the errors (InvalidInput): join their translations instead.
            for count in (len(errors), DETAIL_ERRORS):
                if body["detail"] == join_errors(errors[:count]):
                    out["detail"] = join_errors(out["errors"][:count])
                    return out
    out["detail"] = i18n.translate(body["detail"], lang)
    return out


def _localise_error(error: dict[str, Any], lang: str) -> dict[str, Any]:
    # `msg` of a 422's errors, `message` of the CSV import's row errors.
    return error | {
        key: i18n.translate(error[key], lang) for key in ("msg", "message") if isinstance(error.get(key), str)
    }


def request_language(request: Request) -> str:
    """The language of the problem answering `request`."""
    return i18n.negotiate(request.headers.get("accept-language"))


def _validation_errors(exc: RequestValidationError, lang: str) -> list[dict[str, Any]]:
    # Only location and message: pydantic's `input` would echo the caller's (personal) data.
    return [{"loc": list(e.get("loc", ())), "msg": i18n.validation_message(e, lang)} for e in exc.errors()]


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return problem(
        exc.status,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        headers=exc.headers,
        lang=request_language(request),
        **exc.extra,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    return problem(
        exc.status_code, detail=detail, headers=getattr(exc, "headers", None), lang=request_language(request)
    )


async def _request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    lang = request_language(request)
    # Translated here, from each error's type and ctx, rather than from the English text.
    errors = _validation_errors(exc, lang)
    return problem(
        422,
        slug="validation-error",
        title="Invalid request",
        detail=join_errors(errors[:DETAIL_ERRORS]),
        lang=lang,
        translated=True,
        errors=errors,
    )


async def _stale(request: Request, exc: Exception) -> Response:
    return problem(
        412,
        slug="precondition-failed",
        title="Precondition failed",
        detail="The resource was changed by someone else; fetch it again and retry.",
        lang=request_language(request),
    )


async def _integrity(request: Request, exc: Exception) -> Response:
    # Services translate the conflicts they expect; this is the safety net for a race.
    log.warning("integrity error", extra={"error": type(exc.orig).__name__})  # type: ignore[attr-defined]
    return problem(
        409,
        slug="conflict",
        title="Conflict",
        detail="The change conflicts with existing data.",
        lang=request_language(request),
    )


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    log.error("database unavailable", extra={"error": type(exc).__name__})
    return problem(
        503,
        slug="service-unavailable",
        title="Service unavailable",
        detail="The database is unavailable; retry shortly.",
        headers={"Retry-After": "5"},
        lang=request_language(request),
    )


async def _busy(request: Request, exc: Exception) -> Response:
    # Every database connection stayed in use for the whole pool timeout: overload, not an outage.
    log.warning("connection pool exhausted")
    return problem(
        503,
        slug="service-busy",
        title="Service busy",
        detail="The service is busy; retry shortly.",
        headers={"Retry-After": "1"},
        lang=request_language(request),
    )


# Retry shortly: the database is unreachable or shutting down (08, 57P), out of connections or
# memory (53), or the statement hit a transient condition: statement timeout, serialization
# failure, deadlock, read-only after a failover. 503 with Retry-After, never a 500.
_RETRY_CLASSES = ("08", "57P", "53")
_RETRY_STATES = frozenset({"57014", "40001", "40P01", "25006"})


def retry_later(sqlstate: str | None) -> bool:
    """Whether an error with this SQLSTATE is answered 503 (the database, not the request)."""
    return sqlstate is not None and (sqlstate.startswith(_RETRY_CLASSES) or sqlstate in _RETRY_STATES)


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "pgcode", None) or getattr(exc.orig.__cause__, "sqlstate", None)


async def _driver_error(request: Request, exc: Exception) -> Response:
    """A driver error, through SQLAlchemy (DBAPIError) or raised on the driver connection itself
    (asyncpg, app/db_driver.py): unreachable database 503; a refused value 422; else 500."""
    if isinstance(exc, DBAPIError):
        sqlstate, lost, name = _sqlstate(exc), exc.connection_invalidated, type(exc.orig).__name__
    else:
        sqlstate, lost, name = (
            getattr(exc, "sqlstate", None),
            isinstance(exc, asyncpg.InterfaceError),
            type(exc).__name__,
        )
    # asyncpg's DataError (a value it could not encode) is an InterfaceError: before `lost`.
    # asyncpg raises some data exceptions (e.g. a NUL byte in a text value) as a bare DBAPIError.
    if isinstance(exc, asyncpg.exceptions.DataError) or (sqlstate or "").startswith("22"):
        return await _data_error(request, exc)
    if lost or retry_later(sqlstate):
        return await _database_unavailable(request, exc)
    log.error("database error", extra={"error": name, "sqlstate": sqlstate})
    return _internal_error(request)


async def _data_error(request: Request, exc: Exception) -> Response:
    # A value the schema let through but the database refused (e.g. out of range): the caller's fault.
    return problem(
        422,
        slug="validation-error",
        title="Invalid request",
        detail="A value is out of range.",
        lang=request_language(request),
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", extra={"error": type(exc).__name__})
    return _internal_error(request)


def _internal_error(request: Request) -> Response:
    return problem(
        500,
        slug="internal-error",
        title="Internal server error",
        detail="Internal server error",
        lang=request_language(request),
    )


def install_error_handlers(app: FastAPI) -> None:
    """Render every error path of the app as problem+json."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StaleDataError, _stale)
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(PoolTimeout, _busy)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(InterfaceError, _database_unavailable)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(DBAPIError, _driver_error)
    app.add_exception_handler(asyncpg.PostgresError, _driver_error)
    app.add_exception_handler(asyncpg.InterfaceError, _driver_error)
    app.add_exception_handler(OSError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
