"""Settings from the environment (prefix REINTEGRASI_), refusing unsafe defaults in production."""

import base64
import warnings
from functools import lru_cache
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, IPvAnyNetwork, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development-only fallbacks: known to everyone, so production refuses them.
INSECURE_SECRET = "changethis-development-secret"  # noqa: S105 - refused in production
INSECURE_KEY = base64.urlsafe_b64encode(b"reintegrasi-insecure-dev-key-32b").decode()

# OWASP Password Storage Cheat Sheet: Argon2id with at least 19 MiB, 2 iterations, 1 lane.
OWASP_MIN_MEMORY_KIB = 19 * 1024
OWASP_MIN_TIME_COST = 2


class Settings(BaseSettings):
    """Every knob of the service; see the README's settings table."""

    model_config = SettingsConfigDict(env_prefix="REINTEGRASI_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./reintegrasi.db"
    # Kept open, per worker. Connections beyond the pool ("overflow") are closed as soon as they
    # are returned: under steady load each then costs a connect, a TLS attempt and type
    # introspection (~3 ms of CPU), which is why the default has none.
    db_pool_size: int = Field(default=20, ge=1)
    db_max_overflow: int = Field(default=0, ge=0)
    db_pool_timeout_seconds: float = Field(default=5.0, gt=0)
    # A ping before each checkout costs a round trip on every request. Without it, a connection
    # that died with a database restart fails on first use: that request gets 503 (Retry-After),
    # the pool drops every older connection at once, and the next requests reconnect.
    db_pool_pre_ping: bool = False

    secret_key: str = INSECURE_SECRET
    data_key: str = INSECURE_KEY
    data_key_version: int = Field(default=1, ge=1, le=255)
    # Keys of earlier versions, still needed to read what they encrypted: {"1": "<base64>"}.
    retired_data_keys: dict[int, str] = {}
    blind_index_key: str = INSECURE_KEY

    bootstrap_admin_password: str | None = None

    access_token_ttl_minutes: int = Field(default=60, ge=1, le=24 * 60)
    # Sign-in throttling (app/auth/throttle.py): each key (an account at one address, an account
    # from anywhere, an address) has that many free failures; then every further attempt waits a
    # backoff that doubles from the base up to the max. A key quiet for the window starts over.
    login_max_failures: int = Field(default=5, ge=1)
    login_account_max_failures: int = Field(default=50, ge=1)
    login_address_max_failures: int = Field(default=10, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    login_backoff_base_seconds: float = Field(default=30.0, gt=0)
    login_backoff_max_seconds: float = Field(default=900.0, gt=0)
    # Argon2 runs in threads, this many at once per worker and two at a time per client address:
    # sign-in attempts queue behind each other, never in front of the rest of the API.
    login_hash_concurrency: int = Field(default=2, ge=1)
    login_hash_per_address: int = Field(default=2, ge=1)
    # An external OpenID Connect provider whose access tokens are accepted (app/auth/oidc.py):
    # all three set, or none. Its tokens carry the role and the agency id in the claims named here.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_role_claim: str = "role"
    oidc_agency_claim: str = "agency_id"
    oidc_roles: list[str] = ["officer", "partner", "auditor", "viewer"]
    oidc_leeway_seconds: int = Field(default=30, ge=0, le=300)
    # Bulk access (app/bulk): an export with plain NIK waits for a second staff member's approval;
    # an account reading more persons in one clock hour than the bound is flagged (and paused).
    bulk_nik_approval: bool = True
    # An import of a file with NIK (or KK) cells needs one too when on (POST /import-requests).
    # Off by default: imports come from the city's own forms and census sheets, which officers
    # load often; a city whose threat is a stolen officer password writing in bulk turns it on.
    bulk_nik_import_approval: bool = False
    # How long an export or import request can be approved and then used.
    export_request_ttl_hours: int = Field(default=24, ge=1, le=24 * 7)
    read_volume_hourly_limit: int = Field(default=1000, ge=1)
    read_volume_pause: bool = False
    idempotency_ttl_hours: int = Field(default=24, ge=1)

    # Multi-factor sign-in (TOTP). True: admins and officers need a second factor, and so do the
    # roles listed in mfa_also_required_for. Off by default outside production (a newcomer's
    # `make run` stays one step); production refuses to start with it off.
    mfa_required: bool = False
    mfa_also_required_for: list[Literal["auditor", "partner", "viewer"]] = []
    mfa_issuer: str = "Reintegrasi"
    # How long an admin's one-time enrolment code stays valid (a new code replaces the old one).
    mfa_enrolment_code_ttl_hours: int = Field(default=72, ge=1, le=24 * 30)
    # A started enrolment not confirmed within this time is void (a new enrolment code restarts it).
    mfa_enrolment_confirm_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # WebAuthn (security keys, passkeys) as a second factor: the relying party id (the site's
    # domain, e.g. "registri.kupang.go.id") and the exact origins the browser signs for (a
    # frontend's, e.g. "https://app.kupang.go.id" under that domain). Development: localhost.
    webauthn_rp_id: str = "localhost"
    webauthn_rp_name: str = "Reintegrasi"
    webauthn_origins: list[str] = ["http://localhost:8000", "http://localhost:5173"]
    # How long a registration or sign-in challenge may be answered (each is answered once).
    webauthn_challenge_seconds: int = Field(default=300, ge=30, le=3600)
    # The password grant, for scripts only. Unset: on outside production, off in production.
    password_grant_enabled: bool | None = None
    # Browser sign-in (authorization code with PKCE): each registered frontend's client id and its
    # exact redirect URIs, e.g. {"reintegrasi-web": ["https://app.example.go.id/callback"]}.
    oauth_clients: dict[str, list[str]] = {}
    authorization_code_ttl_seconds: int = Field(default=60, ge=10, le=600)
    # Sessions of the browser flow: short access tokens, refreshed with rotating refresh tokens;
    # a session ends after the idle time without a refresh, and at the absolute time in any case.
    session_access_token_ttl_minutes: int = Field(default=10, ge=1, le=60)
    session_idle_minutes: int = Field(default=30, ge=1)
    session_absolute_hours: int = Field(default=12, ge=1)

    argon2_time_cost: int = Field(default=3, ge=OWASP_MIN_TIME_COST)
    argon2_memory_kib: int = Field(default=64 * 1024, ge=OWASP_MIN_MEMORY_KIB)
    argon2_parallelism: int = Field(default=4, ge=1)

    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)

    log_level: str = "INFO"
    cors_origins: list[str] = []
    # Reverse proxies (addresses or networks, e.g. ["10.0.0.5", "10.1.0.0/16"]) whose
    # X-Forwarded-For and X-Forwarded-Proto are believed. From any other peer they are ignored:
    # anyone can send them. Empty: the peer's address is the client's.
    trusted_proxies: list[IPvAnyNetwork] = []
    # PostgreSQL: the owner role's URL, for the maintenance the runtime role may not do (the
    # VACUUM FULL that follows an erasure). Unset: the app's own connection (it owns the tables).
    maintenance_database_url: str | None = None
    # A 401 without a valid identity is counted per client address and bucket of this many
    # seconds (table audit_denial_counts), not written as an event; `python -m app purge`
    # deletes the buckets older than the retention.
    audit_denial_bucket_seconds: int = Field(default=300, ge=1, le=86400)
    audit_denial_retention_days: int = Field(default=90, ge=1)
    # Tamper evidence (app/audit/chain.py). The key of the row hashes, seals and anchors: 32
    # bytes, url-safe base64; unset, it is derived from SECRET_KEY. Keep it outside the database.
    audit_key: str | None = None
    # The worker seals events older than the delay (a transaction still open cannot commit one
    # into a sealed range), in batches, every interval; the head is anchored every anchor interval
    # to the file (appended, one signed JSON line) and/or the URL (POSTed), when set.
    audit_seal_delay_seconds: float = Field(default=300.0, ge=0)
    audit_seal_batch_size: int = Field(default=1000, ge=1, le=100_000)
    audit_seal_interval_seconds: float = Field(default=60.0, gt=0)
    audit_anchor_file: str | None = None
    audit_anchor_url: str | None = None
    audit_anchor_interval_seconds: float = Field(default=3600.0, gt=0)

    # Webhooks. The delivery worker runs beside the API in this process when true (`make run`
    # sets it); otherwise run `python -m app worker` on its own.
    webhook_worker: bool = False
    # Private, loopback and link-local targets (and plain http) are refused unless this is true:
    # for tests and a receiver on the same host only, never to reach the internal network.
    webhook_allow_private_targets: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Retries back off exponentially from the base, capped, until the window after the event.
    webhook_retry_base_seconds: float = Field(default=10.0, gt=0)
    webhook_retry_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_retry_window_hours: float = Field(default=24.0, gt=0)
    webhook_batch_size: int = Field(default=50, ge=1, le=1000)
    webhook_poll_seconds: float = Field(default=2.0, gt=0)
    # GET /metrics (Prometheus text): unset, it answers 404; set, it needs `Authorization: Bearer
    # <token>`. At least 32 characters in production, e.g. `python -c 'import secrets;
    # print(secrets.token_urlsafe(32))'`.
    metrics_token: str | None = None

    @model_validator(mode="after")
    def _refuse_insecure_defaults(self) -> Self:
        insecure = {
            name
            for name, default in (
                ("secret_key", INSECURE_SECRET),
                ("data_key", INSECURE_KEY),
                ("blind_index_key", INSECURE_KEY),
            )
            if getattr(self, name) == default
        }
        if insecure and self.environment == "production":
            raise ValueError(f"set REINTEGRASI_{'/'.join(sorted(insecure)).upper()} in production")
        if insecure and self.environment == "development":
            warnings.warn(
                f"{', '.join(sorted(insecure))} use insecure development defaults",
                stacklevel=2,
            )
        if self.environment == "production" and self.metrics_token and len(self.metrics_token) < 32:
            raise ValueError("REINTEGRASI_METRICS_TOKEN must be at least 32 characters in production")
        if self.environment == "production" and not self.mfa_required:
            raise ValueError("set REINTEGRASI_MFA_REQUIRED=true in production")
        for client_id, uris in self.oauth_clients.items():
            for uri in uris:
                _check_redirect_uri(client_id, uri, production=self.environment == "production")
        for origin in self.webauthn_origins:
            _check_webauthn_origin(origin, self.webauthn_rp_id)
        if self.environment == "production" and self.database_url.startswith("sqlite"):
            warnings.warn("SQLite in production: fine for one machine only", stacklevel=2)
        oidc = (self.oidc_issuer, self.oidc_audience, self.oidc_jwks_url)
        if any(oidc) and not all(oidc):
            raise ValueError("set REINTEGRASI_OIDC_ISSUER, _AUDIENCE and _JWKS_URL together")
        for name in ("data_key", "blind_index_key", "audit_key"):
            if getattr(self, name) is not None and len(base64.urlsafe_b64decode(getattr(self, name))) != 32:
                raise ValueError(f"{name} must be 32 bytes, url-safe base64 encoded")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def password_grant_allowed(self) -> bool:
        if self.password_grant_enabled is None:
            return self.environment != "production"
        return self.password_grant_enabled


def _check_webauthn_origin(origin: str, rp_id: str) -> None:
    """An origin the browser signs for: https (or http on localhost), on the rp id or under it."""
    parts = urlsplit(origin)
    host = parts.hostname or ""
    secure = parts.scheme == "https" or (parts.scheme == "http" and host == "localhost")
    within = host == rp_id or host.endswith("." + rp_id)
    if not (secure and within) or parts.path not in {"", "/"} or parts.query or parts.fragment:
        raise ValueError(f"webauthn_origins: {origin!r} is not an https origin on {rp_id!r}")


def _check_redirect_uri(client_id: str, uri: str, *, production: bool) -> None:
    """A registered redirect URI: absolute, no fragment; https in production (RFC 6749 3.1.2)."""
    parts = urlsplit(uri)
    loopback = parts.scheme == "http" and parts.hostname in {"localhost", "127.0.0.1", "::1"}
    if parts.fragment or not parts.netloc or not (parts.scheme == "https" or (loopback and not production)):
        raise ValueError(f"oauth_clients[{client_id!r}]: {uri!r} is not an acceptable redirect URI")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
