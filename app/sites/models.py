"""Sites: a lokalisasi and its closure timeline."""

from datetime import date

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, IdMixin, TimestampMixin, VersionedMixin


class Site(IdMixin, VersionedMixin, TimestampMixin, Base):
    __tablename__ = "sites"

    name: Mapped[str] = mapped_column(String(200))
    # Short prefix of the site's registration numbers, e.g. "KD" for Karang Dempel (KD-0001).
    code: Mapped[str] = mapped_column(String(10), unique=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    address: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default="active", index=True)
    closure_announced_on: Mapped[date | None]
    closed_on: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(Text)
    # Last registration number handed out; incremented under a row lock (no duplicate numbers).
    registration_counter: Mapped[int] = mapped_column(default=0, server_default="0")
