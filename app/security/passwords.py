"""Argon2id hashing for passwords and client secrets (argon2-cffi)."""

from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from app.config import get_settings

MIN_PASSWORD_LENGTH = 12


@lru_cache
def _hasher() -> PasswordHasher:
    settings = get_settings()
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
        type=Type.ID,
    )


@lru_cache
def _dummy_hash() -> str:
    return _hasher().hash("timing-equalizer-not-a-password")


def hash_secret(secret: str) -> str:
    """An Argon2id hash of `secret`."""
    return _hasher().hash(secret)


def needs_rehash(stored_hash: str | None) -> bool:
    """Whether a stored hash was made with weaker parameters than the current settings."""
    if stored_hash is None:
        return False
    try:
        return _hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return False


def verify_secret(stored_hash: str | None, secret: str) -> bool:
    """Whether `secret` matches; with no stored hash, spends the same time and says no."""
    try:
        return _hasher().verify(stored_hash or _dummy_hash(), secret) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
