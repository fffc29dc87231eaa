"""Every PATCH body is a PatchBody: an explicit null for a field that cannot be emptied is one 422."""

import json

import pytest
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ValidationError

from app.main import create_app
from app.schemas import PatchBody
from tests.platform import AGENCIES, agency_body, assert_problem


def _patch_bodies() -> dict[str, type[BaseModel]]:
    """The body model of every PATCH operation, by its route's path."""
    found = {}
    for context in iter_route_contexts(create_app().routes):
        if "PATCH" not in (context.methods or ()):
            continue
        dependant = context.original_route.dependant
        [body] = dependant.body_params
        found[context.path] = body.field_info.annotation
    return found


def test_every_patch_body_is_a_patch_body():
    bodies = _patch_bodies()
    assert len(bodies) > 10  # the walk found the API's PATCH operations
    assert {path: model for path, model in bodies.items() if not issubclass(model, PatchBody)} == {}


@pytest.mark.parametrize("model", sorted(set(_patch_bodies().values()), key=lambda m: m.__name__))
def test_a_field_that_cannot_be_emptied_refuses_null_and_is_documented_without_it(model):
    refused = []
    for name, field in model.model_fields.items():
        try:
            model.model_validate({name: None})
        except ValidationError as exc:
            [error] = [e for e in exc.errors() if e["loc"] == (name,)]
            assert (error["type"], error["msg"]) == ("not_null", "may not be null")
            refused.append(name)
            properties = model.model_json_schema()["properties"][name]
            assert "default" not in properties and '"type": "null"' not in json.dumps(properties), name
        else:
            assert field.default is None, name  # nullable: null empties it
    assert refused  # each resource has fields it cannot lose


async def test_null_for_a_required_field_is_one_error_in_either_language(client, callers):
    created = await client.post(AGENCIES, json=agency_body(), headers=callers.officer.headers)
    headers = callers.officer.headers | {"If-Match": created.headers["etag"]}
    for language, message in (("en", "may not be null"), ("id", "tidak boleh bernilai null")):
        response = await client.patch(
            created.headers["location"],
            json={"name": None, "kind": None, "acronym": None},
            headers=headers | {"Accept-Language": language},
        )
        errors = assert_problem(response, 422)["errors"]
        assert errors == [
            {"loc": ["body", "name"], "msg": message},
            {"loc": ["body", "kind"], "msg": message},
        ]
    read = await client.get(created.headers["location"], headers=callers.viewer.headers)
    assert read.headers["etag"] == created.headers["etag"]
