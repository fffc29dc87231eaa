"""The answers the OpenAPI document declares per operation, for tests that observe real answers.

Every answer a test gets through the `client` fixture is checked against the declared responses
of its operation (tests/conftest.py, at the end of each test: it holds under xdist, where no
worker sees every answer); the authorization matrices check theirs as they go, and schemathesis
with its `status_code_conformance` check.
"""

import re
from functools import cache
from typing import Any

import httpx

from app.main import create_app

METHODS = {"get", "put", "post", "patch", "delete"}
_PARAMETER = re.compile(r"\{[^}/]+\}")


@cache
def document() -> dict[str, Any]:
    """The app's document, as /openapi.json serves it."""
    return create_app().openapi()


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    """Each path template as a pattern; the most literal first (`/persons/import` before `{person_id}`)."""
    paths = sorted(document()["paths"], key=lambda p: -len(_PARAMETER.sub("", p)))
    return [(re.compile("[^/]+".join(map(re.escape, _PARAMETER.split(p)))), p) for p in paths]


def template(path: str) -> str:
    """The document's template of a request path (its `{...}` parts, if any, stand for any value)."""
    path = path.split("?", 1)[0]
    if path in document()["paths"]:
        return path
    concrete = _PARAMETER.sub("x", path)
    for pattern, name in _templates():
        if pattern.fullmatch(concrete):
            return name
    raise AssertionError(f"{path} is no operation of the document")


def documented(method: str, path_template: str) -> bool:
    """Whether the operation is in the document (the browser's sign-in pages are not)."""
    return method.lower() in document()["paths"].get(path_template, {})


def declared(method: str, path: str) -> set[str]:
    """The statuses declared for the operation (`method` on the template of `path`)."""
    operation = document()["paths"][template(path)].get(method.lower())
    assert operation is not None, f"{method} {path} is no operation of the document"
    return set(operation["responses"])


def undeclared(method: str, path: str, status: int) -> str | None:
    """A line naming the answer if the document does not declare `status` for the operation."""
    statuses = declared(method, path)
    if str(status) in statuses or f"{str(status)[0]}XX" in statuses:
        return None
    return f"{method} {template(path)}: {status} not declared (declared: {', '.join(sorted(statuses))})"


def undeclared_answer(response: httpx.Response) -> str | None:
    """`undeclared` for an answer of the API; None for what the document leaves out on purpose
    (the browser's sign-in pages, routes a test added, a method the path does not take: 405)."""
    request = response.request
    path = request.url.path
    if not path.startswith("/api/"):
        return None
    try:
        path = template(path)
    except AssertionError:
        return None
    if not documented(request.method, path):
        return None
    return undeclared(request.method, path, response.status_code)
