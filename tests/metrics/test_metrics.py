"""/metrics: off unless a token is set, Prometheus text, route templates only, pool and backlog gauges."""

import math
import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError
from sqlalchemy import text

from app.config import Settings
from app.webhooks import service as webhook_service
from tests.persons.helpers import make_person, make_site
from tests.platform import assert_problem

TOKEN = "uji-metrics-token-" + "0123456789abcdef" * 2  # synthetic, 50 characters
AUTH = {"Authorization": f"Bearer {TOKEN}"}
REQUESTS = "reintegrasi_http_requests_total"
LATENCY_COUNT = "reintegrasi_http_request_duration_seconds_count"


@pytest.fixture
def metrics_on(app):
    """The test's app with a metrics token (the app fixture resets settings for the next test)."""
    app.state.settings = app.state.settings.model_copy(update={"metrics_token": TOKEN})
    return app


async def scrape(client) -> str:
    response = await client.get("/metrics", headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return response.text


def value(exposition: str, name: str, **labels: str) -> float:
    """A sample's value; 0 when the series does not exist (yet)."""
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def names(exposition: str) -> set[str]:
    return {sample.name for family in text_string_to_metric_families(exposition) for sample in family.samples}


async def test_metrics_answer_404_like_any_unknown_path_when_no_token_is_set(client):
    unknown = await client.get(f"/no-such-path-{uuid.uuid4().hex}")
    response = await client.get("/metrics", headers=AUTH)
    assert_problem(response, 404)
    assert response.json() == unknown.json()


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer ",
        "Bearer salah-token",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        f"Basic {TOKEN}",
        TOKEN,
    ],
)
async def test_metrics_refuse_a_missing_or_wrong_token(metrics_on, client, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = await client.get("/metrics", headers=headers)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert TOKEN not in response.text


async def test_the_scheme_is_case_insensitive(metrics_on, client):
    assert (await client.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"})).status_code == 200


async def test_requests_are_counted_by_route_template_never_by_path_or_query(metrics_on, client, callers):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    before = await scrape(client)
    template = "/api/v1/persons/{person_id}"

    for _ in range(2):
        read = await client.get(f"/api/v1/persons/{person['id']}", headers=callers.officer.headers)
        assert read.status_code == 200, read.text
    missing = await client.get(f"/api/v1/persons/{uuid.uuid4()}", headers=callers.officer.headers)
    assert missing.status_code == 404
    searched = "WargaUjiDicariMetrik"
    listed = await client.get("/api/v1/persons", params={"q": searched}, headers=callers.officer.headers)
    assert listed.status_code == 200, listed.text
    after = await scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta(REQUESTS, method="GET", route=template, status="200") == 2
    assert delta(REQUESTS, method="GET", route=template, status="404") == 1
    assert delta(REQUESTS, method="GET", route="/api/v1/persons", status="200") == 1
    assert delta(LATENCY_COUNT, method="GET", route=template) == 3
    for secret in (person["id"], person["full_name"], searched, "q=", TOKEN):
        assert secret not in after


async def test_unmatched_paths_share_one_series(metrics_on, client):
    before = await scrape(client)
    paths = [f"/tidak-ada/{uuid.uuid4().hex}" for _ in range(3)]
    for path in paths:
        assert (await client.get(path)).status_code == 404
    after = await scrape(client)
    labels = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert value(after, REQUESTS, **labels) - value(before, REQUESTS, **labels) == 3
    assert not any(path in after for path in paths)


async def test_unknown_methods_share_one_series(metrics_on, client):
    # Any token is a method to the HTTP server: a scanner's inventions must not grow the registry.
    methods = [f"UJI{uuid.uuid4().hex[:8].upper()}" for _ in range(3)]
    before = await scrape(client)
    for method in methods:
        assert (await client.request(method, "/api/v1/persons")).status_code in (404, 405)
    after = await scrape(client)
    assert not any(method in after for method in methods)

    def other(exposition: str) -> float:
        return sum(
            sample.value
            for family in text_string_to_metric_families(exposition)
            for sample in family.samples
            if sample.name == REQUESTS and sample.labels["method"] == "OTHER"
        )

    assert other(after) - other(before) == 3


async def test_server_errors_are_counted_as_500(metrics_on, client):
    async def explode() -> None:
        raise RuntimeError("boom")

    metrics_on.add_api_route("/api/v1/_test/explode/{thing_id}", explode, methods=["GET"])
    transport = httpx.ASGITransport(app=metrics_on, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        assert (await http.get(f"/api/v1/_test/explode/{uuid.uuid4()}")).status_code == 500
    labels = {"method": "GET", "route": "/api/v1/_test/explode/{thing_id}", "status": "500"}
    assert value(await scrape(client), REQUESTS, **labels) == 1


async def test_pool_gauges_follow_connections_in_use(metrics_on, client, backend):
    idle = await scrape(client)
    assert {"reintegrasi_db_pool_size", "reintegrasi_db_pool_checked_out"} <= names(idle)
    if backend.name == "postgresql":
        assert value(idle, "reintegrasi_db_pool_size") == metrics_on.state.settings.db_pool_size
    async with metrics_on.state.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        held = await scrape(client)
    released = await scrape(client)
    in_use = "reintegrasi_db_pool_checked_out"
    assert value(held, in_use) == value(released, in_use) + 1
    assert value(released, "reintegrasi_db_pool_overflow") >= 0


async def test_webhook_backlog_comes_from_the_webhooks_domain(metrics_on, client, session):
    expected = await webhook_service.pending_count(session)
    await session.commit()
    exposition = await scrape(client)
    assert value(exposition, "reintegrasi_webhook_deliveries_pending") == expected


async def test_webhook_backlog_is_reported_and_nan_when_it_cannot_be_read(metrics_on, client, monkeypatch):
    async def seven(session) -> int:
        return 7

    async def unreachable(session) -> int:
        raise ConnectionError("database down")

    monkeypatch.setattr(webhook_service, "pending_count", seven)
    assert value(await scrape(client), "reintegrasi_webhook_deliveries_pending") == 7
    monkeypatch.setattr(webhook_service, "pending_count", unreachable)
    failed = await scrape(client)  # the scrape itself still succeeds
    assert math.isnan(value(failed, "reintegrasi_webhook_deliveries_pending"))


async def test_metrics_and_docs_stay_out_of_the_openapi_document(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert not {"/metrics", "/docs", "/redoc"} & set(paths)


def test_production_refuses_a_short_metrics_token():
    production = {
        "environment": "production",
        "database_url": "postgresql+asyncpg://u@db/reintegrasi",
        "mfa_required": True,
    }
    with pytest.raises(ValidationError, match="METRICS_TOKEN"):
        Settings(**production, metrics_token="pendek-sekali")
    assert Settings(**production, metrics_token="x" * 32).metrics_token == "x" * 32
    assert Settings(**production).metrics_token is None
