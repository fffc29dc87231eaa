"""Every message the API can emit has an Indonesian translation, and the catalog holds nothing stale."""

import re
import typing
from http import HTTPStatus

from pydantic_core import core_schema
from pydantic_core._pydantic_core import list_all_errors

from app.i18n import CATALOGS, messages_id
from app.i18n.catalog import FIELD, pydantic_templates
from tests.i18n import scan

CATALOG = CATALOGS["id"]
APP_ENTRIES = messages_id.TITLES | messages_id.DETAILS | messages_id.FIELDS
POSITIONAL = re.compile(r"\{(\d+)\}")
NAMED = re.compile(r"\{(\w+)\}")


# Message arguments computed at run time, and why their text is covered anyway. A new one fails
# test_computed_messages_are_accounted_for: make it a literal, or say here where its text is scanned.
COMPUTED = {
    "app/errors.py": None,  # the handlers pass on the messages of the errors they render
    "app/auth/service.py": {"max(1, int((oldest - window_start).total_seconds()) + 1)"},  # a number
    "app/persons/router.py": {"request.app.state.settings.max_upload_bytes"},  # a number
    # pydantic's messages: translated from pydantic's own templates
    "app/persons/csv_io.py": {"error['msg']"},
    "app/change_requests/service.py": {"error['msg']", "e['msg']"},  # and region checks' (scanned)
    "app/eligibility/schemas.py": {"str(exc)", "msg"},  # Fact.check's ValueErrors; fail() messages
    "app/webhooks/service.py": {"str(exc)"},  # TargetRefused, a ValueError: scanned
    "app/auth/errors.py": {"detail"},  # PkceRequired: the literals of its callers are scanned
    # seconds, a number (from the count's upserts)
    "app/auth/throttle.py": {
        "None",
        "1",
        "max(1, math.ceil(blocked_until - now))",
        "await _count(connection, engine.dialect.name, keys)",
        "await _count(session, dialect, keys)",
    },
    # SignInRefused's page: the HTML sign-in form (already bilingual), not a problem; its detail is
    # InvalidCredentials' (scanned)
    "app/auth/signin_router.py": {
        "_form(checked, 'Nama pengguna, kata sandi atau kode salah. / Invalid credentials.')"
    },
    "app/bulk/service.py": {"what"},  # fills PurposeRequired's f-string (scanned); its values: VALUES
}


def _missing(found: list[scan.Message], catalog: dict[str, str]) -> list[str]:
    return sorted({f"{m.where}: {m.template!r}" for m in found if m.template not in catalog})


def _filled(template: str) -> tuple[str, list[str]]:
    """`template` with sample values in its fields, and the values."""
    values = [f"v{i}x" for i in range(template.count(FIELD))]
    parts = template.split(FIELD)
    text = parts[0] + "".join(value + part for value, part in zip(values, parts[1:], strict=True))
    return text, values


def test_every_app_message_has_an_indonesian_entry():
    found = scan.messages()
    templates = {m.template for m in found}
    missing = _missing(found, APP_ENTRIES)
    print(f"\n{len(templates)} message templates found in app/, {len(templates) - len(missing)} translated")
    assert not missing, "messages without an Indonesian entry in app/i18n/messages_id.py:\n" + "\n".join(
        missing
    )
    assert len(templates) > 150  # the scan still finds the sinks (a broken scan finds nothing)


def test_every_word_in_a_message_field_has_an_entry():
    missing = _missing(scan.words(), messages_id.VALUES)
    assert not missing, "words without an entry in VALUES:\n" + "\n".join(missing)


def test_every_framework_message_has_an_entry():
    found = scan.framework_messages()
    assert found, "the scan of FastAPI/Starlette found no messages"
    missing = _missing(found, messages_id.FRAMEWORK)
    assert not missing, "FastAPI/Starlette messages without an entry in FRAMEWORK:\n" + "\n".join(missing)


def test_every_pydantic_error_type_has_a_translation():
    types = set(typing.get_args(core_schema.ErrorType))
    assert types - messages_id.PYDANTIC.keys() == set()
    english = pydantic_templates()
    for kind, template in messages_id.PYDANTIC.items():
        # Only pydantic's own ctx fields: a typo would render as a missing field.
        assert set(NAMED.findall(template)) <= set(NAMED.findall(english[kind])), kind


def test_every_pydantic_message_renders_in_indonesian():
    for error in list_all_errors():
        kind, ctx = error["type"], dict(error.get("example_context") or {})
        if kind in {"value_error", "assertion_error"}:
            ctx["error"] = ValueError("must be 16 digits")
        rendered = CATALOG.validation({"type": kind, "msg": error["example_message_python"], "ctx": ctx})
        assert rendered and "{" not in rendered, kind
        assert rendered != error["example_message_python"], kind


def test_every_http_error_status_has_a_phrase():
    codes = {s.value for s in HTTPStatus if s.value >= 400}
    assert codes == messages_id.HTTP_STATUS.keys()
    for status in codes:
        assert CATALOG.message(HTTPStatus(status).phrase) == messages_id.HTTP_STATUS[status]


def test_no_stale_entries():
    produced = {m.template for m in scan.messages()}
    stale = sorted(APP_ENTRIES.keys() - produced)
    assert not stale, f"entries no message produces any more (remove them): {stale}"
    framework = {m.template for m in scan.framework_messages()}
    assert sorted(messages_id.FRAMEWORK.keys() - framework) == []
    literals = scan.string_literals()
    assert sorted(messages_id.VALUES.keys() - literals) == []
    assert sorted(messages_id.PYDANTIC.keys() - set(typing.get_args(core_schema.ErrorType))) == []


def test_translations_keep_every_field_and_no_other():
    entries = APP_ENTRIES | messages_id.FRAMEWORK
    for english, indonesian in entries.items():
        count = english.count(FIELD)
        # Braces other than fields would be read as fields by the matcher.
        assert english.replace(FIELD, "").count("{") == english.count("}") - count == 0, english
        used = sorted(int(n) for n in POSITIONAL.findall(indonesian))
        assert sorted(set(used)) == list(range(count)), (english, indonesian)
        assert indonesian.strip() and indonesian != english, english


def test_each_message_is_matched_by_its_own_template():
    """No template shadows another: a filled-in message comes back as its own translation."""
    entries = APP_ENTRIES | messages_id.FRAMEWORK
    for english, indonesian in entries.items():
        text, values = _filled(english)
        assert CATALOG.message(text) == indonesian.format(*values), english


def test_catalog_sections_agree_on_shared_keys():
    sections = [messages_id.TITLES, messages_id.DETAILS, messages_id.FIELDS, messages_id.FRAMEWORK]
    phrases = {HTTPStatus(c).phrase: t for c, t in messages_id.HTTP_STATUS.items()}
    seen: dict[str, str] = {}
    for section in [phrases, *sections]:
        for key, value in section.items():
            assert seen.setdefault(key, value) == value, key


def test_computed_messages_are_accounted_for():
    unknown = []
    for message in scan.computed():
        path = message.where.rsplit(":", 1)[0]
        known = COMPUTED.get(path, set())
        if known is not None and message.template not in known:
            unknown.append(f"{message.where}: {message.template}")
    assert not unknown, "messages the scan cannot read (see COMPUTED):\n" + "\n".join(sorted(unknown))
