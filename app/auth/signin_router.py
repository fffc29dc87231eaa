"""Browser sign-in (authorization code with PKCE), enrolment of a second factor, sessions."""

import html
import uuid
from typing import Annotated
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import mfa, oauth, service, sessions
from app.auth.errors import InvalidCredentials, InvalidGrant, PkceRequired
from app.auth.schemas import (
    EnrolmentCodeRead,
    EnrolmentConfirm,
    EnrolmentRead,
    EnrolmentStart,
    RecoveryCodesRead,
    SessionRead,
)
from app.db import SessionDep
from app.security.deps import Permitted
from app.security.policy import Role
from app.security.principal import Actor
from app.users import service as user_service
from app.users.models import User

router = APIRouter(prefix="/auth", tags=["auth"])
me_router = APIRouter(prefix="/me", tags=["me"])
users_router = APIRouter(prefix="/users", tags=["users"])

AUTHORIZE_PATH = "/api/v1/auth/authorize"
Text = Annotated[str | None, Form(max_length=256)]
Uri = Annotated[str | None, Form(max_length=2000)]


class SignInRefused(InvalidCredentials):
    """A failed sign-in on the browser form: the form again (401), not problem+json."""

    def __init__(self, page: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.page = page


async def render_refused(request: Request, exc: Exception) -> HTMLResponse:
    assert isinstance(exc, SignInRefused)
    return HTMLResponse(exc.page, status_code=401)


def _with_query(uri: str, **params: str | None) -> str:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query) + [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _form(params: dict[str, str], error: str | None = None) -> str:
    """The sign-in page: plain HTML, no script or style (the API's CSP allows none)."""
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in params.items()
    )
    message = f'<p role="alert">{html.escape(error)}</p>' if error else ""
    return (
        '<!doctype html><html lang="id"><head><meta charset="utf-8"><title>Masuk / Sign in</title></head>'
        f"<body><h1>Reintegrasi</h1>{message}"
        f'<form method="post" action="{AUTHORIZE_PATH}">{hidden}'
        '<p><label>Nama pengguna / Username <input name="username" autocomplete="username" '
        "required></label></p>"
        '<p><label>Kata sandi / Password <input name="password" type="password" '
        'autocomplete="current-password" required></label></p>'
        '<p><label>Kode / Code (TOTP or recovery) <input name="otp" autocomplete="one-time-code" '
        'inputmode="numeric"></label></p>'
        '<p><button type="submit">Masuk / Sign in</button></p></form></body></html>'
    )


def _checked_request(
    response_type: str | None,
    client_id: str | None,
    redirect_uri: str | None,
    state: str | None,
    code_challenge: str | None,
    code_challenge_method: str | None,
) -> dict[str, str] | RedirectResponse:
    """The request's parameters, or the error redirect RFC 6749 4.1.2.1 calls for."""
    oauth.check_client(client_id, redirect_uri)  # unregistered: a 400 here, never a redirect
    assert client_id is not None and redirect_uri is not None
    if response_type != "code":
        return RedirectResponse(
            _with_query(redirect_uri, error="unsupported_response_type", state=state), 303
        )
    try:
        challenge = oauth.check_challenge(code_challenge, code_challenge_method)
    except PkceRequired as exc:
        target = _with_query(redirect_uri, error="invalid_request", error_description=exc.detail, state=state)
        return RedirectResponse(target, 303)
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return params | ({"state": state} if state is not None else {})


# Browser pages of the authorization-code flow: the document names them in its OAuth2 scheme.
@router.get("/authorize", response_class=HTMLResponse, response_model=None, include_in_schema=False)
async def authorize_page(
    response_type: str | None = None,
    client_id: str | None = None,
    redirect_uri: str | None = None,
    state: str | None = None,
    code_challenge: str | None = None,
    code_challenge_method: str | None = None,
) -> HTMLResponse | RedirectResponse:
    """The sign-in page of the authorization-code flow (PKCE with S256 required)."""
    checked = _checked_request(
        response_type, client_id, redirect_uri, state, code_challenge, code_challenge_method
    )
    return checked if isinstance(checked, RedirectResponse) else HTMLResponse(_form(checked))


@router.post(
    "/authorize",
    response_class=RedirectResponse,
    status_code=303,
    response_model=None,
    include_in_schema=False,
)
async def authorize(
    request: Request,
    session: SessionDep,
    username: Text = None,
    password: Text = None,
    otp: Text = None,
    response_type: Text = None,
    client_id: Text = None,
    redirect_uri: Uri = None,
    state: Uri = None,
    code_challenge: Text = None,
    code_challenge_method: Text = None,
) -> RedirectResponse:
    """Check password and second factor; redirect to the frontend with a single-use code."""
    checked = _checked_request(
        response_type, client_id, redirect_uri, state, code_challenge, code_challenge_method
    )
    if isinstance(checked, RedirectResponse):
        return checked
    try:
        if not username or not password:
            raise InvalidCredentials()
        user = await service.authenticate_user(
            session, username, password, otp, address=request.state.client_ip
        )
    except InvalidCredentials as exc:
        page = _form(checked, "Nama pengguna, kata sandi atau kode salah. / Invalid credentials.")
        raise SignInRefused(page, durable=exc.durable) from None
    code = await oauth.issue_code(
        session,
        user,
        client_id=checked["client_id"],
        redirect_uri=checked["redirect_uri"],
        code_challenge=checked["code_challenge"],
    )
    return RedirectResponse(_with_query(checked["redirect_uri"], code=code, state=state), 303)


async def token_of_browser_grant(
    session: AsyncSession,
    grant_type: str,
    client_id: str | None,
    code: str | None,
    redirect_uri: str | None,
    code_verifier: str | None,
    refresh_token: str | None,
) -> sessions.SessionTokens:
    """The token endpoint's authorization_code and refresh_token grants (public clients: client_id)."""
    if grant_type == "refresh_token":
        if not (refresh_token and client_id):
            raise InvalidGrant()
        return await sessions.refresh(session, refresh_token, client_id)
    if not (code and code_verifier and client_id and redirect_uri):
        raise PkceRequired("code, code_verifier, client_id and redirect_uri are required.")
    oauth.check_client(client_id, redirect_uri)
    return await oauth.exchange(
        session, code=code, client_id=client_id, redirect_uri=redirect_uri, code_verifier=code_verifier
    )


def _user_actor(request: Request, user: User) -> Actor:
    """The user of a password-checked request, as the audit trail names them."""
    state = request.state
    return Actor(
        kind="user",
        id=user.id,
        role=Role(user.role),
        agency_id=user.agency_id,
        token_id=uuid.UUID(int=0),
        request_id=getattr(state, "request_id", None),
        client_ip=getattr(state, "client_ip", None),
        correlation_id=getattr(state, "correlation_id", None),
        peer_ip=getattr(state, "peer_ip", None),
    )


@router.post("/mfa/enrolment", response_model=EnrolmentRead)
async def start_enrolment(body: EnrolmentStart, request: Request, session: SessionDep) -> EnrolmentRead:
    """Start enrolling a TOTP factor with your password and the one-time code an admin gave you."""
    user = await service.authenticate_user(
        session,
        body.username,
        body.password,
        body.enrolment_code,
        address=request.state.client_ip,
        step=mfa.Step.start_enrolment,
    )
    enrolment = await mfa.start_enrolment(session, user)
    return EnrolmentRead(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri)


@router.post("/mfa/enrolment/confirm", response_model=RecoveryCodesRead)
async def confirm_enrolment(
    body: EnrolmentConfirm, request: Request, session: SessionDep
) -> RecoveryCodesRead:
    """Confirm the factor with its first code; the answer holds your recovery codes, shown once."""
    user = await service.authenticate_user(
        session,
        body.username,
        body.password,
        body.code,
        address=request.state.client_ip,
        step=mfa.Step.confirm_enrolment,
    )
    codes = await mfa.confirm_enrolment(session, _user_actor(request, user), user)
    return RecoveryCodesRead(recovery_codes=codes)


@me_router.get("/sessions", response_model=list[SessionRead])
async def list_my_sessions(session: SessionDep, actor: Permitted("me:read")) -> list[SessionRead]:
    """Your sessions that have not ended; `current` marks the one of this request's token."""
    if actor.kind != "user":
        return []
    current = await sessions.session_of_token(session, actor.token_id)
    return [
        SessionRead(
            id=s.id,
            client_id=s.client_id,
            created_at=s.created_at,
            last_refreshed_at=s.last_refreshed_at,
            idle_expires_at=s.idle_expires_at,
            absolute_expires_at=s.absolute_expires_at,
            current=s.id == current,
        )
        for s in await sessions.live_for_user(session, actor.id)
    ]


@me_router.delete("/sessions/{session_id}", status_code=204)
async def end_my_session(session_id: uuid.UUID, session: SessionDep, actor: Permitted("me:read")) -> None:
    """Sign out of one of your sessions: its tokens stop working at once."""
    await sessions.revoke_own(session, actor, session_id)


@users_router.delete("/{user_id}/sessions", status_code=204)
async def sign_user_out_everywhere(
    user_id: uuid.UUID, session: SessionDep, actor: Permitted("users:manage")
) -> None:
    """End every session and token of a user."""
    await user_service.get(session, user_id)
    await sessions.sign_out_everywhere(session, actor, user_id)


@users_router.post("/{user_id}/mfa/enrolment-code", response_model=EnrolmentCodeRead)
async def issue_enrolment_code(
    user_id: uuid.UUID, session: SessionDep, actor: Permitted("users:manage")
) -> EnrolmentCodeRead:
    """A one-time code for the user to start enrolling a second factor (replaces an earlier one)."""
    issued = await mfa.issue_enrolment_code(session, actor, await user_service.get(session, user_id))
    return EnrolmentCodeRead(code=issued.code, expires_at=issued.expires_at)


@users_router.delete("/{user_id}/mfa", status_code=204)
async def reset_second_factor(
    user_id: uuid.UUID, session: SessionDep, actor: Permitted("users:manage")
) -> None:
    """Remove a user's second factor (a lost phone) and end their sessions; they enrol again."""
    await user_service.get(session, user_id)
    await mfa.reset(session, actor, user_id)
    await service.revoke_all(session, user_id=user_id)
