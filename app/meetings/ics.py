"""Meetings as an iCalendar (RFC 5545) feed, each event in its meeting's own timezone."""

from collections.abc import Mapping, Sequence
from datetime import timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from app.meetings.models import AgendaItem, Meeting

PRODID = "-//Reintegrasi//Meetings//ID"
MEDIA_TYPE = "text/calendar; charset=utf-8"
UID_DOMAIN = "meetings.reintegrasi"
EVENT_STATUS = {
    "planned": "CONFIRMED",
    "held": "CONFIRMED",
    "postponed": "TENTATIVE",
    "cancelled": "CANCELLED",
}
# VTIMEZONE rules are written for this margin around the feed's events.
ZONE_MARGIN = timedelta(days=366)


def _description(meeting: Meeting, agenda: Sequence[AgendaItem]) -> str:
    # Only public agenda items: a subscribed feed travels beyond the meeting's participants.
    parts = [meeting.description] if meeting.description else []
    if agenda:
        parts.append("Agenda:\n" + "\n".join(f"{item.number}. {item.title}" for item in agenda))
    return "\n\n".join(parts)


def _event(meeting: Meeting, agenda: Sequence[AgendaItem]) -> Event:
    zone = ZoneInfo(meeting.timezone)
    event = Event()
    event.add("uid", f"{meeting.id}@{UID_DOMAIN}")
    event.add("dtstamp", meeting.updated_at)
    event.add("created", meeting.created_at)
    event.add("last-modified", meeting.updated_at)
    # Calendars replace an event whose SEQUENCE grew, e.g. after a postponement.
    event.add("sequence", meeting.version - 1)
    event.add("dtstart", meeting.starts_at.astimezone(zone))
    if meeting.ends_at is not None:
        event.add("dtend", meeting.ends_at.astimezone(zone))
    event.add("summary", meeting.title)
    if meeting.location:
        event.add("location", meeting.location)
    description = _description(meeting, agenda)
    if description:
        event.add("description", description)
    event.add("status", EVENT_STATUS[meeting.status])
    event.add("categories", [meeting.kind])
    event.add("x-reintegrasi-status", meeting.status)
    return event


def render(meetings: Sequence[Meeting], agenda: Mapping[UUID, Sequence[AgendaItem]], *, name: str) -> bytes:
    """The calendar of `meetings`, with a VTIMEZONE for every zone an event uses."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for meeting in meetings:
        calendar.add_component(_event(meeting, agenda.get(meeting.id, ())))
    if meetings:
        first = min(m.starts_at for m in meetings) - ZONE_MARGIN
        last = max(m.ends_at or m.starts_at for m in meetings) + ZONE_MARGIN
        calendar.add_missing_timezones(first_date=first.date(), last_date=last.date())
    return calendar.to_ical()
