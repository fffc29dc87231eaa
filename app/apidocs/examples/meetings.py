"""Examples of the rakor of 30 Oct 2018: the meeting, participants, agenda, action items, a calendar feed."""

from typing import Any

from pydantic import BaseModel

from app.apidocs.examples.story import API, AT, body, ref
from app.calendars.schemas import CalendarFeedCreated
from app.meetings.schemas import MeetingRead

REQUESTS = [
    body(
        "POST",
        "/meetings",
        "The rakor of 30 Oct 2018 at Ruang Garuda",
        {
            "kind": "coordination",
            "title": "Rapat koordinasi penutupan lokalisasi Karang Dempel",
            "starts_at": "2018-10-30T09:00:00+08:00",
            "ends_at": "2018-10-30T12:00:00+08:00",
            "timezone": "Asia/Makassar",
            "location": "Ruang Garuda, Balai Kota Kupang",
            "organizer_agency_id": ref("dinsos"),
            "site_id": ref("site"),
        },
    ),
    body(
        "PATCH",
        "/meetings/{meeting_id}",
        "Held, with minutes",
        {"status": "held", "minutes": "Penutupan disepakati; dana PEM hanya untuk warga Kota Kupang."},
    ),
    body(
        "POST",
        "/meetings/{meeting_id}/participants",
        "The NGO is invited",
        {"agency_id": ref("ngo"), "response": "confirmed"},
    ),
    body(
        "PATCH",
        "/meetings/{meeting_id}/participants/{participant_id}",
        "It attended",
        {"attended": True, "representative_title": "Koordinator lapangan"},
    ),
    body(
        "POST",
        "/meetings/{meeting_id}/agenda-items",
        "The PEM fund on the agenda",
        {"title": "Dana PEM bagi warga Kota Kupang"},
    ),
    body(
        "PATCH",
        "/meetings/{meeting_id}/agenda-items/{item_id}",
        "Its outcome",
        {"outcome": "Dana PEM hanya untuk warga kota; identitas diperiksa."},
    ),
    body(
        "POST",
        "/meetings/{meeting_id}/action-items",
        "The NGO accompanies the persons until they go home",
        {
            "title": "Pendampingan warga menjelang pemulangan",
            "assignee_agency_id": ref("ngo"),
            "due_on": "2018-11-30",
            "agenda_item_id": ref("agenda_item"),
        },
    ),
    body("PATCH", "/meetings/{meeting_id}/action-items/{item_id}", "Under way", {"status": "in_progress"}),
    body("POST", "/calendar-feeds", "Subscribe a phone's calendar", {"name": "Rapat Dinsos di ponsel"}),
]


# (method, path, status) -> (summary, model, value)
RESPONSES: dict[tuple[str, str, str], tuple[str, type[BaseModel], dict[str, Any]]] = {
    ("POST", f"{API}/meetings", "201"): (
        "The rakor, in its own timezone (WITA)",
        MeetingRead,
        {
            "id": ref("meeting"),
            "kind": "coordination",
            "title": "Rapat koordinasi penutupan lokalisasi Karang Dempel",
            "description": None,
            "site_id": ref("site"),
            "starts_at": "2018-10-30T09:00:00+08:00",
            "ends_at": "2018-10-30T12:00:00+08:00",
            "timezone": "Asia/Makassar",
            "location": "Ruang Garuda, Balai Kota Kupang",
            "organizer_agency_id": ref("dinsos"),
            "status": "planned",
            "minutes": None,
            "version": 1,
            "created_at": "2018-10-29T01:00:00Z",
            "updated_at": "2018-10-29T01:00:00Z",
        },
    ),
    ("POST", f"{API}/calendar-feeds", "201"): (
        "The feed URL, shown this once",
        CalendarFeedCreated,
        {
            "id": "00000000-0000-4000-8000-000000000098",
            "user_id": ref("user"),
            "agency_id": ref("ngo"),
            "name": "Rapat Dinsos di ponsel",
            "created_at": AT,
            "revoked_at": None,
            "url": "https://reintegrasi.example/api/v1/calendar-feeds/3q2-example-secret-token/meetings.ics",
        },
    ),
}
