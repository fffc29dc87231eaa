"""The TOTP second factor: enrolment codes, enrolment, recovery codes, checks at sign-in, reset.

A password alone never enrols a factor: a stolen password would then take over every account that
has none yet. Enrolment starts with a one-time code an admin issues (or the server's CLI prints),
and a started enrolment is never replaced, except by an admin issuing a new code.
"""

import base64
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import pyotp
from sqlalchemy import delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.audit import service as audit
from app.auth.signin_models import MfaEnrolmentCode, MfaFactor, RecoveryCode
from app.config import get_settings
from app.errors import Conflict
from app.security.crypto import blind_index, decrypt, encrypt
from app.security.policy import Role
from app.security.principal import Actor
from app.users.models import User

SECRET_FIELD = "totp_secret"  # noqa: S105 - the name of the encrypted field, not a secret
RECOVERY_CODE_COUNT = 10
# Codes of the step before and after are accepted too: phones' clocks drift.
VALID_WINDOW = 1


class MfaAlreadyEnrolled(Conflict):
    slug, title = "mfa-already-enrolled", "Second factor already enrolled"


class Step(StrEnum):
    """What a password-checked request wants: to sign in, or to start or confirm an enrolment."""

    sign_in = "sign-in"
    start_enrolment = "start-enrolment"
    confirm_enrolment = "confirm-enrolment"


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str
    otpauth_uri: str


@dataclass(frozen=True, slots=True)
class EnrolmentCode:
    code: str
    expires_at: datetime


def required_for(user: User) -> bool:
    """Whether the settings make `user` sign in with a second factor."""
    settings = get_settings()
    if not settings.mfa_required:
        return False
    return Role(user.role) in {Role.admin, Role.officer, *map(Role, settings.mfa_also_required_for)}


def _totp(factor: MfaFactor) -> pyotp.TOTP:
    return pyotp.TOTP(decrypt(factor.secret_ciphertext, factor.user_id, SECRET_FIELD))


def _recovery_digest(user_id: uuid.UUID, code: str) -> str:
    # Keyed (the blind-index key lives outside the database): a stolen table cannot be brute-forced.
    return blind_index(f"mfa-recovery:{user_id}:{code}")


def _enrolment_digest(user_id: uuid.UUID, code: str) -> str:
    return blind_index(f"mfa-enrolment:{user_id}:{code}")


def _normalised(code: str) -> str:
    return code.strip().replace("-", "").replace(" ", "").lower()


def _random_code(length: int) -> str:
    """Lower-case base32 characters (5 random bits each)."""
    return base64.b32encode(secrets.token_bytes(length)).decode()[:length].lower()


async def issue_enrolment_code(session: AsyncSession, actor: Actor, user: User) -> EnrolmentCode:
    """A one-time code that lets `user` start enrolling; replaces their earlier code and enrolment."""
    factor = await session.get(MfaFactor, user.id)
    if factor is not None and factor.confirmed_at is not None:
        raise MfaAlreadyEnrolled("A second factor is enrolled; an admin can reset it.")
    if factor is not None:
        # An enrolment started and never confirmed: whoever started it may hold its secret.
        await session.delete(factor)
    await session.execute(delete(MfaEnrolmentCode).where(MfaEnrolmentCode.user_id == user.id))
    # 12 base32 characters: 60 random bits, guessed only through the sign-in throttle.
    raw, now = _random_code(12), clock.now()
    expires_at = now + timedelta(hours=get_settings().mfa_enrolment_code_ttl_hours)
    digest = _enrolment_digest(user.id, raw)
    session.add(MfaEnrolmentCode(user_id=user.id, code_digest=digest, created_at=now, expires_at=expires_at))
    await audit.record(session, actor, "mfa.enrolment-code", resource_type="user", resource_id=user.id)
    return EnrolmentCode(code=f"{raw[:4]}-{raw[4:8]}-{raw[8:]}", expires_at=expires_at)


async def _use_enrolment_code(session: AsyncSession, user_id: uuid.UUID, code: str) -> bool:
    """Consume the user's unexpired enrolment code if it is `code`: of two requests only one does."""
    result = await session.execute(
        delete(MfaEnrolmentCode)
        .where(
            MfaEnrolmentCode.user_id == user_id,
            MfaEnrolmentCode.code_digest == _enrolment_digest(user_id, _normalised(code)),
            MfaEnrolmentCode.expires_at > clock.now(),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def start_enrolment(session: AsyncSession, user: User) -> Enrolment:
    """A new, unconfirmed secret for `user`, whose enrolment code was consumed at sign-in."""
    secret = pyotp.random_base32()
    ciphertext = encrypt(secret, user.id, SECRET_FIELD)
    session.add(MfaFactor(user_id=user.id, secret_ciphertext=ciphertext, created_at=clock.now()))
    await session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=get_settings().mfa_issuer)
    return Enrolment(secret=secret, otpauth_uri=uri)


async def confirm_enrolment(session: AsyncSession, actor: Actor, user: User) -> list[str]:
    """Confirm the factor whose first code was accepted at sign-in; the recovery codes, shown once."""
    factor = await session.get(MfaFactor, user.id)
    assert factor is not None and factor.confirmed_at is None, "checked by check_second_factor"
    factor.confirmed_at = clock.now()
    codes = await _new_recovery_codes(session, user.id)
    await audit.record(session, actor, "mfa.enrol", resource_type="user", resource_id=user.id)
    return codes


async def _new_recovery_codes(session: AsyncSession, user_id: uuid.UUID) -> list[str]:
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    # 10 base32 characters each: 50 random bits, written as two groups of five.
    raw = [_random_code(10) for _ in range(RECOVERY_CODE_COUNT)]
    session.add_all(RecoveryCode(user_id=user_id, code_digest=_recovery_digest(user_id, c)) for c in raw)
    await session.flush()
    return [f"{c[:5]}-{c[5:]}" for c in raw]


async def check_second_factor(
    session: AsyncSession, user: User, code: str | None, step: Step = Step.sign_in
) -> bool:
    """Whether a password-checked request may go on; every code it accepts is used up.

    Signing in: no factor needed, or a valid TOTP or recovery code. Starting an enrolment: no
    factor yet, and the admin's enrolment code. Confirming: a started enrolment, and its first code.
    """
    factor = await session.get(MfaFactor, user.id)
    confirmed = factor is not None and factor.confirmed_at is not None
    if not code:
        return step is Step.sign_in and not confirmed and not required_for(user)
    if step is Step.start_enrolment:
        return factor is None and await _use_enrolment_code(session, user.id, code)
    if step is Step.confirm_enrolment:
        if factor is None or factor.confirmed_at is not None or _expired(factor):
            return False
        return await _use_totp(session, factor, _normalised(code))
    if factor is None or not confirmed:
        return not required_for(user)
    code = _normalised(code)
    if len(code) == 6 and code.isascii() and code.isdigit():
        return await _use_totp(session, factor, code)
    return await _use_recovery_code(session, user.id, code)


def _expired(factor: MfaFactor) -> bool:
    """A started enrolment is confirmed soon or never: its first code is guessed no longer."""
    minutes = get_settings().mfa_enrolment_confirm_minutes
    return factor.created_at < clock.now() - timedelta(minutes=minutes)


async def _use_totp(session: AsyncSession, factor: MfaFactor, code: str) -> bool:
    """Accept a code of the current step (or its neighbours) newer than the last one accepted."""
    if not code.isascii():  # other scripts' digits are not a code (compare_digest takes ASCII)
        return False
    totp, now = _totp(factor), clock.now()
    current = totp.timecode(now)
    step = next(
        (
            current + offset
            for offset in range(-VALID_WINDOW, VALID_WINDOW + 1)
            if hmac.compare_digest(totp.at(now, counter_offset=offset), code)
        ),
        None,
    )
    if step is None:
        return False
    # Atomic: of two requests with the same code only one moves the step on.
    result = await session.execute(
        update(MfaFactor)
        .where(
            MfaFactor.user_id == factor.user_id,
            or_(MfaFactor.last_used_step.is_(None), MfaFactor.last_used_step < step),
        )
        .values(last_used_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    factor.last_used_step = step
    return True


async def _use_recovery_code(session: AsyncSession, user_id: uuid.UUID, code: str) -> bool:
    result = await session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_digest == _recovery_digest(user_id, code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def reset(session: AsyncSession, actor: Actor, user_id: uuid.UUID) -> None:
    """Remove a user's factor, recovery codes and enrolment code (a lost phone): a new code enrols."""
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    await session.execute(delete(MfaEnrolmentCode).where(MfaEnrolmentCode.user_id == user_id))
    await session.execute(delete(MfaFactor).where(MfaFactor.user_id == user_id))
    await audit.record(session, actor, "mfa.reset", resource_type="user", resource_id=user_id)
