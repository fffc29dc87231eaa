"""The office's calendar: dates the API records by default are Kota Kupang's (WITA, UTC+8)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.db import utcnow

# A server runs in UTC; between 00:00 and 08:00 WITA its date is still yesterday's.
OFFICE_TIMEZONE = ZoneInfo("Asia/Makassar")


def office_today() -> date:
    """Today in Kota Kupang."""
    return utcnow().astimezone(OFFICE_TIMEZONE).date()


def now() -> datetime:
    """The current instant; tests move it by replacing `utcnow` here (sessions and codes read it)."""
    return utcnow()
