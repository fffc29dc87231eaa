"""X-Purpose is declared, with its codes, on exactly the operations that read it.

Every operation that takes a token reads the header (app/security/deps.py builds the caller with
its purpose, and a code not in the list is 422 there), so the declaration comes from that
dependency: each of them declares it, and no other does. The second test checks this against the
server's behaviour, operation by operation.
"""

import uuid
from typing import Any

import pytest

from app.privacy.purpose import PURPOSE_HEADER, Purpose
from tests.platform import assert_problem

METHODS = {"get", "put", "post", "patch", "delete"}
PURPOSE_REF = "#/components/schemas/Purpose"


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _purpose_parameter(operation: dict[str, Any]) -> dict[str, Any] | None:
    return next(
        (p for p in operation.get("parameters", []) if p["in"] == "header" and p["name"] == PURPOSE_HEADER),
        None,
    )


def test_every_operation_that_takes_a_token_declares_x_purpose_with_its_codes(document):
    assert document["components"]["schemas"]["Purpose"]["enum"] == list(Purpose)
    declared = 0
    for path, method, operation in _operations(document):
        parameter = _purpose_parameter(operation)
        assert (parameter is not None) == ("security" in operation), (method, path)
        if parameter is None:
            continue
        declared += 1
        assert parameter["schema"] == {"$ref": PURPOSE_REF}, (method, path)
        assert parameter.get("required", False) is False, (method, path)
        assert "restricted" in parameter["description"], (method, path)
    assert declared > 130


def _url(path: str, operation: dict[str, Any]) -> str:
    """The path with a well-formed value for each path parameter (the purpose is checked first)."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            schema = parameter["schema"]
            value = (
                uuid.uuid4()
                if schema.get("format") == "uuid"
                else 1
                if schema.get("type") == "integer"
                else "x"
            )
            path = path.replace("{" + parameter["name"] + "}", str(value))
    return path


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the header's handling, not the data
async def test_operations_that_declare_it_refuse_an_unknown_code_and_no_other_reads_it(
    document, client, callers
):
    headers = callers.admin.headers | {PURPOSE_HEADER: "penasaran"}
    for path, method, operation in _operations(document):
        response = await client.request(method.upper(), _url(path, operation), headers=headers)
        about_purpose = response.status_code == 422 and any(
            error["loc"] == ["header", PURPOSE_HEADER] for error in response.json().get("errors", [])
        )
        if _purpose_parameter(operation) is not None:
            assert about_purpose, (method, path, response.status_code, response.text)
            assert (
                "must be one of: " + ", ".join(Purpose) in assert_problem(response, 422)["errors"][0]["msg"]
            )
        else:
            assert not about_purpose, (method, path, response.text)
