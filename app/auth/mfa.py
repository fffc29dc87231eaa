"""The TOTP second factor: enrolment, confirmation, recovery codes, checks at sign-in, reset."""

import base64
import hmac
import secrets
import uuid
from dataclasses import dataclass

import pyotp
from sqlalchemy import delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.audit import service as audit
from app.auth.signin_models import MfaFactor, RecoveryCode
from app.config import get_settings
from app.errors import Conflict, InvalidInput
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


class MfaNotStarted(Conflict):
    slug, title = "mfa-not-started", "No enrolment to confirm"


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str
    otpauth_uri: str


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


def _normalised(code: str) -> str:
    return code.strip().replace("-", "").replace(" ", "").lower()


async def start_enrolment(session: AsyncSession, user: User) -> Enrolment:
    """A new secret for `user` (replacing an unconfirmed one); refused once a factor is confirmed."""
    factor = await session.get(MfaFactor, user.id)
    if factor is not None and factor.confirmed_at is not None:
        raise MfaAlreadyEnrolled("A second factor is enrolled; an admin can reset it.")
    secret = pyotp.random_base32()
    ciphertext = encrypt(secret, user.id, SECRET_FIELD)
    if factor is None:
        session.add(MfaFactor(user_id=user.id, secret_ciphertext=ciphertext, created_at=clock.now()))
    else:
        factor.secret_ciphertext, factor.created_at = ciphertext, clock.now()
    await session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=get_settings().mfa_issuer)
    return Enrolment(secret=secret, otpauth_uri=uri)


async def confirm_enrolment(session: AsyncSession, actor: Actor, user: User, code: str) -> list[str]:
    """Confirm the factor with its first code; returns the recovery codes (shown this once)."""
    factor = await session.get(MfaFactor, user.id)
    if factor is None or factor.confirmed_at is not None:
        raise MfaNotStarted("Start an enrolment first.")
    if not await _use_totp(session, factor, _normalised(code)):
        raise InvalidInput([(("body", "code"), "the code is not valid")])
    factor.confirmed_at = clock.now()
    codes = await _new_recovery_codes(session, user.id)
    await audit.record(session, actor, "mfa.enrol", resource_type="user", resource_id=user.id)
    return codes


async def _new_recovery_codes(session: AsyncSession, user_id: uuid.UUID) -> list[str]:
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    # 10 base32 characters each: 50 random bits, written as two groups of five.
    raw = [
        base64.b32encode(secrets.token_bytes(10)).decode()[:10].lower() for _ in range(RECOVERY_CODE_COUNT)
    ]
    session.add_all(RecoveryCode(user_id=user_id, code_digest=_recovery_digest(user_id, c)) for c in raw)
    await session.flush()
    return [f"{c[:5]}-{c[5:]}" for c in raw]


async def check_second_factor(
    session: AsyncSession, user: User, code: str | None, *, enrolling: bool = False
) -> bool:
    """Whether sign-in may go on: no factor needed, or a valid TOTP or recovery code, each used once.

    `enrolling`: only an account without a confirmed factor may go on, with its password alone.
    """
    factor = await session.get(MfaFactor, user.id)
    if factor is None or factor.confirmed_at is None:
        return enrolling or not required_for(user)
    if enrolling:
        return False
    if not code:
        return False
    code = _normalised(code)
    if len(code) == 6 and code.isdigit():
        return await _use_totp(session, factor, code)
    return await _use_recovery_code(session, user.id, code)


async def _use_totp(session: AsyncSession, factor: MfaFactor, code: str) -> bool:
    """Accept a code of the current step (or its neighbours) newer than the last one accepted."""
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
    """Remove a user's factor and recovery codes (a lost phone); they enrol again at next sign-in."""
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    await session.execute(delete(MfaFactor).where(MfaFactor.user_id == user_id))
    await audit.record(session, actor, "mfa.reset", resource_type="user", resource_id=user_id)
