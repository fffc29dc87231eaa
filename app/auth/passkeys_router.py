"""WebAuthn (security keys, passkeys): sign-in options, and registering and removing one's keys."""

import uuid

from fastapi import APIRouter

from app.auth import passkeys
from app.auth.schemas import (
    WebauthnCredentialRead,
    WebauthnOptionsRead,
    WebauthnOptionsRequest,
    WebauthnRegistration,
)
from app.auth.signin_models import WebauthnCredential
from app.db import SessionDep
from app.security.deps import Permitted
from app.users import service as user_service

router = APIRouter(prefix="/auth/webauthn", tags=["auth"])
me_router = APIRouter(prefix="/me/webauthn", tags=["me"])


def _read(key: WebauthnCredential) -> WebauthnCredentialRead:
    return WebauthnCredentialRead(
        id=key.id,
        name=key.name,
        transports=[t for t in (key.transports or "").split(",") if t],
        created_at=key.created_at,
        last_used_at=key.last_used_at,
    )


@router.post("/options", response_model=WebauthnOptionsRead)
async def webauthn_sign_in_options(body: WebauthnOptionsRequest, session: SessionDep) -> WebauthnOptionsRead:
    """Options to sign in with a security key; send its answer as `webauthn` with your password."""
    return WebauthnOptionsRead(public_key=await passkeys.sign_in_options(session, body.username))


@me_router.post("/registration", response_model=WebauthnOptionsRead)
async def start_webauthn_registration(session: SessionDep, actor: Permitted("me:mfa")) -> WebauthnOptionsRead:
    """Options to register a security key (a session signed in with a second factor needed)."""
    user = await user_service.get(session, actor.id) if actor.kind == "user" else None
    if user is None:
        raise passkeys.SecondFactorSessionRequired("Only a signed-in user registers a security key.")
    return WebauthnOptionsRead(public_key=await passkeys.registration_options(session, actor, user))


@me_router.post("/registration/verify", response_model=WebauthnCredentialRead, status_code=201)
async def register_webauthn_credential(
    body: WebauthnRegistration, session: SessionDep, actor: Permitted("me:mfa")
) -> WebauthnCredentialRead:
    """Register the security key that answered your registration options."""
    user = await user_service.get(session, actor.id) if actor.kind == "user" else None
    if user is None:
        raise passkeys.SecondFactorSessionRequired("Only a signed-in user registers a security key.")
    return _read(await passkeys.register(session, actor, user, body.credential, body.name))


@me_router.get("/credentials", response_model=list[WebauthnCredentialRead])
async def list_my_webauthn_credentials(
    session: SessionDep, actor: Permitted("me:mfa")
) -> list[WebauthnCredentialRead]:
    """Your security keys and passkeys."""
    if actor.kind != "user":
        return []
    return [_read(key) for key in await passkeys.list_own(session, actor.id)]


@me_router.delete("/credentials/{credential_id}", status_code=204)
async def delete_my_webauthn_credential(
    credential_id: uuid.UUID, session: SessionDep, actor: Permitted("me:mfa")
) -> None:
    """Remove one of your security keys (a session signed in with a second factor needed)."""
    await passkeys.delete_own(session, actor, credential_id)
