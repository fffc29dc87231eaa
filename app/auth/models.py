"""Access tokens (stored as digests) and failed sign-ins (for throttling across workers)."""

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
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


class LoginFailure(IdMixin, Base):
    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_subject_at", "subject_digest", "occurred_at"),)

    # A digest of the lower-cased username or client id: the throttle needs no readable name.
    subject_digest: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
