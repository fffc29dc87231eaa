"""Examples of coordination with the region of origin, and of the journey home."""

from app.apidocs.examples.story import body, ref

REQUESTS = [
    body(
        "POST",
        "/coordinations",
        "Kabupaten Kupang's case",
        {"site_id": ref("site"), "region_code": "53.01", "counterpart_agency_id": ref("dinsos_kab")},
    ),
    body("POST", "/coordinations/generate", "A case per region of origin", {"site_id": ref("site")}),
    body(
        "PATCH",
        "/coordinations/{coordination_id}",
        "A note",
        {"notes": "Kontak: bidang rehabilitasi sosial."},
    ),
    body(
        "POST",
        "/coordinations/{coordination_id}/correspondence",
        "The outgoing letter (the case becomes contacted)",
        {
            "direction": "outgoing",
            "channel": "letter",
            "reference_number": "460/CONTOH/DINSOS/XI/2018",
            "dated_on": "2018-11-08",
            "subject": "Koordinasi pemulangan warga asal Kabupaten Kupang",
        },
    ),
    body(
        "PATCH",
        "/coordinations/{coordination_id}/correspondence/{correspondence_id}",
        "Its summary",
        {"summary": "Mohon penjemputan di Kupang."},
    ),
    body(
        "POST",
        "/repatriations",
        "A batch home by land",
        {
            "coordination_id": ref("coordination"),
            "leg": "direct",
            "planned_departure_on": "2018-11-20",
            "transport_mode": "land",
            "funding_source": "apbd_kota",
            "escort_agency_id": ref("dinsos"),
            "members": [ref("person")],
        },
    ),
    body(
        "POST",
        "/repatriations/{repatriation_id}/cancel",
        "Cancelled",
        {"reason": "Jadwal kendaraan berubah."},
    ),
    body("PATCH", "/repatriations/{repatriation_id}", "The carrier", {"carrier": "Bus Contoh Kupang"}),
    body(
        "POST",
        "/repatriations/{repatriation_id}/members",
        "One more traveller",
        {"person_id": ref("imported_person")},
    ),
    body(
        "POST",
        "/repatriations/{repatriation_id}/depart",
        "Left Kupang",
        {"departed_at": "2018-11-20T07:00:00+08:00"},
    ),
    body(
        "POST",
        "/repatriations/{repatriation_id}/arrive",
        "Arrived",
        {"arrived_at": "2018-11-20T10:00:00+08:00"},
    ),
    body(
        "POST",
        "/repatriations/{repatriation_id}/handover",
        "Handed over with the berita acara",
        {
            "received_by_agency_id": ref("dinsos_kab"),
            "received_by_name": "Petugas Contoh Kabupaten",
            "handed_over_at": "2018-11-20T11:00:00+08:00",
            "document_number": "BA/CONTOH/2018/001",
        },
    ),
]
