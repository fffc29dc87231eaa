"""Field encryption (AES-GCM), blind indexes (HMAC-SHA256) and per-agency pseudonyms.

Ciphertext layout: one byte key version, 12 bytes random nonce, then AES-GCM output. The row id
and field name are the associated data, so a ciphertext copied to another row or field fails.
Keys live outside the database (settings); retired keys stay readable for rotation.
"""

import base64
import hashlib
import hmac
import os
import uuid
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.config import get_settings

NONCE_BYTES = 12


def _key(encoded: str) -> bytes:
    return base64.urlsafe_b64decode(encoded)


@lru_cache
def _keyring() -> tuple[int, dict[int, AESGCM]]:
    settings = get_settings()
    ring = {version: AESGCM(_key(key)) for version, key in settings.retired_data_keys.items()}
    ring[settings.data_key_version] = AESGCM(_key(settings.data_key))
    return settings.data_key_version, ring


def _aad(row_id: uuid.UUID, field: str) -> bytes:
    return row_id.bytes + field.encode()


def encrypt(value: str, row_id: uuid.UUID, field: str) -> bytes:
    """Encrypt `value` for `field` of row `row_id` under the current key."""
    version, ring = _keyring()
    nonce = os.urandom(NONCE_BYTES)
    return bytes([version]) + nonce + ring[version].encrypt(nonce, value.encode(), _aad(row_id, field))


def decrypt(blob: bytes, row_id: uuid.UUID, field: str) -> str:
    """Decrypt a value written by `encrypt` (any known key version)."""
    _, ring = _keyring()
    cipher = ring.get(blob[0])
    if cipher is None:
        raise LookupError(f"data key version {blob[0]} is not configured")
    nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        return cipher.decrypt(nonce, sealed, _aad(row_id, field)).decode()
    except InvalidTag as exc:
        raise ValueError("ciphertext does not belong to this row and field") from exc


def key_version(blob: bytes) -> int:
    return blob[0]


@lru_cache
def _blind_key() -> bytes:
    return _key(get_settings().blind_index_key)


def blind_index(value: str) -> str:
    """A keyed digest for exact lookup and uniqueness without storing the value."""
    return hmac.new(_blind_key(), value.encode(), hashlib.sha256).hexdigest()


@lru_cache
def _pseudonym_key() -> bytes:
    return hashlib.sha256(b"pseudonym:" + get_settings().secret_key.encode()).digest()


def pseudonym(person_id: uuid.UUID, agency_id: uuid.UUID) -> uuid.UUID:
    """The stable id under which one agency sees a person; two agencies' ids cannot be joined."""
    digest = hmac.new(_pseudonym_key(), agency_id.bytes + person_id.bytes, hashlib.sha256).digest()
    value = int.from_bytes(digest[:16])
    value = (value & ~(0xF << 76)) | (0x8 << 76)  # UUID version 8: custom
    value = (value & ~(0x3 << 62)) | (0x2 << 62)
    return uuid.UUID(int=value)


def masked_nik(last4: str | None) -> str | None:
    """A NIK shown as its last four digits only."""
    return None if last4 is None else "*" * 12 + last4


def mask(value: str | None, keep: int = 4) -> str | None:
    """All but the last `keep` characters replaced by '*'."""
    if value is None:
        return None
    return "*" * max(0, len(value) - keep) + value[-keep:]
