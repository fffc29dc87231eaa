"""Translation of the API's English messages at render time, by template.

Raise sites keep writing English f-strings (`f"The role {role} may not do this."`). The catalog
holds each as a template (`"The role {} may not do this."`); a message is matched against the
templates, and the fields it captured are put into the translation (`"Peran {0} ..."`).
pydantic's own messages are translated from their error type and `ctx`.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from http import HTTPStatus
from types import ModuleType
from typing import Any, get_args

from pydantic_core import PydanticKnownError
from pydantic_core.core_schema import ErrorType

FIELD = "{}"
# A ValueError/assertion of a validator: pydantic's message is "Value error, <the app's message>".
WRAPPED = frozenset({"value_error", "assertion_error"})
_PYDANTIC_FIELD = re.compile(r"\{(\w+)\}")


def compile_template(english: str) -> re.Pattern[str]:
    """The pattern of an English template: literal parts escaped, each `{}` a non-greedy group."""
    return re.compile("(.+?)".join(re.escape(part) for part in english.split(FIELD)), re.DOTALL)


def _literal_length(template: str) -> int:
    # More literal text is more specific: "Input should be a valid date, {error}" before
    # "Input should be {expected}", which would also match it.
    return len(_PYDANTIC_FIELD.sub("", template))


def _pydantic_pattern(template: str) -> re.Pattern[str]:
    parts = _PYDANTIC_FIELD.split(template)  # literal, name, literal, name, ...
    regex = "".join(
        re.escape(part) if i % 2 == 0 else ("s?" if part == "expected_plural" else f"(?P<{part}>.+?)")
        for i, part in enumerate(parts)
    )
    return re.compile(regex, re.DOTALL)


@cache
def pydantic_templates() -> dict[str, str]:
    """pydantic's English message template of every error type (`ErrorType` lists them all)."""
    return {kind: _template(kind) for kind in get_args(ErrorType)}


# The context field a known error refused: missing ("'ge' required in context") or of another type.
_CONTEXT_FIELD = re.compile(r"'(\w+)'")


def _template(kind: str) -> str:
    """The template of a known error, read from one built with placeholder context values.

    Each error type wants its own context fields, a text or a number: a field it refuses is added
    as text, then tried as a number. The public API has no list of them.
    """
    context: dict[str, Any] = {}
    for _ in range(16):
        try:
            return PydanticKnownError(kind, context or None).message_template  # type: ignore[arg-type]
        except TypeError as exc:
            refused = _CONTEXT_FIELD.search(str(exc))
            if refused is None or context.get(refused[1]) == 0:
                raise
            context[refused[1]] = "" if refused[1] not in context else 0
    raise LookupError(f"no context makes a {kind} error")


@cache
def _pydantic_patterns() -> list[tuple[re.Pattern[str], str]]:
    templates = sorted(pydantic_templates().items(), key=lambda item: -_literal_length(item[1]))
    return [(_pydantic_pattern(template), kind) for kind, template in templates]


@dataclass
class Catalog:
    """One language's translations, compiled."""

    messages: Mapping[str, str]
    values: Mapping[str, str]
    pydantic: Mapping[str, str]
    or_word: str
    exact: dict[str, str] = field(init=False)
    templates: list[tuple[re.Pattern[str], str]] = field(init=False)

    def __post_init__(self) -> None:
        self.exact = {k: v for k, v in self.messages.items() if FIELD not in k}
        with_fields = sorted(
            (k for k in self.messages if FIELD in k), key=lambda k: -len(k.replace(FIELD, ""))
        )
        self.templates = [(compile_template(k), self.messages[k]) for k in with_fields]

    def message(self, text: str) -> str | None:
        """The translation of one English message, or None if the catalog has no template for it."""
        hit = self.exact.get(text)
        if hit is not None:
            return hit
        for pattern, target in self.templates:
            if match := pattern.fullmatch(text):
                return target.format(*(self.values.get(value, value) for value in match.groups()))
        # A pydantic message that reached us as text only, e.g. in a row error of the CSV import.
        for pattern, kind in _pydantic_patterns():
            if match := pattern.fullmatch(text):
                return self.pydantic_message(kind, match.groupdict())
        return None

    def pydantic_message(self, kind: str, ctx: Mapping[str, Any]) -> str | None:
        """pydantic's message of error type `kind`, filled from its `ctx`."""
        template = self.pydantic.get(kind)
        if template is None:
            return None
        fields: dict[str, str] = {}
        for name, value in ctx.items():
            if name == "error" and kind in WRAPPED:
                inner = self.message(str(value))
                if inner is None:
                    return None
                fields[name] = inner
            elif name.startswith("expected"):
                fields[name] = self._or(str(value))
            else:
                fields[name] = str(value)
        try:
            return template.format_map(fields)
        except (KeyError, IndexError, ValueError):
            return None

    def validation(self, error: Mapping[str, Any]) -> str | None:
        """The message of one pydantic error (a dict of `errors()`), by its type and ctx."""
        kind = error.get("type", "")
        if kind in self.pydantic:
            return self.pydantic_message(kind, error.get("ctx") or {})
        # A PydanticCustomError of the app (e.g. the rule checker's "rule"): its text is ours.
        return self.message(str(error.get("msg", "")))

    def _or(self, listing: str) -> str:
        head, sep, tail = listing.rpartition(" or ")
        return f"{head} {self.or_word} {tail}" if sep else listing


def build(module: ModuleType) -> Catalog:
    """A Catalog from a messages module (see app/i18n/messages_id.py)."""
    phrases = {HTTPStatus(code).phrase: text for code, text in module.HTTP_STATUS.items()}
    messages = phrases | module.FRAMEWORK | module.TITLES | module.DETAILS | module.FIELDS
    return Catalog(messages=messages, values=module.VALUES, pydantic=module.PYDANTIC, or_word=module.OR)
