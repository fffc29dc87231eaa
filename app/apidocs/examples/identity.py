"""Examples of identity: users, sign-in and password, API clients."""

from app.apidocs.examples.story import ACCESS_TOKEN, FORM, NEW_PASSWORD, PASSWORD, body, ref

REQUESTS = [
    body(
        "POST",
        "/users",
        "An officer of Dinas Sosial",
        {
            "username": "petugas.contoh",
            "full_name": "Petugas Contoh Dinsos",
            "password": PASSWORD,
            "role": "officer",
        },
    ),
    body("PATCH", "/users/{user_id}", "Correct the name", {"full_name": "Petugas Contoh Dinas Sosial"}),
    body(
        "POST",
        "/auth/token",
        "A person signs in (password grant)",
        {"grant_type": "password", "username": "petugas.contoh", "password": PASSWORD},
        FORM,
    ),
    body(
        "POST",
        "/me/password",
        "Change one's password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    ),
    body("POST", "/auth/revoke", "Sign out: revoke a token (RFC 7009)", {"token": ACCESS_TOKEN}, FORM),
    body(
        "POST",
        "/api-clients",
        "The NGO's case-management system",
        {"name": "Sistem Kasus LSM Contoh", "role": "partner", "agency_id": ref("ngo")},
    ),
    body("PATCH", "/api-clients/{client_pk}", "Rename it", {"name": "Sistem Kasus LSM Contoh v2"}),
]
