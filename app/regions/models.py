"""The Kemendagri reference list of provinces and regencies/cities."""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class Region(Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)  # "53" or "53.71"
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(10), index=True)  # province | regency
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
