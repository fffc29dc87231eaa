"""Examples of census rounds: the first count at the site."""

from app.apidocs.examples.story import body, ref

REQUESTS = [
    body(
        "POST",
        "/sites/{site_id}/censuses",
        "The first count, on the day of the rakor",
        {"name": "Pendataan awal", "held_on": "2018-10-30", "meeting_id": ref("meeting")},
    ),
    body(
        "POST",
        "/sites/{site_id}/censuses/{census_id}/observations",
        "Who was found",
        {"observations": [{"person_id": ref("person"), "presence": "present"}]},
    ),
]
