"""Request ids, JSON access logs without secrets or query strings, health probes, OpenAPI."""

import logging
import re
from collections.abc import Iterator

import httpx
import orjson
import pytest

from app.config import Settings
from app.logging import JsonFormatter
from app.main import create_app
from app.security.policy import Role
from app.users import service as user_service
from app.users.schemas import UserCreate
from tests.platform import AGENCIES, agency_body, assert_problem

GENERATED_ID = re.compile(r"[0-9a-f]{32}")
PASSWORD = "Kata-Sandi-Uji-7f3a9c2e"  # synthetic
CLIENT_LOGGERS = ("httpx", "httpcore")


class JsonCapture(logging.Handler):
    """Formats every record with the app's JsonFormatter as it is emitted (request id included)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(CLIENT_LOGGERS):
            return  # the test's own HTTP client, not the app
        self.lines.append(self.format(record))

    def entries(self, logger: str | None = None) -> list[dict]:
        parsed = [orjson.loads(line) for line in self.lines]
        return [e for e in parsed if logger is None or e["logger"] == logger]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def logs(app) -> Iterator[JsonCapture]:  # after create_app, which resets the root handlers
    """Every log record of the test at DEBUG and up, as JSON lines."""
    handler = JsonCapture()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


# --- X-Request-ID ------------------------------------------------------------------------------


async def test_a_callers_request_id_is_kept_as_its_correlation_id(client, subtests):
    for request_id in ["abc-123", "0b9c6f3e-4f1a-4c1e-9a55-2f6c0c1d7e90", "a.b:c_d", "x" * 64]:
        with subtests.test(request_id=request_id):
            response = await client.get("/health/live", headers={"X-Request-ID": request_id})
            assert response.headers["x-correlation-id"] == request_id
            # The request id is the server's own, whatever the caller sent.
            assert GENERATED_ID.fullmatch(response.headers["x-request-id"])


async def test_missing_request_id_is_generated(client):
    first = await client.get("/health/live")
    second = await client.get("/health/live")
    assert GENERATED_ID.fullmatch(first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    assert "x-correlation-id" not in first.headers


async def test_invalid_correlation_id_is_dropped(client, subtests):
    for request_id in ["has spaces", "x" * 300, "x" * 65, "a\tb", "abc\n", "<script>", "", "é"]:
        with subtests.test(request_id=request_id):
            response = await client.get("/health/live", headers={"X-Request-ID": request_id.encode()})
            assert "x-correlation-id" not in response.headers
            assert GENERATED_ID.fullmatch(response.headers["x-request-id"])


async def test_error_responses_carry_the_request_and_correlation_ids(client, callers):
    headers = callers.viewer.headers | {"X-Request-ID": "uji-404"}
    response = await client.get(f"{AGENCIES}/not-a-uuid", headers=headers)
    assert response.status_code == 422
    assert response.headers["x-correlation-id"] == "uji-404"
    assert GENERATED_ID.fullmatch(response.headers["x-request-id"])
    unauthenticated = await client.get(AGENCIES, headers={"X-Request-ID": "uji-401"})
    assert (unauthenticated.status_code, unauthenticated.headers["x-correlation-id"]) == (401, "uji-401")


async def test_500_carries_the_request_id_and_logs_it(app, logs):
    async def explode() -> None:
        raise RuntimeError("boom for Warga Uji Rahasia")

    app.add_api_route("/api/v1/_test/explode", explode, methods=["GET"])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/api/v1/_test/explode", headers={"X-Request-ID": "uji-500"})
    assert_problem(response, 500)
    request_id = response.headers["x-request-id"]
    assert response.headers["x-correlation-id"] == "uji-500"
    errors = [e for e in logs.entries() if e["level"] == "error"]
    assert errors, logs.text
    assert all(e["request_id"] == request_id for e in errors), errors
    [access] = logs.entries("app.access")
    assert (access["request_id"], access["correlation_id"], access["status"]) == (request_id, "uji-500", 500)


# --- Access log --------------------------------------------------------------------------------


async def test_access_log_names_request_id_route_template_and_status(client, callers, logs):
    created = await client.post(AGENCIES, json=agency_body(), headers=callers.officer.headers)
    logs.lines.clear()
    headers = callers.viewer.headers | {"X-Request-ID": "uji-akses-1"}
    response = await client.get(created.headers["location"], headers=headers)
    assert response.status_code == 200

    [entry] = logs.entries("app.access")
    assert entry["request_id"] == response.headers["x-request-id"]
    assert entry["correlation_id"] == "uji-akses-1"
    assert entry["route"] == "/api/v1/agencies/{agency_id}"
    assert entry["method"] == "GET"
    assert entry["status"] == 200
    assert isinstance(entry["duration_ms"], int | float)
    assert entry["level"] == "info"
    agency_id = created.json()["id"]
    assert agency_id not in logs.text  # the template, not the path


async def test_access_log_of_unmatched_and_failed_requests(client, callers, logs):
    await client.get("/api/v1/nothing/here", headers={"X-Request-ID": "uji-404"})
    await client.post(
        AGENCIES, json={"nama": "x"}, headers=callers.officer.headers | {"X-Request-ID": "uji-422"}
    )
    entries = {e["correlation_id"]: e for e in logs.entries("app.access")}
    assert (entries["uji-404"]["route"], entries["uji-404"]["status"]) == ("<unmatched>", 404)
    assert (entries["uji-422"]["route"], entries["uji-422"]["status"]) == ("/api/v1/agencies", 422)


async def test_logs_never_hold_the_query_string(client, callers, logs):
    secret = "WargaUjiDicari"
    response = await client.get(
        AGENCIES, params={"q": secret, "region_code": "5371"}, headers=callers.viewer.headers
    )
    assert response.status_code == 200
    assert logs.entries("app.access")
    assert secret not in logs.text
    assert "q=" not in logs.text
    for entry in logs.entries("app.access"):
        assert "?" not in entry["route"]


async def test_logs_never_hold_passwords_or_tokens(client, session, logs):
    user = await user_service.create(
        session,
        None,
        UserCreate(username="petugas.uji", full_name="Petugas Uji Log", password=PASSWORD, role=Role.officer),
    )
    await session.commit()
    logs.lines.clear()

    signed_in = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": "petugas.uji", "password": PASSWORD},
    )
    assert signed_in.status_code == 200, signed_in.text
    token = signed_in.json()["access_token"]
    listed = await client.get(AGENCIES, headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200
    wrong = "Salah-Sandi-Uji-0000"
    refused = await client.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": "petugas.uji", "password": wrong}
    )
    assert refused.status_code == 401
    revoked = await client.post(
        "/api/v1/auth/revoke", data={"token": token}, headers={"Authorization": f"Bearer {token}"}
    )
    assert revoked.status_code == 200, revoked.text

    routes = [e["route"] for e in logs.entries("app.access")]
    assert routes.count("/api/v1/auth/token") == 2
    for secret in (PASSWORD, wrong, token, str(user.password_hash)):
        assert secret not in logs.text


# --- Health ------------------------------------------------------------------------------------


async def test_live_and_ready(client):
    live = await client.get("/health/live")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    ready = await client.get("/health/ready")
    assert (ready.status_code, ready.json()) == (200, {"status": "ok"})


@pytest.mark.parametrize(
    "database_url",
    [
        "postgresql+asyncpg://postgres@127.0.0.1:1/nope",  # port 1: refused at once
        "sqlite+aiosqlite:////nonexistent-reintegrasi-dir/nope.db",
    ],
)
async def test_unreachable_database_is_503_problem(backend, database_url):
    app = create_app(Settings(database_url=database_url))
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            live = await http.get("/health/live")
            ready = await http.get("/health/ready")
            listed = await http.get(AGENCIES, headers={"Authorization": "Bearer uji-token"})
    finally:
        await app.state.engine.dispose()
    assert live.status_code == 200
    assert assert_problem(ready, 503)["type"] == "/problems/service-unavailable"
    # Any route that needs the database says so, rather than failing with a 500.
    assert_problem(listed, 503)
    assert listed.headers["retry-after"]
    for response in (ready, listed):
        assert "127.0.0.1" not in response.text and "nope" not in response.text


# --- OpenAPI -----------------------------------------------------------------------------------


async def test_openapi_is_3_1_with_tagged_documented_operations(app, client):
    # DESIGN.md: one-line docstrings on routes, which become the OpenAPI text; a route may add
    # reference text generated from code (the import's column table) after a blank line.
    for route in app.routes:
        doc = (getattr(route, "endpoint", None) and route.endpoint.__doc__ or "").strip()
        assert "\n" not in doc, f"{getattr(route, 'path', route)}: the docstring is not one line"
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.1.")
    assert spec["info"]["title"] == "Reintegrasi"
    operations = [
        (method.upper(), path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in {"get", "put", "post", "patch", "delete", "head", "options"}
    ]
    assert len(operations) > 10
    for method, path, operation in operations:
        where = f"{method} {path}"
        assert operation.get("tags"), f"{where} has no tag"
        assert operation.get("summary", "").strip(), f"{where} has no summary"
        description = operation.get("description", "").strip()
        assert description, f"{where} has no description (the route has no docstring)"
        first, _, _reference = description.partition("\n\n")
        assert "\n" not in first, f"{where}: the description does not begin with one line"
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths[AGENCIES])
    assert {"get", "patch", "delete"} <= set(paths[AGENCIES + "/{agency_id}"])
