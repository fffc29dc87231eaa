"""The append-only audit trail: one row per request that reads or changes personal data."""

import uuid
from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.orm import Base, IdMixin, UuidList, utcnow


class AuditEvent(IdMixin, Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_resource", "resource_type", "resource_id"),
        Index("ix_audit_events_actor", "actor_id", "occurred_at"),
        # "Which events touched this person": a GIN index on the array (PostgreSQL only).
        Index("ix_audit_events_person_ids", "person_ids", postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
    )

    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_kind: Mapped[str] = mapped_column(String(10))  # user | client | anonymous
    actor_id: Mapped[uuid.UUID | None]
    actor_role: Mapped[str | None] = mapped_column(String(20))
    agency_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(String(64), index=True)
    resource_type: Mapped[str | None] = mapped_column(String(40))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    person_ids: Mapped[list[uuid.UUID]] = mapped_column(UuidList, default=list)
    # The server's id of the request; the caller's own X-Request-ID is only its correlation id.
    request_id: Mapped[str | None] = mapped_column(String(128))
    correlation_id: Mapped[str | None] = mapped_column(String(64))
    # The client's address (forwarded by a trusted proxy, or else the peer's) and the peer's.
    client_ip: Mapped[str | None] = mapped_column(String(45))
    peer_ip: Mapped[str | None] = mapped_column(String(45))
    outcome: Mapped[str] = mapped_column(String(10))  # success | denied
    status_code: Mapped[int | None]
    # The stated purpose, where one is required (reading a restricted person's record).
    reason: Mapped[str | None] = mapped_column(String(500))
    # HMAC-SHA256 of the columns above, computed at insert (app.audit.chain).
    row_hash: Mapped[str | None] = mapped_column(String(64))


class AuditDenialCount(Base):
    """Unauthenticated denials (401 without a valid identity): one row per time bucket and address."""

    __tablename__ = "audit_denial_counts"

    bucket_start: Mapped[datetime] = mapped_column(primary_key=True)
    client_ip: Mapped[str] = mapped_column(String(45), primary_key=True)
    count: Mapped[int]
    last_at: Mapped[datetime]


class AuditSeal(Base):
    """A batch of consecutive audit events (in id order), sealed with the previous seal's hash."""

    __tablename__ = "audit_seals"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # 1, 2, 3... no gaps
    first_event_id: Mapped[uuid.UUID]
    last_event_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    event_count: Mapped[int]
    events_digest: Mapped[str] = mapped_column(String(64))
    previous_hash: Mapped[str] = mapped_column(String(64))
    seal_hash: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime]
