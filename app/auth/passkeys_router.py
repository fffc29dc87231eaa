"""WebAuthn (security keys, passkeys): sign-in options, and registering and removing one's keys."""

import json
import uuid

from fastapi import APIRouter, Request
from sqlalchemy import select

from app.auth import mfa, passkeys, service
from app.auth.schemas import (
    EnrolmentStart,
    KeyEnrolmentConfirm,
    KeyEnrolmentRead,
    WebauthnCredentialRead,
    WebauthnOptionsRead,
    WebauthnOptionsRequest,
    WebauthnRegistration,
)
from app.auth.signin_models import WebauthnCredential
from app.auth.signin_router import user_actor
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


@router.post("/enrolment", response_model=WebauthnOptionsRead)
async def start_webauthn_enrolment(
    body: EnrolmentStart, request: Request, session: SessionDep
) -> WebauthnOptionsRead:
    """Start enrolling a security key as your first factor, with the code an admin gave you."""
    user = await service.authenticate_user(
        session,
        body.username,
        body.password,
        body.enrolment_code,
        address=request.state.client_ip,
        step=mfa.Step.start_key_enrolment,
    )
    return WebauthnOptionsRead(public_key=await passkeys.enrolment_options(session, user))


@router.post("/enrolment/confirm", response_model=KeyEnrolmentRead, status_code=201)
async def confirm_webauthn_enrolment(
    body: KeyEnrolmentConfirm, request: Request, session: SessionDep
) -> KeyEnrolmentRead:
    """Enrol the security key that answered the enrolment options; the answer holds recovery codes."""
    answer = json.dumps({"credential": body.credential, "name": body.name})
    user = await service.authenticate_user(
        session,
        body.username,
        body.password,
        answer,
        address=request.state.client_ip,
        step=mfa.Step.confirm_key_enrolment,
    )
    codes = await mfa.key_enrolled(session, user_actor(request, user), user)
    key = await session.scalar(
        select(WebauthnCredential)
        .where(WebauthnCredential.user_id == user.id)
        .order_by(WebauthnCredential.created_at.desc(), WebauthnCredential.id.desc())
        .limit(1)
    )
    assert key is not None, "added by check_second_factor"
    return KeyEnrolmentRead(credential=_read(key), recovery_codes=codes)


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
