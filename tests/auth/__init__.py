"""Sign-in tests (MFA, authorization code with PKCE, sessions); helpers for the browser flow and TOTP."""

import base64
import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.audit.models import AuditEvent
from app.auth import mfa
from app.security.principal import system_actor
from app.users.models import User
from tests.access import PASSWORD, TOKEN_URL

CLIENT_ID = "reintegrasi-web"
REDIRECT_URI = "https://app.kupang.test/callback"
OTHER_REDIRECT_URI = "https://app.kupang.test/other"
AUTHORIZE_URL = "/api/v1/auth/authorize"


class Clock:
    """The app's clock (app.clock.now), moved by the test instead of sleeping."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(challenge: str, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "keadaan-acak-123",
        **extra,
    }


async def authorize(
    http: httpx.AsyncClient,
    username: str,
    challenge: str,
    *,
    otp: str | None = None,
    password: str = PASSWORD,
) -> httpx.Response:
    form = authorize_params(challenge) | {"username": username, "password": password}
    return await http.post(AUTHORIZE_URL, data=form | ({"otp": otp} if otp else {}))


def code_of(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["state"] == ["keadaan-acak-123"]
    return query["code"][0]


async def exchange(
    http: httpx.AsyncClient, code: str, verifier: str, *, redirect_uri: str = REDIRECT_URI
) -> httpx.Response:
    return await http.post(
        TOKEN_URL,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "client_id": CLIENT_ID,
            "redirect_uri": redirect_uri,
        },
    )


async def refresh(http: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await http.post(
        TOKEN_URL,
        data={"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": CLIENT_ID},
    )


async def browser_sign_in(
    http: httpx.AsyncClient, username: str, *, otp: str | None = None
) -> dict[str, str]:
    """Tokens through the whole authorization-code flow; fails the test when any step fails."""
    verifier, challenge = pkce_pair()
    response = await exchange(http, code_of(await authorize(http, username, challenge, otp=otp)), verifier)
    assert response.status_code == 200, response.text
    return response.json()


async def enrolment_code(session: AsyncSession, user: User) -> str:
    """The one-time code an admin would hand `user` (issued through the service, committed)."""
    issued = await mfa.issue_enrolment_code(session, system_actor("test"), user)
    await session.commit()
    return issued.code


async def enrol(
    http: httpx.AsyncClient, session: AsyncSession, user: User, password: str = PASSWORD
) -> tuple[pyotp.TOTP, list[str]]:
    """Enrol a TOTP factor through the API; the authenticator and the recovery codes."""
    credentials = {"username": user.username, "password": password}
    code = await enrolment_code(session, user)
    started = await http.post("/api/v1/auth/mfa/enrolment", json=credentials | {"enrolment_code": code})
    assert started.status_code == 200, started.text
    totp = pyotp.TOTP(started.json()["secret"])
    confirmed = await http.post("/api/v1/auth/mfa/enrolment/confirm", json=credentials | {"code": totp.now()})
    assert confirmed.status_code == 200, confirmed.text
    return totp, confirmed.json()["recovery_codes"]


def next_code(totp: pyotp.TOTP, steps: int = 1) -> str:
    """The code of a later step: a code is accepted once, so a second sign-in needs the next."""
    return totp.at(clock.now(), counter_offset=steps)


async def actions(session, resource_id: object) -> list[str]:
    rows = await session.scalars(
        select(AuditEvent.action).where(AuditEvent.resource_id == str(resource_id)).order_by(AuditEvent.id)
    )
    found = list(rows)
    await session.commit()  # end the read (kept objects stay loaded): SQLite's writers wait for it
    return found
