"""Data-subject rights (UU PDP 27/2022): erasure, restriction of processing, and the subject's copy."""

import csv
import io

import pytest

from tests.persons.helpers import NIK_WOMAN_KUPANG, make_person, make_site
from tests.persons.support import (
    PERSONS,
    assert_problem,
    audit_events,
    change_rows,
    partner_id,
    person_row,
    refer,
)

# Synthetic: a KK number and phone that belong to nobody.
KK_NUMBER = "5371020101189001"
PHONE = "+62 812 0000 9001"
PERSONAL = {
    "full_name": "Warga Uji Hapus",
    "alias": "Hapus",
    "nik": NIK_WOMAN_KUPANG,
    "kk_number": KK_NUMBER,
    "phone": PHONE,
    "domicile_address": "Jl. Uji No. 9, Kupang",
    "notes": "catatan rahasia",
}


async def _person_with_history(client, callers, site_id):
    """A person with every personal field set, then changed once (so the history holds values)."""
    person = await make_person(client, callers, site_id, **PERSONAL)
    changed = await client.patch(
        f"{PERSONS}/{person['id']}",
        json={
            "full_name": "Warga Uji Hapus Dua",
            "alias": "Hapus Dua",
            "phone": "+62 812 0000 9002",
            "domicile_address": "Jl. Uji No. 10, Kupang",
            "notes": "catatan rahasia dua",
            "kk_number": "5371020101189002",  # synthetic (serial 9xxx)
            "birth_date": "1995-04-13",
        },
        headers={**callers.officer.headers, "If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    moved = await client.post(
        f"{PERSONS}/{person['id']}/status-changes",
        json={"to_status": "verified", "reason": "KTP diperiksa"},
        headers=callers.officer.headers,
    )
    assert moved.status_code == 200
    return changed.json()


async def _erase(client, caller, person_id):
    return await client.post(
        f"{PERSONS}/{person_id}/erasure", json={"reason": "permintaan subjek data"}, headers=caller.headers
    )


async def test_erasure_is_for_admins_only(client, callers, session):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"], **PERSONAL)
    for caller in (callers.officer, callers.auditor, callers.partner_a, callers.viewer):
        assert_problem(await _erase(client, caller, person["id"]), 403)
    row = await person_row(session, person["id"])
    assert row.erased_at is None and row.nik_ciphertext is not None and row.full_name == "Warga Uji Hapus"


async def test_erasure_wipes_identity_keeps_the_skeleton(client, callers, session):
    site = await make_site(client, callers)
    person = await _person_with_history(client, callers, site["id"])
    await refer(client, callers, person["id"], callers.agency_a)
    own_id = await partner_id(client, callers.partner_a, "Warga Uji Hapus Dua")

    erased = await _erase(client, callers.admin, person["id"])
    assert erased.status_code == 200, erased.text
    body = erased.json()
    assert body["erased"] is True
    for field in (
        "full_name",
        "alias",
        "nik",
        "kk_number",
        "phone",
        "domicile_address",
        "notes",
        "birth_date",
    ):
        assert body[field] is None, field
    assert (body["registration_number"], body["status"]) == (person["registration_number"], "verified")

    row = await person_row(session, person["id"])
    assert row.nik_ciphertext is None
    assert row.nik_blind_index is None
    assert row.nik_last4 is None
    assert row.nik_region_code is None  # the NIK's first four digits are the NIK too
    for column in ("kk_ciphertext", "phone", "domicile_address", "notes", "full_name", "alias", "birth_date"):
        assert getattr(row, column) is None, column
    assert row.erased_at is not None
    assert (str(row.site_id), row.sex, row.origin_region_code) == (
        person["site_id"],
        "female",
        person["origin_region_code"],
    )

    changes = await change_rows(session, person["id"])
    personal = {"full_name", "alias", "nik", "kk_number", "phone", "domicile_address", "notes", "birth_date"}
    wiped = [c for c in changes if c.field in personal]
    assert {c.field for c in wiped} == personal - {"nik"}  # every field changed above
    assert all(c.old_value is None and c.new_value is None for c in wiped)
    status = next(c for c in changes if c.kind == "status")
    # The status stays countable; its free-text reason could name the person (issue 13, finding 2).
    assert (status.old_value, status.new_value, status.reason) == ("registered", "verified", "[erased]")
    assert changes[-1].kind == "erasure" and changes[-1].actor_id == callers.admin.user.id

    history = await client.get(f"{PERSONS}/{person['id']}/history", headers=callers.officer.headers)
    # The last four digits in every form a value could take (masked, in the phone, in a KK or NIK),
    # not bare: "9002" alone also turns up in the entries' random ids and timestamps.
    fragments = ("*9001", "*9002", "0000 9001", "0000 9002", "189001", "189002", "959001")
    for secret in ("Hapus", *fragments, "catatan", "Jl. Uji", "1995-04-1"):
        assert secret not in history.text
    # The partner's referral ended with the erasure.
    assert_problem(await client.get(f"{PERSONS}/{own_id}", headers=callers.partner_a.headers), 404)
    [event] = await audit_events(session, "person.erase")
    # The reason is free text that may name the person: erasure keeps none of it (issue 13, finding 10).
    assert event.reason is None and [str(i) for i in event.person_ids] == [person["id"]]
    assert changes[-1].reason == "[erased]"  # the request's own reason could name the person too


async def test_erased_person_still_counts_and_nik_is_free_again(client, callers):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"], **PERSONAL)
    before = (await client.get("/api/v1/stats/persons", headers=callers.officer.headers)).json()
    assert (await _erase(client, callers.admin, person["id"])).status_code == 200
    after = (await client.get("/api/v1/stats/persons", headers=callers.officer.headers)).json()
    assert after["total"]["count"] == before["total"]["count"] == 1
    assert after["by_status"] == before["by_status"]
    assert after["by_origin_regency"] == before["by_origin_regency"]

    again = await make_person(client, callers, site["id"], full_name="Warga Uji Baru", nik=NIK_WOMAN_KUPANG)
    assert again["id"] != person["id"] and again["nik"] == NIK_WOMAN_KUPANG
    found = await client.post(
        f"{PERSONS}/search", json={"nik": NIK_WOMAN_KUPANG}, headers=callers.officer.headers
    )
    assert [i["id"] for i in found.json()["items"]] == [again["id"]]


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("PATCH", "", {"alias": "Kembali"}),
        ("POST", "/status-changes", {"to_status": "verified"}),
        ("POST", "/referrals", {"agency_id": "{agency}"}),
        ("POST", "/erasure", {"reason": "lagi"}),
    ],
)
async def test_changes_to_an_erased_record_are_409(client, callers, session, method, suffix, body):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"], **PERSONAL)
    assert (await _erase(client, callers.admin, person["id"])).status_code == 200
    version = (await person_row(session, person["id"])).version
    body = {k: v.replace("{agency}", str(callers.agency_a.id)) for k, v in body.items()}
    response = await client.request(
        method,
        f"{PERSONS}/{person['id']}{suffix}",
        json=body,
        headers={**callers.admin.headers, "If-Match": f'"{version}"'},
    )
    assert_problem(response, 409)
    row = await person_row(session, person["id"])
    assert row.version == version and row.alias is None and row.status == "registered"


async def _restrict(client, callers, person_id, reason="keberatan subjek data"):
    response = await client.post(
        f"{PERSONS}/{person_id}/restriction", json={"reason": reason}, headers=callers.officer.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["restricted"] is True
    return response


def _purpose(caller, code="audit_review"):
    """The caller's headers naming a purpose code (X-Purpose)."""
    return {**caller.headers, "X-Purpose": code}


async def test_restricted_person_needs_a_purpose_code(client, callers, session):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"], full_name="Warga Uji Batas")
    await _restrict(client, callers, person["id"])
    url = f"{PERSONS}/{person['id']}"
    for caller in (callers.officer, callers.admin, callers.auditor):
        for suffix in ("", "/history", "/access-log"):
            denied = await client.get(url + suffix, headers=caller.headers)
            problem = assert_problem(denied, 403)
            assert "Batas" not in denied.text
            assert problem["type"].endswith("restricted-record")
    assert_problem(await client.get(url, headers=_purpose(callers.officer, "x")), 422)
    assert_problem(await client.get(url, params={"reason": "audit"}, headers=callers.officer.headers), 400)

    read = await client.get(url, headers=_purpose(callers.auditor))
    assert read.status_code == 200, read.text
    assert read.json()["restricted"] is True
    [event] = await audit_events(session, "person.read")
    assert event.reason == "audit_review"
    assert [str(i) for i in event.person_ids] == [person["id"]]
    [glass] = await audit_events(session, "person.break_glass")
    assert (glass.reason, [str(i) for i in glass.person_ids]) == ("audit_review", [person["id"]])
    history = await client.get(f"{url}/history", headers=_purpose(callers.officer, "legal_claim"))
    assert history.status_code == 200
    assert [e.reason for e in await audit_events(session, "person.history")] == ["legal_claim"]


async def test_restricted_person_is_left_out_of_lists_exports_and_statistics(client, callers):
    site = await make_site(client, callers)
    people = [await make_person(client, callers, site["id"], origin_region_code="53.01") for _ in range(6)]
    restricted = people[0]
    await _restrict(client, callers, restricted["id"])
    for caller in (callers.officer, callers.auditor):
        listing = await client.get(PERSONS, headers=caller.headers)
        assert restricted["id"] not in {i["id"] for i in listing.json()["items"]}
        assert len(listing.json()["items"]) == 5
    with_reason = await client.get(PERSONS, headers=_purpose(callers.officer))
    assert restricted["id"] in {i["id"] for i in with_reason.json()["items"]}

    export = await client.get(f"{PERSONS}/export.csv", headers=callers.officer.headers)
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert len(rows) == 5 and restricted["id"] not in {r["id"] for r in rows}
    assert restricted["full_name"] not in export.text

    for caller in (callers.viewer, callers.partner_a):
        stats = (await client.get("/api/v1/stats/persons", headers=caller.headers)).json()
        assert stats["total"]["count"] == 5
        assert {c["key"]: c["count"] for c in stats["by_origin_regency"]} == {"53.01": 5}
    officer = (await client.get("/api/v1/stats/persons", headers=callers.officer.headers)).json()
    assert officer["total"]["count"] == 6

    assert_problem(
        await client.delete(f"{PERSONS}/{restricted['id']}/restriction", headers=callers.officer.headers), 403
    )
    lifted = await client.delete(
        f"{PERSONS}/{restricted['id']}/restriction", headers=_purpose(callers.officer, "restriction_review")
    )
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["restricted"] is False
    assert (
        await client.get(f"{PERSONS}/{restricted['id']}", headers=callers.officer.headers)
    ).status_code == 200
    export = await client.get(f"{PERSONS}/export.csv", headers=callers.officer.headers)
    assert restricted["id"] in export.text
    viewer = (await client.get("/api/v1/stats/persons", headers=callers.viewer.headers)).json()
    assert viewer["total"]["count"] == 6


async def test_restriction_is_recorded_and_not_repeated(client, callers, session):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    url = f"{PERSONS}/{person['id']}/restriction"
    await _restrict(client, callers, person["id"], reason="keberatan")
    review = _purpose(callers.officer, "restriction_review")
    assert_problem(await client.post(url, json={"reason": "lagi"}, headers=review), 409)
    assert (await client.delete(url, headers=review)).status_code == 200
    assert_problem(await client.delete(url, headers=review), 409)
    assert_problem(await client.post(url, json={}, headers=callers.officer.headers), 422)
    for caller in (callers.auditor, callers.viewer, callers.partner_a):
        assert_problem(await client.post(url, json={"reason": "x y z"}, headers=caller.headers), 403)
    changes = [c for c in await change_rows(session, person["id"]) if c.kind == "restrict"]
    assert [(c.new_value, c.reason) for c in changes] == [("true", "keberatan"), ("false", None)]
    events = await audit_events(session)
    assert [e.action for e in events if e.action.endswith("restrict")] == [
        "person.restrict",
        "person.unrestrict",
    ]


async def test_data_export_is_the_subjects_copy(client, callers):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"], **PERSONAL)
    await client.get(f"{PERSONS}/{person['id']}", headers=callers.auditor.headers)
    response = await client.get(f"{PERSONS}/{person['id']}/data-export", headers=callers.officer.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert "attachment" in response.headers["content-disposition"]
    document = response.json()
    assert set(document) >= {"person", "history", "access_log"}
    assert document["person"]["id"] == person["id"]
    assert document["person"]["nik"] == NIK_WOMAN_KUPANG
    assert document["person"]["phone"] == PHONE
    assert [c["kind"] for c in document["history"]] == ["created"]
    actions = [e["action"] for e in document["access_log"]]
    assert actions[:2] == ["person.create", "person.read"]
    assert all(person["id"] in e["person_ids"] for e in document["access_log"])
    assert (
        await client.get(f"{PERSONS}/{person['id']}/data-export", headers=callers.admin.headers)
    ).status_code == 200


async def test_data_export_is_forbidden_to_partners_viewers_and_auditors(client, callers):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"], full_name="Warga Uji Salinan")
    await refer(client, callers, person["id"], callers.agency_a)
    own_id = await partner_id(client, callers.partner_a, "Warga Uji Salinan")
    for caller, ref in (
        (callers.partner_a, own_id),
        (callers.viewer, person["id"]),
        (callers.auditor, person["id"]),
    ):
        response = await client.get(f"{PERSONS}/{ref}/data-export", headers=caller.headers)
        assert_problem(response, 403)
        assert "Salinan" not in response.text
