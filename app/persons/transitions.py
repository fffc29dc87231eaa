"""The person status lifecycle: which status may follow which (declared, not scattered)."""

from enum import StrEnum


class Status(StrEnum):
    registered = "registered"  # terdata
    verified = "verified"  # terverifikasi
    awaiting_return = "awaiting_return"  # menunggu pemulangan
    repatriated = "repatriated"  # dipulangkan
    handed_over = "handed_over"  # diserahterimakan
    returned_independently = "returned_independently"  # pulang mandiri
    staying = "staying"  # tetap di kota
    not_located = "not_located"  # tidak ditemukan
    declined = "declined"  # menolak


S = Status
_EXITS = {S.returned_independently, S.staying, S.not_located, S.declined}

TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.registered: frozenset({S.verified, *_EXITS}),
    S.verified: frozenset({S.awaiting_return, *_EXITS}),
    S.awaiting_return: frozenset({S.repatriated, S.verified, *_EXITS}),
    # A cancelled batch sends its members back to waiting.
    S.repatriated: frozenset({S.handed_over, S.awaiting_return}),
    S.handed_over: frozenset(),
    S.returned_independently: frozenset(),
    # Those who stay, are not found or decline can still change their minds or be found.
    S.staying: frozenset({S.awaiting_return, S.returned_independently}),
    S.not_located: frozenset({S.registered, S.verified, S.returned_independently}),
    S.declined: frozenset({S.verified, S.awaiting_return, S.staying, S.returned_independently}),
}


def allowed_targets(current: str) -> list[str]:
    """The statuses `current` may change to, sorted."""
    return sorted(TRANSITIONS[Status(current)])


def is_allowed(current: str, target: str) -> bool:
    return Status(target) in TRANSITIONS[Status(current)]
