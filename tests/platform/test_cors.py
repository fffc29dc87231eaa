"""CORS: a browser frontend of an allowed origin may read every response header the document declares."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from app.openapi import response_headers

ORIGIN = "https://app.example.go.id"


@pytest.fixture(scope="module")
async def cors_app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FastAPI]:
    database_url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('cors') / 'unused.db'}"
    app = create_app(Settings(database_url=database_url, cors_origins=[ORIGIN]))
    yield app
    await app.state.engine.dispose()


async def _get(app: FastAPI, path: str, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        return await http.get(path, headers=headers)


def _listed(value: str) -> set[str]:
    return {name.strip().lower() for name in value.split(",") if name.strip()}


async def test_every_declared_response_header_and_the_request_ids_are_exposed(cors_app):
    declared = response_headers(cors_app.openapi())
    # The document's own conventions (app/openapi.py), so that the comparison is not vacuous.
    assert {"ETag", "Location", "Retry-After", "Idempotent-Replayed", "Content-Disposition"} <= declared
    answer = await _get(cors_app, "/health/live", {"Origin": ORIGIN, "X-Request-ID": "frontend-1"})
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    exposed = _listed(answer.headers["access-control-expose-headers"])
    missing = {name for name in declared if name.lower() not in exposed}
    assert not missing, f"declared in the document but hidden from browsers: {sorted(missing)}"
    # Every answer carries them (app/middleware.py), declared or not.
    assert {"x-request-id", "x-correlation-id"} <= exposed
    assert answer.headers["x-correlation-id"] == "frontend-1"


async def test_a_problem_answer_exposes_them_too(cors_app):
    answer = await _get(cors_app, "/problems/no-such-problem", {"Origin": ORIGIN})
    assert answer.status_code == 404
    assert {"retry-after", "etag"} <= _listed(answer.headers["access-control-expose-headers"])


async def test_another_origin_gets_no_cors_headers(cors_app):
    answer = await _get(cors_app, "/health/live", {"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in answer.headers  # the browser hides the answer
