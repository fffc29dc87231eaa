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

    def __init__(self, retry_after: int, **kwargs: Any) -> None:
        super().__init__(
            f"Too many failed sign-ins; retry in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
            **kwargs,
        )


class UnsupportedGrant(AppError):
    status, slug, title = 400, "unsupported-grant-type", "Unsupported grant type"

    def __init__(self) -> None:
        super().__init__(
            "grant_type must be authorization_code, refresh_token, client_credentials or password.",
            extra={"error": "unsupported_grant_type"},
        )


class InvalidGrant(AppError):
    """A code or refresh token that is unknown, used, expired, or not this client's (RFC 6749 5.2)."""

    status, slug, title = 400, "invalid-grant", "Invalid grant"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("The grant is not valid.", extra={"error": "invalid_grant"}, **kwargs)


class InvalidClient(AppError):
    """An unregistered frontend or redirect URI: never redirected to (RFC 6749 4.1.2.1)."""

    status, slug, title = 400, "invalid-client", "Unknown client or redirect URI"

    def __init__(self) -> None:
        super().__init__(
            "client_id is not registered, or redirect_uri is not one of its redirect URIs.",
            extra={"error": "invalid_client"},
        )


class PkceRequired(AppError):
    status, slug, title = 400, "invalid-request", "Invalid request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, extra={"error": "invalid_request"})
