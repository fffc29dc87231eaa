"""Errors of signing in."""

from typing import Any

from app.errors import AppError, NotAuthenticated, TooManyRequests


class InvalidCredentials(NotAuthenticated):
    """The same answer whether the account exists, is inactive, or the secret is wrong."""

    slug, title = "invalid-credentials", "Invalid credentials"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("The credentials are not valid.", extra={"error": "invalid_grant"}, **kwargs)


class LoginThrottled(TooManyRequests):
    slug, title = "login-throttled", "Too many failed sign-ins"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many failed sign-ins; retry in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )


class UnsupportedGrant(AppError):
    status, slug, title = 400, "unsupported-grant-type", "Unsupported grant type"

    def __init__(self) -> None:
        super().__init__(
            "grant_type must be password or client_credentials.",
            extra={"error": "unsupported_grant_type"},
        )
