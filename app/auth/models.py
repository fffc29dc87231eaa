"""Access tokens (stored as digests) and sign-in throttles (shared by all workers through the database)."""

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, IdMixin, utcnow


class AccessToken(IdMixin, Base):
    __tablename__ = "access_tokens"
    __table_args__ = (CheckConstraint("(user_id IS NULL) <> (api_client_id IS NULL)", name="one_owner"),)

    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    api_client_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_clients.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]
    # Set for tokens of a browser session (app/auth/sessions.py): revoking the session revokes them.
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )


class LoginThrottle(Base):
    """One throttled key (an account, an address, or both) and its backoff; see app/auth/throttle.py."""

    __tablename__ = "login_throttles"

    # A keyed digest of the scope and the username, client id or address: no readable name kept.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    delay_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    # Seconds since the epoch, not timestamps: the backoff is arithmetic in one portable UPDATE.
    last_at: Mapped[float] = mapped_column(Float, index=True)
    blocked_until: Mapped[float] = mapped_column(Float, default=0.0)
    # The random mark of the last attempt counted: an attempt whose mark is not returned was refused.
    attempt: Mapped[str] = mapped_column(String(16))
