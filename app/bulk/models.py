"""Bulk access: bulk requests awaiting a second approval, and each account's hourly read volume."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.orm import Base, IdMixin, utcnow


class BulkRequest(IdMixin, Base):
    """A bulk access that touches NIK: asked for by one staff member, approved by another, used once.

    `kind` "export": an export of persons with plain NIK (its `filters`), used by downloading it;
    "import": an import of one file (`file_sha256`) into one site, used by importing it.
    """

    __tablename__ = "bulk_requests"

    kind: Mapped[str] = mapped_column(String(10), default="export")
    requester_kind: Mapped[str] = mapped_column(String(10))
    requester_id: Mapped[uuid.UUID] = mapped_column(index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    # The list filters of GET /persons/export.csv, as sent (no NIK: a filter never holds one).
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    include_nik: Mapped[bool] = mapped_column(Boolean, default=True)
    # An import's site, and the SHA-256 (hex) of the exact bytes of the file approved.
    site_id: Mapped[uuid.UUID | None]
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    rows: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    approver_id: Mapped[uuid.UUID | None]
    approved_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]  # when it was used: downloaded, or imported
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class ReadVolume(Base):
    """How many persons one account read in one clock hour (hours since the epoch)."""

    __tablename__ = "read_volumes"

    actor_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
