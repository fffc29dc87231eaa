"""Examples of every request body (and of the main responses), from the seed story, in the document.

Each domain's examples are a module of this package (`story` holds what they share: the placeholder
ids of `REFS`, the tokens, the synthetic NIK). The examples test (tests/contract/test_examples.py)
sends each example in story order, with those placeholders replaced by the ids created, and
expects 2xx: an example that stops working fails it.

Kept per operation, not per schema: one schema serves several operations (a restriction's reason
and an erasure's), and a generator shows a media type's examples next to the operation.
"""

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from app.apidocs.examples import (
    agencies,
    censuses,
    coordination,
    identity,
    meetings,
    persons,
    programs,
    webhooks,
)
from app.apidocs.examples.persons import IMPORT_REJECTED_EXAMPLE as IMPORT_REJECTED_EXAMPLE
from app.apidocs.examples.story import ACCESS_TOKEN as ACCESS_TOKEN
from app.apidocs.examples.story import API
from app.apidocs.examples.story import REFS as REFS
from app.apidocs.examples.story import ref as ref

# In story order: the order the objects come up in.
DOMAINS = (identity, agencies, meetings, persons, censuses, coordination, programs, webhooks)

# (method, path) -> {media type: (summary, value)}
REQUEST_EXAMPLES: dict[tuple[str, str], dict[str, tuple[str, Any]]] = {}
for _domain in DOMAINS:
    for _operation, _media, _example in _domain.REQUESTS:
        REQUEST_EXAMPLES.setdefault(_operation, {})[_media] = _example

# (method, path, status) -> (summary, model, value); the examples test checks each against its model
# and against the keys of the real answer.
RESPONSE_EXAMPLES: dict[tuple[str, str, str], tuple[str, type[BaseModel], dict[str, Any]]] = {
    key: example for domain in DOMAINS for key, example in getattr(domain, "RESPONSES", {}).items()
}


def install_examples(app: FastAPI) -> None:
    """Put the examples into the app's OpenAPI document, per operation and media type."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for (method, path), media in REQUEST_EXAMPLES.items():
                content = schema["paths"][path][method.lower()]["requestBody"]["content"]
                for media_type, (summary, value) in media.items():
                    content[media_type]["examples"] = {"seed": {"summary": summary, "value": value}}
            for (method, path, status), (summary, _, value) in RESPONSE_EXAMPLES.items():
                content = schema["paths"][path][method.lower()]["responses"][status]["content"]
                content["application/json"]["examples"] = {"seed": {"summary": summary, "value": value}}
            rejected = schema["paths"][f"{API}/persons/import"]["post"]["responses"]["422"]["content"]
            rejected["application/problem+json"]["example"] = IMPORT_REJECTED_EXAMPLE
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
