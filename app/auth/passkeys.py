"""WebAuthn (security keys, passkeys) as a second factor beside TOTP, with py_webauthn.

A password alone never registers a key: registering needs a session whose sign-in used a second
factor (the user's TOTP factor or an earlier key), or, for a first factor, the one-time enrolment
code an admin issues (as for TOTP, app/auth/mfa.py), so a stolen password cannot add one. Every
challenge is random, stored, answered once and expires; each use of a key must raise its
signature counter when the authenticator keeps one (a cloned key then shows). Sign-in options for
an unknown user, or one without keys, look like real ones, with as many key ids: the endpoint tells
nobody who has keys, or how many.
"""

import hashlib
import hmac
import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import webauthn
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from webauthn.helpers import bytes_to_base64url, parse_client_data_json
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from app import clock
from app.audit import service as audit
from app.auth.models import AccessToken
from app.auth.signin_models import (
    AuthorizationCode,
    AuthSession,
    MfaFactor,
    WebauthnChallenge,
    WebauthnCredential,
)
from app.config import get_settings
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.security.principal import Actor
from app.users.models import User

REGISTRATION, ENROLMENT, SIGN_IN = "registration", "enrolment", "sign-in"
# Sign-in options list at least this many credential ids: a user's keys and stand-ins, so that
# the count tells nobody how many keys a user has, or whether the name has any.
SIGN_IN_ALLOW_LIST = 4
# The lengths a stand-in id takes (chosen per name and slot): those of common authenticators'.
DUMMY_ID_LENGTHS = (16, 32, 48, 64)  # four: a digest byte modulo 4 picks each alike
_NOBODY = uuid.UUID(int=0)  # no user has this id


class SecondFactorSessionRequired(Forbidden):
    slug, title = "second-factor-session-required", "Sign in with a second factor first"


class WebauthnCredentialNotFound(NotFound):
    slug, title = "webauthn-credential-not-found", "Security key not found"


class WebauthnCredentialExists(Conflict):
    slug, title = "webauthn-credential-exists", "Security key already registered"


class WebauthnRegistrationRefused(InvalidInput):
    slug, title = "webauthn-registration-refused", "Security key not accepted"


def _origins() -> list[str]:
    return [origin.rstrip("/") for origin in get_settings().webauthn_origins]


def _expires_at() -> datetime:
    return clock.now() + timedelta(seconds=get_settings().webauthn_challenge_seconds)


def _timeout_ms() -> int:
    return get_settings().webauthn_challenge_seconds * 1000


async def _credentials(session: AsyncSession, user_id: uuid.UUID) -> Sequence[WebauthnCredential]:
    return (
        await session.scalars(
            select(WebauthnCredential)
            .where(WebauthnCredential.user_id == user_id)
            .order_by(WebauthnCredential.created_at, WebauthnCredential.id)
        )
    ).all()


async def has_credentials(session: AsyncSession, user_id: uuid.UUID) -> bool:
    found = await session.scalar(select(WebauthnCredential.id).where(WebauthnCredential.user_id == user_id))
    return found is not None


async def _first_factor_at(session: AsyncSession, user_id: uuid.UUID) -> datetime | None:
    """When the user's first second factor (TOTP confirmed, or a key) came; None: they have none."""
    totp = await session.scalar(
        select(MfaFactor.confirmed_at).where(
            MfaFactor.user_id == user_id, MfaFactor.confirmed_at.is_not(None)
        )
    )
    key = await session.scalar(
        select(func.min(WebauthnCredential.created_at)).where(WebauthnCredential.user_id == user_id)
    )
    found = [t for t in (totp, key) if t is not None]
    return min(found) if found else None


async def _signed_in_at(session: AsyncSession, actor: Actor) -> datetime | None:
    """When the sign-in behind the actor's token happened; None: not a token of ours.

    A session's sign-in is its authorization code's issue (the password and factor were checked
    then, up to the code's lifetime before the session began).
    """
    row = (
        await session.execute(
            select(AccessToken.created_at, AuthSession.created_at, func.min(AuthorizationCode.expires_at))
            .outerjoin(AuthSession, AuthSession.id == AccessToken.session_id)
            .outerjoin(AuthorizationCode, AuthorizationCode.session_id == AuthSession.id)
            .where(AccessToken.id == actor.token_id, AccessToken.user_id == actor.id)
            .group_by(AccessToken.created_at, AuthSession.created_at)
        )
    ).first()
    if row is None:
        return None
    token_at, session_at, code_expires_at = row
    if session_at is None:
        return token_at  # the password grant: the token's own sign-in
    code_ttl = timedelta(seconds=get_settings().authorization_code_ttl_seconds)
    # The code may be purged already: then the earliest it can have been issued.
    return (code_expires_at or session_at) - code_ttl


async def _require_second_factor_session(session: AsyncSession, actor: Actor) -> None:
    """Refuse unless the actor signed in after having a second factor: that sign-in then used it.

    Once a factor exists every sign-in needs it (app/auth/mfa.py), so a token of a sign-in later
    than the first factor was not won with the password alone. Tokens of an external provider,
    of an API client, and of a sign-in before any factor are refused.
    """
    signed_in = await _signed_in_at(session, actor) if actor.kind == "user" else None
    first = await _first_factor_at(session, actor.id) if signed_in is not None else None
    if signed_in is None or first is None or signed_in < first:
        raise SecondFactorSessionRequired(
            "Sign in again with your second factor (an admin's enrolment code enrols a first one)."
        )


async def _store_challenge(
    session: AsyncSession, user_id: uuid.UUID | None, purpose: str, raw: bytes
) -> None:
    challenge = WebauthnChallenge(
        user_id=user_id, purpose=purpose, challenge=bytes_to_base64url(raw), expires_at=_expires_at()
    )
    session.add(challenge)
    await session.flush()


async def _use_challenge(session: AsyncSession, user_id: uuid.UUID, purpose: str, raw: bytes) -> bool:
    """Consume an unexpired challenge of the user: of two answers with the same one, only one counts."""
    result = await session.execute(
        delete(WebauthnChallenge)
        .where(
            WebauthnChallenge.challenge == bytes_to_base64url(raw),
            WebauthnChallenge.user_id == user_id,
            WebauthnChallenge.purpose == purpose,
            WebauthnChallenge.expires_at > clock.now(),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _challenge_of(credential: dict[str, Any]) -> bytes:
    """The challenge the browser signed, from the credential's clientDataJSON (unverified yet)."""
    client_data = webauthn.base64url_to_bytes(credential["response"]["clientDataJSON"])
    return parse_client_data_json(client_data).challenge


def _descriptor(credential: WebauthnCredential) -> PublicKeyCredentialDescriptor:
    transports = [AuthenticatorTransport(t) for t in (credential.transports or "").split(",") if t]
    return PublicKeyCredentialDescriptor(
        id=webauthn.base64url_to_bytes(credential.credential_id), transports=transports or None
    )


async def _creation_options(session: AsyncSession, user: User, purpose: str) -> dict[str, Any]:
    settings = get_settings()
    options = webauthn.generate_registration_options(
        rp_id=settings.webauthn_rp_id,
        rp_name=settings.webauthn_rp_name,
        user_name=user.username,
        user_id=user.id.bytes,
        user_display_name=user.username,
        timeout=_timeout_ms(),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[_descriptor(c) for c in await _credentials(session, user.id)],
    )
    await _store_challenge(session, user.id, purpose, options.challenge)
    return json.loads(webauthn.options_to_json(options))


async def registration_options(session: AsyncSession, actor: Actor, user: User) -> dict[str, Any]:
    """Options for navigator.credentials.create(); their challenge is stored for one answer."""
    await _require_second_factor_session(session, actor)
    return await _creation_options(session, user, REGISTRATION)


async def enrolment_options(session: AsyncSession, user: User) -> dict[str, Any]:
    """Creation options of a first factor, for a user whose enrolment code was consumed at sign-in."""
    return await _creation_options(session, user, ENROLMENT)


async def _new_key(
    session: AsyncSession, user: User, credential: Any, purpose: str, name: str
) -> WebauthnCredential | None:
    """The key of a valid answer to one of the user's `purpose` challenges (consumed), added; or None."""
    try:
        challenge = _challenge_of(credential)
    except Exception:  # a malformed answer is the client's error, never a 500
        return None
    if not await _use_challenge(session, user.id, purpose, challenge):
        return None
    settings = get_settings()
    try:
        verified = webauthn.verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.webauthn_rp_id,
            expected_origin=_origins(),
        )
    except Exception:  # py_webauthn raises its own errors, and others on malformed input
        return None
    transports = credential["response"].get("transports") or []
    known = {t.value for t in AuthenticatorTransport}
    key = WebauthnCredential(
        user_id=user.id,
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=",".join(t for t in transports if isinstance(t, str) and t in known)[:200] or None,
        name=name,
        created_at=clock.now(),
    )
    taken = await session.scalar(
        select(WebauthnCredential.id).where(WebauthnCredential.credential_id == key.credential_id)
    )
    if taken is not None:  # a race past this check meets the unique constraint: 409 as well
        raise WebauthnCredentialExists("This security key is already registered.")
    session.add(key)
    await session.flush()
    return key


async def register(
    session: AsyncSession, actor: Actor, user: User, credential: dict[str, Any], name: str
) -> WebauthnCredential:
    """Verify the browser's answer to a registration challenge of the user's; store the new key."""
    await _require_second_factor_session(session, actor)
    key = await _new_key(session, user, credential, REGISTRATION, name)
    if key is None:
        raise WebauthnRegistrationRefused(
            [(("body", "credential"), "The security key's answer was not accepted; start again.")]
        )
    await audit.record(session, actor, "mfa.webauthn.register", resource_type="user", resource_id=user.id)
    return key


async def enrol(session: AsyncSession, user: User, answer: str) -> bool:
    """Whether `answer` (JSON: `credential`, `name`) answers the user's enrolment challenge; adds the key."""
    try:
        body = json.loads(answer)
        credential, name = body["credential"], str(body["name"])
    except Exception:
        return False
    try:
        return await _new_key(session, user, credential, ENROLMENT, name) is not None
    except WebauthnCredentialExists:
        return False  # another account's key: a wrong answer like any other, no oracle


async def list_own(session: AsyncSession, user_id: uuid.UUID) -> Sequence[WebauthnCredential]:
    return await _credentials(session, user_id)


async def delete_own(session: AsyncSession, actor: Actor, credential_id: uuid.UUID) -> None:
    """Remove one of your keys (a second-factor session needed); another user's key is 404 alike."""
    await _require_second_factor_session(session, actor)
    result = await session.execute(
        delete(WebauthnCredential)
        .where(WebauthnCredential.id == credential_id, WebauthnCredential.user_id == actor.id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise WebauthnCredentialNotFound(resource_type="webauthn_credential", resource_id=credential_id)
    await audit.record(session, actor, "mfa.webauthn.delete", resource_type="user", resource_id=actor.id)


def _stand_ins(username: str, count: int) -> list[bytes]:
    """Stand-in key ids for a name, the same at every request: asking twice reveals nothing."""
    key = hashlib.sha256(b"webauthn-dummy:" + get_settings().secret_key.encode()).digest()
    ids = []
    for slot in range(count):
        choice = hmac.digest(key, f"length:{slot}:{username}".encode(), "sha256")[0]
        length = DUMMY_ID_LENGTHS[choice % len(DUMMY_ID_LENGTHS)]
        ids.append(hmac.digest(key, f"id:{slot}:{username}".encode(), "sha512")[:length])
    return ids


def _allow_list(username: str, keys: Sequence[WebauthnCredential]) -> list[PublicKeyCredentialDescriptor]:
    """The user's key ids among stand-ins, at least `SIGN_IN_ALLOW_LIST`, in an order set by the ids.

    A key's transports are not shown: a stand-in has none, and they would tell the two apart.
    """
    real = [webauthn.base64url_to_bytes(k.credential_id) for k in keys]
    ids = real + _stand_ins(username, max(0, SIGN_IN_ALLOW_LIST - len(real)))
    ordered = sorted(ids, key=lambda i: hashlib.sha256(i).digest())  # real and stand-in mixed
    return [PublicKeyCredentialDescriptor(id=i) for i in ordered]


async def sign_in_options(session: AsyncSession, username: str) -> dict[str, Any]:
    """Options for navigator.credentials.get(): real for an active user with keys, alike otherwise."""
    name = username.strip().lower()
    user = await session.scalar(select(User).where(User.username == name, User.active))
    # The keys are looked up for every name (an unknown one matches none): answering an unknown
    # name without that query was ~1 ms faster, which told who has an account.
    keys = await _credentials(session, user.id if user is not None else _NOBODY)
    options = webauthn.generate_authentication_options(
        rp_id=get_settings().webauthn_rp_id,
        timeout=_timeout_ms(),
        allow_credentials=_allow_list(name, keys),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    await _store_challenge(session, user.id if keys and user else None, SIGN_IN, options.challenge)
    return json.loads(webauthn.options_to_json(options))


async def use_assertion(session: AsyncSession, user: User, assertion: str) -> bool:
    """Whether `assertion` (the JSON of navigator.credentials.get()) is a valid use of a key of `user`.

    Its challenge is consumed (a refused sign-in rolls back, so only an accepted answer uses it up:
    a replay of that one finds none); the counter moves atomically.
    """
    settings = get_settings()
    try:
        credential = json.loads(assertion)
        credential_id = credential["rawId"] if isinstance(credential["rawId"], str) else ""
        challenge = _challenge_of(credential)
    except Exception:  # malformed: a wrong second factor like any other
        return False
    key = await session.scalar(
        select(WebauthnCredential).where(
            WebauthnCredential.credential_id == credential_id, WebauthnCredential.user_id == user.id
        )
    )
    if key is None or not await _use_challenge(session, user.id, SIGN_IN, challenge):
        return False
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.webauthn_rp_id,
            expected_origin=_origins(),
            credential_public_key=key.public_key,
            credential_current_sign_count=key.sign_count,
        )
    except Exception:  # a wrong origin, relying party, signature or counter; or malformed input
        return False
    new_count = verified.new_sign_count
    # Atomic: two answers racing with the same counter value are one too many (one is a clone's).
    # An authenticator that keeps no counter (many synced passkeys) answers 0 every time: the
    # single-use challenge is then what refuses a replay.
    count = WebauthnCredential.sign_count
    raised = count == 0 if new_count == 0 else count < new_count
    moved = await session.execute(
        update(WebauthnCredential)
        .where(WebauthnCredential.id == key.id, raised)
        .values(sign_count=new_count, last_used_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return moved.rowcount == 1


async def drop_enrolment(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Void a started key enrolment (an admin's new enrolment code restarts it)."""
    await session.execute(
        delete(WebauthnChallenge).where(
            WebauthnChallenge.user_id == user_id, WebauthnChallenge.purpose == ENROLMENT
        )
    )


async def reset(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Remove every key and pending challenge of a user (an admin's reset of a lost factor)."""
    await session.execute(delete(WebauthnChallenge).where(WebauthnChallenge.user_id == user_id))
    await session.execute(delete(WebauthnCredential).where(WebauthnCredential.user_id == user_id))


async def purge_expired(session: AsyncSession) -> int:
    """Delete challenges that can no longer be answered."""
    expired = WebauthnChallenge.expires_at < clock.now()
    result = await session.execute(delete(WebauthnChallenge).where(expired))
    return result.rowcount or 0
