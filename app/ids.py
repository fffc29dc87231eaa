"""UUIDv7 identifiers: time-ordered for index locality, with 74 random bits against guessing."""

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last = 0


def uuid7() -> uuid.UUID:
    """A new RFC 9562 version 7 UUID, strictly increasing within this process.

    Within one millisecond the random part is incremented (RFC 9562, method 3), so rows written
    in one transaction keep their order when listed by id.
    """
    global _last
    millis = time.time_ns() // 1_000_000
    candidate = (millis & ((1 << 48) - 1)) << 80 | int.from_bytes(os.urandom(10)) & ((1 << 80) - 1)
    with _lock:
        if candidate >> 80 <= _last >> 80:
            candidate = _last + 1
        _last = candidate
    value = (candidate & ~(0xF << 76)) | (0x7 << 76)  # version
    return uuid.UUID(int=(value & ~(0x3 << 62)) | (0x2 << 62))  # RFC 4122 variant
