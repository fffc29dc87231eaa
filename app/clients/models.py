"""API clients: partner systems and scripts using the client-credentials grant."""

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, IdMixin, TimestampMixin, VersionedMixin


class ApiClient(IdMixin, VersionedMixin, TimestampMixin, Base):
    __tablename__ = "api_clients"

    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    # Revocation epoch: tokens of any type issued until then are dead (app/auth/revocation.py).
    tokens_valid_after: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The source networks (CIDRs, space-separated) the client signs in and calls from; none: any.
    # Plain text, not JSON: the driver's token check reads it as the session's does.
    allowed_networks: Mapped[str | None] = mapped_column(String(2000))
