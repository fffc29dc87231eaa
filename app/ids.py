"""UUIDv7 identifiers: time-ordered for index locality, with 74 random bits against guessing."""

import os
import time
import uuid


def uuid7() -> uuid.UUID:
    """A new RFC 9562 version 7 UUID."""
    millis = time.time_ns() // 1_000_000
    value = (millis & ((1 << 48) - 1)) << 80 | int.from_bytes(os.urandom(10)) & ((1 << 80) - 1)
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return uuid.UUID(int=value)
