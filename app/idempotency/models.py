"""POSTs sent with an Idempotency-Key, kept 24 hours: what they answered, never the body."""

import uuid
from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.orm import Base, utcnow


class IdempotencyKey(Base):
    """A claimed key: the request's digest, then the status and the resource the answer showed.

    No response body and no header values are kept: a replay reads the resource again through its
    own GET (app/idempotency/service.py), so nothing personal or secret is stored here.
    """

    __tablename__ = "idempotency_keys"

    # The caller's kind and id ("user:<uuid>"): keys are scoped to whoever sent them.
    owner: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_digest: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    # The path (and query) of the resource the first answer showed: what a replay reads back.
    location: Mapped[str | None] = mapped_column(String(2048))
    resource_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
