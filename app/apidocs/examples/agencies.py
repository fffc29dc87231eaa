"""Examples of agencies and the site: Dinas Sosial, the NGO, Karang Dempel."""

from app.apidocs.examples.story import body

REQUESTS = [
    body(
        "POST",
        "/agencies",
        "The city's social office",
        {
            "name": "Dinas Sosial Kota Kupang (Contoh)",
            "acronym": "Dinsos",
            "kind": "government",
            "region_code": "53.71",
        },
    ),
    body("PATCH", "/agencies/{agency_id}", "Add the office address", {"address": "Jl. Contoh No. 1, Kupang"}),
    body(
        "POST",
        "/sites",
        "Karang Dempel, closure announced on 26 Oct 2018",
        {
            "name": "Karang Dempel",
            "code": "KD",
            "region_code": "53.71",
            "status": "closing",
            "closure_announced_on": "2018-10-26",
        },
    ),
    body(
        "PATCH",
        "/sites/{site_id}",
        "A note on the closure",
        {"notes": "Penutupan diumumkan Pemkot, 26 Okt 2018."},
    ),
]
