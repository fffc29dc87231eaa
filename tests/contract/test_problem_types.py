"""Every problem `type` URI resolves to a page that explains it: JSON for programs, HTML for people."""

import json
import re

from app.errors import problem_types
from app.main import create_app

TYPE = re.compile(r"/problems/[a-z0-9-]+")


def _document_types() -> set[str]:
    return set(TYPE.findall(json.dumps(create_app().openapi())))


async def test_every_problem_type_in_the_document_resolves(client):
    types = _document_types()
    assert {"/problems/illegal-transition", "/problems/precondition-required", "/problems/not-found"} <= types
    for kind in sorted(types):
        as_json = await client.get(kind, headers={"Accept": "application/json"})
        assert as_json.status_code == 200, kind
        body = as_json.json()
        assert body["type"] == kind and body["title"] and body["explanation"] and 400 <= body["status"] < 600
        as_html = await client.get(kind, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
        assert as_html.status_code == 200 and as_html.headers["content-type"].startswith("text/html"), kind
        assert f"<code>{kind}</code>" in as_html.text


async def test_every_error_the_api_raises_has_a_page(client):
    """The catalogue is the error classes themselves: a new class gets its page without a list."""
    listed = (await client.get("/problems")).json()
    assert [k["type"] for k in listed] == [k.type for k in problem_types().values()]
    assert {"/problems/duplicate-nik", "/problems/member-transition-failed"} <= {k["type"] for k in listed}
    illegal = next(k for k in listed if k["type"] == "/problems/illegal-transition")
    assert "allowed" in illegal["explanation"] and illegal["status"] == 409


async def test_a_real_problem_links_to_its_page(client, callers):
    answer = await client.get(
        "/api/v1/agencies/00000000-0000-0000-0000-000000000000", headers=callers.admin.headers
    )
    assert answer.status_code == 404
    page = await client.get(answer.json()["type"])
    assert page.status_code == 200 and page.json()["status"] == 404


async def test_an_unknown_problem_type_is_a_404_problem(client):
    answer = await client.get("/problems/no-such-thing", headers={"Accept": "text/html"})
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
