"""OAuth2 token endpoint (code, refresh, client-credentials and password grants), revocation (RFC 7009)."""

import base64
import binascii
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request, Response
from pydantic import BaseModel

from app.auth import service, signin_router
from app.auth.errors import InvalidCredentials, UnsupportedGrant
from app.config import get_settings
from app.db import SessionDep
from app.security.deps import Permitted
from app.security.policy import Role

router = APIRouter(prefix="/auth", tags=["auth"])

FormText = Annotated[str | None, Form(max_length=256)]


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int
    # Only from the authorization-code and refresh-token grants (a browser session).
    refresh_token: str | None = None


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        client_id, _, secret = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, secret


@router.post("/token", response_model=TokenResponse, response_model_exclude_none=True)
async def issue_token(
    request: Request,
    response: Response,
    session: SessionDep,
    grant_type: Annotated[str, Form(max_length=40)],
    username: FormText = None,
    password: FormText = None,
    client_id: FormText = None,
    client_secret: FormText = None,
    scope: FormText = None,
    otp: FormText = None,
    webauthn: Annotated[str | None, Form(max_length=16384)] = None,
    code: FormText = None,
    redirect_uri: Annotated[str | None, Form(max_length=2000)] = None,
    code_verifier: FormText = None,
    refresh_token: FormText = None,
) -> TokenResponse:
    """Exchange a code and its PKCE verifier, a refresh token, a client secret or a password for tokens."""
    # The password grant (username, password and, when the account has one, `otp`: a TOTP or
    # recovery code, or `webauthn`: a security key's assertion as JSON) is for scripts and off by
    # default in production.
    if grant_type in {"authorization_code", "refresh_token"}:
        issued = await signin_router.token_of_browser_grant(
            session, grant_type, client_id, code, redirect_uri, code_verifier, refresh_token
        )
    elif grant_type == "password" and get_settings().password_grant_allowed:
        if not username or not password:
            raise InvalidCredentials()
        issued = await service.login_with_password(
            session, username, password, otp, request.state.client_ip, assertion=webauthn
        )
    elif grant_type == "client_credentials":
        basic = _basic_credentials(request)
        client_id, client_secret = basic if basic else (client_id, client_secret)
        if not client_id or not client_secret:
            raise InvalidCredentials()
        issued = await service.login_with_client_secret(
            session, client_id, client_secret, request.state.client_ip
        )
    else:
        raise UnsupportedGrant()
    response.headers["Pragma"] = "no-cache"
    return TokenResponse(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        refresh_token=getattr(issued, "refresh_token", None),
    )


@router.post("/revoke", status_code=200)
async def revoke_token(
    session: SessionDep,
    actor: Permitted("auth:revoke"),
    token: Annotated[str, Form(max_length=256)],
    token_type_hint: FormText = None,
) -> dict[str, str]:
    """Revoke an access token you own (admins: any). Unknown tokens are ignored, as RFC 7009 says."""
    owner = service.TokenOwner(actor.kind, actor.id, actor.role, actor.agency_id, actor.token_id)
    await service.revoke(session, token, owner=owner, any_owner=actor.role is Role.admin)
    return {"status": "revoked"}
