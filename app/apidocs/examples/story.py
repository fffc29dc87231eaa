"""The story the examples tell, and what they share: the placeholder ids, tokens, the synthetic NIK.

The story is the Pos Kupang report of 26 Oct 2018: the rakor of 30 Oct 2018 at Ruang Garuda, Balai
Kota Kupang, on closing Karang Dempel (145 persons), and the PEM fund for city residents. Persons
are synthetic (`Warga Contoh ...`, NIKs of Kota Kupang's non-existent district 99). Ids are
placeholders named in `REFS`: an example's `site_id` is the id the site of the `POST /sites`
example gets.
"""

import uuid
from typing import Any

API = "/api/v1"


def ref(name: str) -> str:
    """The placeholder id of the story's object `name` (a fixed, recognizable UUID)."""
    return str(uuid.UUID(f"00000000-0000-4000-8000-{REFS.index(name) + 1:012d}"))


# The story's objects, in the order they come up; each placeholder id is made from the position.
REFS = [
    "site", "dinsos", "dinsos_kab", "ngo", "user", "api_client", "meeting", "participant", "agenda_item",
    "action_item", "person", "imported_person", "coordination", "correspondence", "repatriation",
    "program", "rule_set", "assistance", "census", "change_request", "webhook",
]  # fmt: skip
# A token value an example names: the test puts a real one in its place.
ACCESS_TOKEN = "access-token-from-POST-auth-token"  # noqa: S105 - a placeholder
PASSWORD = "kata-sandi-contoh-2018-panjang"  # noqa: S105 - an example; no account has it
NEW_PASSWORD = "kata-sandi-contoh-2018-baru"  # noqa: S105 - likewise
# Synthetic NIK of a woman of Kota Kupang born 6 Sep 1988, issued in district 99, which the city
# does not have (it has six): it cannot be anyone's.
NIK = "5371994609889902"
# When the story's objects were created, as the response examples show it.
AT = "2018-10-30T02:15:00Z"

FORM = "application/x-www-form-urlencoded"

# One request example: ((method, path), media type, (summary, value)).
RequestExample = tuple[tuple[str, str], str, tuple[str, Any]]


def body(method: str, path: str, summary: str, value: Any, media: str = "application/json") -> RequestExample:
    """The example body of one operation (`path` below /api/v1) in one media type."""
    return (method, API + path), media, (summary, value)
