"""Agencies: city offices (OPD), NGOs (LSM), police units and others; partners belong to one."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, IdMixin, TimestampMixin, VersionedMixin


class Agency(IdMixin, VersionedMixin, TimestampMixin, Base):
    __tablename__ = "agencies"
    __table_args__ = (UniqueConstraint("region_code", "name_key", name="uq_agencies_region_name"),)

    name: Mapped[str] = mapped_column(String(200))
    # Case- and space-folded name, so "Dinas Sosial" and "dinas  sosial" collide in one region.
    name_key: Mapped[str] = mapped_column(String(200))
    acronym: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    address: Mapped[str | None] = mapped_column(String(500))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    # Revocation epoch: tokens of any type issued until then are dead (app/auth/revocation.py).
    tokens_valid_after: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
