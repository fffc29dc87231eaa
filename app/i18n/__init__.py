"""Problem messages in the caller's language: English (default) or Indonesian (`Accept-Language: id`)."""

from collections.abc import Mapping
from typing import Any

from app.i18n import messages_id
from app.i18n.catalog import Catalog, build
from app.i18n.negotiation import DEFAULT, SUPPORTED, negotiate

__all__ = ["DEFAULT", "SUPPORTED", "CATALOGS", "headers", "negotiate", "translate", "validation_message"]

CATALOGS: dict[str, Catalog] = {"id": build(messages_id)}


def translate(text: str, lang: str) -> str:
    """`text` in `lang`; the English text itself when it is the default or has no translation."""
    catalog = CATALOGS.get(lang)
    if catalog is None:
        return text
    translated = catalog.message(text)
    return text if translated is None else translated


def validation_message(error: Mapping[str, Any], lang: str) -> str:
    """The `msg` of one pydantic error in `lang`, translated from its type and ctx."""
    msg = str(error.get("msg", "invalid"))
    catalog = CATALOGS.get(lang)
    if catalog is None:
        return msg
    translated = catalog.validation(error)
    return msg if translated is None else translated


def headers(lang: str) -> dict[str, str]:
    """Headers of a response whose text follows Accept-Language."""
    return {"Content-Language": lang, "Vary": "Accept-Language"}
