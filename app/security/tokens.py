"""Opaque bearer tokens and client secrets: random, shown once, stored only as a digest."""

import hashlib
import secrets


def new_token() -> str:
    """A random opaque token (256 bits)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The stored form of a token; SHA-256 suffices for 256 random bits (no dictionary to try)."""
    return hashlib.sha256(token.encode()).hexdigest()
