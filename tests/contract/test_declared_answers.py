"""The check every `client` answer goes through (tests/declared.py): it names undeclared statuses."""

import httpx

from tests.declared import template, undeclared_answer


def _answer(method: str, path: str, status: int) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request(method, f"http://test{path}?limit=5"))


def test_a_request_path_is_read_as_its_template_the_most_literal_first():
    assert template("/api/v1/persons/0192f0c4-0000-7000-8000-000000000001") == "/api/v1/persons/{person_id}"
    assert template("/api/v1/persons/import") == "/api/v1/persons/import"
    assert template("/api/v1/persons/export.csv") == "/api/v1/persons/export.csv"
    assert template("/api/v1/agencies/{id}") == "/api/v1/agencies/{agency_id}"


def test_an_undeclared_status_is_named_and_a_declared_one_passes():
    assert undeclared_answer(_answer("GET", "/api/v1/agencies", 200)) is None
    assert undeclared_answer(_answer("GET", "/api/v1/agencies/7", 404)) is None
    line = undeclared_answer(_answer("GET", "/api/v1/agencies", 418))
    assert line is not None and line.startswith("GET /api/v1/agencies: 418 not declared")


def test_what_the_document_leaves_out_on_purpose_is_not_checked():
    assert undeclared_answer(_answer("GET", "/api/v1/auth/authorize", 303)) is None  # a browser page
    assert undeclared_answer(_answer("POST", "/api/v1/audit-events", 405)) is None  # no such operation
    assert undeclared_answer(_answer("GET", "/health/live", 418)) is None  # outside the API
