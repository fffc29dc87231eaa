"""Tables of staff sign-in: sessions and their refresh tokens, authorization codes, second factors."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, IdMixin


class AuthSession(IdMixin, Base):
    """One sign-in of a user through a frontend: its refresh tokens are one family."""

    __tablename__ = "auth_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_refreshed_at: Mapped[datetime]
    idle_expires_at: Mapped[datetime]
    absolute_expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(40))


class RefreshToken(IdMixin, Base):
    """A refresh token (stored as a digest); used once, then replaced by the next of its session."""

    __tablename__ = "refresh_tokens"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class AuthorizationCode(IdMixin, Base):
    """A short-lived, single-use code bound to its client, redirect URI and PKCE challenge."""

    __tablename__ = "authorization_codes"

    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    code_challenge: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    # The session the code was exchanged for: a second exchange of the same code revokes it.
    session_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("auth_sessions.id", ondelete="SET NULL"))


class MfaFactor(Base):
    """A user's TOTP secret, encrypted with the data key; usable once confirmed with a first code."""

    __tablename__ = "mfa_factors"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    secret_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    # The time step of the last accepted code: a code is never accepted twice.
    last_used_step: Mapped[int | None] = mapped_column(Integer)


class RecoveryCode(IdMixin, Base):
    """One recovery code of a user, as a keyed digest; each works once."""

    __tablename__ = "mfa_recovery_codes"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_digest: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]


class MfaEnrolmentCode(Base):
    """A user's one-time code to start enrolling a factor, as a keyed digest; issued by an admin."""

    __tablename__ = "mfa_enrolment_codes"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    code_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
