"""Partners see only the persons referred to their agency, masked, under ids of their own."""

import uuid

import pytest

from app.security import crypto
from tests.persons.helpers import NIK_WOMAN_KUPANG, make_person, make_site
from tests.persons.support import PERSONS, assert_problem, partner_id, refer

HIDDEN_KEYS = {"phone", "kk_number", "notes", "domicile_address"}
# Synthetic: a KK number and phone that belong to nobody.
KK_NUMBER = "5371020101189001"
PHONE = "+62 812 0000 9001"

# Every route under /persons/{id}: (method, path suffix, body).
SUB_ROUTES = [
    ("GET", "", None),
    ("GET", "/history", None),
    ("GET", "/access-log", None),
    ("GET", "/data-export", None),
    ("PATCH", "", {"alias": "X"}),
    ("POST", "/status-changes", {"to_status": "verified"}),
    ("POST", "/referrals", {"agency_id": str(uuid.uuid4())}),
    ("DELETE", "/referrals/" + str(uuid.uuid4()), None),
    ("POST", "/restriction", {"reason": "permintaan"}),
    ("DELETE", "/restriction", None),
    ("POST", "/erasure", {"reason": "permintaan"}),
]


async def _full_person(client, callers, site_id):
    return await make_person(
        client,
        callers,
        site_id,
        full_name="Warga Uji Rujukan",
        nik=NIK_WOMAN_KUPANG,
        kk_number=KK_NUMBER,
        phone=PHONE,
        domicile_address="Jl. Uji No. 1, Kupang",
        notes="catatan petugas",
    )


async def _call(client, caller, method, url, body):
    headers = {**caller.headers, "If-Match": '"1"'}
    return await client.request(method, url, json=body, headers=headers)


async def test_unreferred_person_is_not_found_for_a_partner(client, callers):
    site = await make_site(client, callers)
    person = await _full_person(client, callers, site["id"])
    response = await client.get(f"{PERSONS}/{person['id']}", headers=callers.partner_a.headers)
    assert_problem(response, 404)
    listing = await client.get(PERSONS, headers=callers.partner_a.headers)
    assert listing.json()["items"] == []
    by_name = await client.get(PERSONS, params={"q": "Rujukan"}, headers=callers.partner_a.headers)
    assert by_name.json()["items"] == []


# Ids without the random uuids, so that every xdist worker collects the same tests.
SUB_ROUTE_IDS = [f"{method}-{suffix.split('/')[1] if suffix else ''}" for method, suffix, _ in SUB_ROUTES]


@pytest.mark.parametrize(("method", "suffix", "body"), SUB_ROUTES, ids=SUB_ROUTE_IDS)
async def test_partner_cannot_tell_an_unreferred_person_from_none(client, callers, method, suffix, body):
    """Every sub-route answers a partner the same for an unreferred person and a random id."""
    site = await make_site(client, callers)
    person = await _full_person(client, callers, site["id"])
    real = await _call(client, callers.partner_a, method, f"{PERSONS}/{person['id']}{suffix}", body)
    absent = await _call(client, callers.partner_a, method, f"{PERSONS}/{uuid.uuid4()}{suffix}", body)
    assert real.status_code in (403, 404), real.text
    assert real.status_code == absent.status_code
    assert real.json()["type"] == absent.json()["type"]
    assert "Rujukan" not in real.text and NIK_WOMAN_KUPANG[-4:] not in real.text
    if method == "GET" and suffix == "":
        assert real.status_code == 404


async def test_referred_person_is_visible_masked(client, callers):
    site = await make_site(client, callers)
    person = await _full_person(client, callers, site["id"])
    await refer(client, callers, person["id"], callers.agency_a)
    listing = await client.get(PERSONS, headers=callers.partner_a.headers)
    [item] = listing.json()["items"]
    one = await client.get(f"{PERSONS}/{item['id']}", headers=callers.partner_a.headers)
    assert one.status_code == 200, one.text
    for view in (item, one.json()):
        assert view["nik"] == "************9001"
        assert not HIDDEN_KEYS & set(view)
        assert view["full_name"] == "Warga Uji Rujukan"
        assert view["referral"]["agency_id"] == str(callers.agency_a.id)
    for secret in (NIK_WOMAN_KUPANG, KK_NUMBER, PHONE, "Jl. Uji", "catatan petugas", person["id"]):
        assert secret not in listing.text
        assert secret not in one.text


async def test_pseudonymous_ids_are_stable_and_differ_between_agencies(client, callers):
    site = await make_site(client, callers)
    person = await _full_person(client, callers, site["id"])
    await refer(client, callers, person["id"], callers.agency_a)
    await refer(client, callers, person["id"], callers.agency_b)
    id_a = await partner_id(client, callers.partner_a, "Warga Uji Rujukan")
    id_b = await partner_id(client, callers.partner_b, "Warga Uji Rujukan")
    assert len({id_a, id_b, person["id"]}) == 3
    assert id_a == str(crypto.pseudonym(uuid.UUID(person["id"]), callers.agency_a.id))
    # Stable: the same id on every read.
    assert await partner_id(client, callers.partner_a, "Warga Uji Rujukan") == id_a
    assert (await client.get(f"{PERSONS}/{id_a}", headers=callers.partner_a.headers)).json()["id"] == id_a

    # Each id works only for its own agency; nobody's partner may use the real id.
    assert (await client.get(f"{PERSONS}/{id_b}", headers=callers.partner_b.headers)).status_code == 200
    assert_problem(await client.get(f"{PERSONS}/{id_a}", headers=callers.partner_b.headers), 404)
    assert_problem(await client.get(f"{PERSONS}/{id_b}", headers=callers.partner_a.headers), 404)
    assert_problem(await client.get(f"{PERSONS}/{person['id']}", headers=callers.partner_a.headers), 404)
    # Staff use only real ids: a pseudonym is not a person id.
    assert_problem(await client.get(f"{PERSONS}/{id_a}", headers=callers.officer.headers), 404)


async def test_ending_the_referral_hides_the_person_again(client, callers):
    site = await make_site(client, callers)
    person = await _full_person(client, callers, site["id"])
    await refer(client, callers, person["id"], callers.agency_a)
    await refer(client, callers, person["id"], callers.agency_b)
    id_a = await partner_id(client, callers.partner_a, "Warga Uji Rujukan")

    ended = await client.delete(
        f"{PERSONS}/{person['id']}/referrals/{callers.agency_a.id}", headers=callers.officer.headers
    )
    assert ended.status_code == 204, ended.text
    assert_problem(await client.get(f"{PERSONS}/{id_a}", headers=callers.partner_a.headers), 404)
    assert (await client.get(PERSONS, headers=callers.partner_a.headers)).json()["items"] == []
    # The other agency's referral is untouched.
    assert await partner_id(client, callers.partner_b, "Warga Uji Rujukan")
    again = await client.delete(
        f"{PERSONS}/{person['id']}/referrals/{callers.agency_a.id}", headers=callers.officer.headers
    )
    assert_problem(again, 404)

    # Referred again: the same pseudonym as before (stable per person and agency).
    await refer(client, callers, person["id"], callers.agency_a)
    assert await partner_id(client, callers.partner_a, "Warga Uji Rujukan") == id_a


async def test_partner_filter_on_another_agency_reveals_nothing(client, callers):
    """A partner may not learn which of its persons are also referred to another agency."""
    site = await make_site(client, callers)
    both = await _full_person(client, callers, site["id"])
    only_a = await make_person(client, callers, site["id"], full_name="Warga Uji Hanya A")
    await refer(client, callers, both["id"], callers.agency_a)
    await refer(client, callers, both["id"], callers.agency_b)
    await refer(client, callers, only_a["id"], callers.agency_a)
    own = await client.get(
        PERSONS, params={"referred_agency_id": str(callers.agency_a.id)}, headers=callers.partner_a.headers
    )
    assert len(own.json()["items"]) == 2
    other = await client.get(
        PERSONS, params={"referred_agency_id": str(callers.agency_b.id)}, headers=callers.partner_a.headers
    )
    assert other.status_code == 200, other.text
    assert other.json()["items"] == []
    staff = await client.get(
        PERSONS, params={"referred_agency_id": str(callers.agency_b.id)}, headers=callers.officer.headers
    )
    assert [i["id"] for i in staff.json()["items"]] == [both["id"]]


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("POST", "", None),
        ("PATCH", "/{id}", {"alias": "Diubah"}),
        ("POST", "/{id}/status-changes", {"to_status": "verified"}),
        ("POST", "/{id}/referrals", {"agency_id": "{agency}"}),
        ("DELETE", "/{id}/referrals/{agency}", None),
    ],
)
async def test_partners_cannot_write(client, callers, session, method, suffix, body):
    site = await make_site(client, callers)
    person = await _full_person(client, callers, site["id"])
    await refer(client, callers, person["id"], callers.agency_a)
    own_id = await partner_id(client, callers.partner_a, "Warga Uji Rujukan")
    agency = str(callers.agency_a.id)
    if body is None and method == "POST":
        body = {"site_id": site["id"], "full_name": "Warga Uji Mitra", "legal_basis": "public_task"}
    elif body is not None:
        body = {k: v.replace("{agency}", agency) for k, v in body.items()}
    for ref in (own_id, person["id"]):
        url = PERSONS + suffix.replace("{id}", ref).replace("{agency}", agency)
        response = await _call(client, callers.partner_a, method, url, body)
        assert_problem(response, 403)
    officer_view = await client.get(f"{PERSONS}/{person['id']}", headers=callers.officer.headers)
    assert officer_view.json()["version"] == person["version"]
    assert officer_view.json()["alias"] == person["alias"]
    assert officer_view.json()["status"] == "registered"
    assert [r["agency_id"] for r in officer_view.json()["referrals"]] == [agency]
    listing = await client.get(PERSONS, headers=callers.officer.headers)
    assert len(listing.json()["items"]) == 1


async def test_auditor_sees_nik_masked_and_no_notes_officer_sees_all(client, callers):
    site = await make_site(client, callers)
    person = await _full_person(client, callers, site["id"])
    url = f"{PERSONS}/{person['id']}"
    officer = (await client.get(url, headers=callers.officer.headers)).json()
    assert officer["nik"] == NIK_WOMAN_KUPANG
    assert officer["kk_number"] == KK_NUMBER
    assert officer["notes"] == "catatan petugas"
    admin = (await client.get(url, headers=callers.admin.headers)).json()
    assert admin["nik"] == NIK_WOMAN_KUPANG

    auditor = await client.get(url, headers=callers.auditor.headers)
    assert auditor.status_code == 200
    assert auditor.json()["nik"] == "************9001"
    assert auditor.json()["kk_number"] == "************9001"
    assert auditor.json()["notes"] is None
    assert NIK_WOMAN_KUPANG not in auditor.text and KK_NUMBER not in auditor.text
    assert "catatan petugas" not in auditor.text
    listing = await client.get(PERSONS, headers=callers.auditor.headers)
    assert NIK_WOMAN_KUPANG not in listing.text and "catatan petugas" not in listing.text


async def test_auditor_history_shows_no_notes_and_no_full_nik(client, callers):
    site = await make_site(client, callers)
    person = await _full_person(client, callers, site["id"])
    changed = await client.patch(
        f"{PERSONS}/{person['id']}",
        json={"notes": "catatan kedua", "nik": "5371025204959002"},  # synthetic (serial 9xxx)
        headers={**callers.officer.headers, "If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    for caller in (callers.officer, callers.auditor):
        history = await client.get(f"{PERSONS}/{person['id']}/history", headers=caller.headers)
        assert history.status_code == 200
        assert NIK_WOMAN_KUPANG not in history.text and "5371025204959002" not in history.text
        nik_change = next(c for c in history.json() if c["field"] == "nik")
        assert (nik_change["old_value"], nik_change["new_value"]) == ("************9001", "************9002")
    auditor = await client.get(f"{PERSONS}/{person['id']}/history", headers=callers.auditor.headers)
    assert "catatan" not in auditor.text


@pytest.mark.parametrize("role", ["viewer", "partner_a"])
async def test_roles_without_history_rights(client, callers, role):
    site = await make_site(client, callers)
    person = await _full_person(client, callers, site["id"])
    await refer(client, callers, person["id"], callers.agency_a)
    caller = getattr(callers, role)
    ref = await partner_id(client, caller, "Warga Uji Rujukan") if role == "partner_a" else person["id"]
    for suffix in ("/history", "/access-log", "/data-export"):
        assert_problem(await client.get(f"{PERSONS}/{ref}{suffix}", headers=caller.headers), 403)
    if role == "viewer":
        assert_problem(await client.get(f"{PERSONS}/{ref}", headers=caller.headers), 403)
        assert_problem(await client.get(PERSONS, headers=caller.headers), 403)


async def test_partner_cannot_confirm_a_guessed_nik(client, callers):
    response = await client.post(
        "/api/v1/persons/search", json={"nik": "5371025204959001"}, headers=callers.partner_a.headers
    )
    assert response.status_code == 403
    assert "5371025204959001" not in response.text
