"""Privacy by design: every read audited, NIK encrypted at rest, never in logs or the audit trail."""

import logging
import uuid

import pytest
from sqlalchemy import select

from app.persons.models import Person
from app.security import crypto
from tests.persons.helpers import NIK_MAN_ALOR, NIK_WOMAN_KUPANG, make_person, make_site
from tests.persons.support import (
    PERSONS,
    assert_problem,
    audit_events,
    partner_id,
    person_row,
    post_csv,
    refer,
)


def _ids(event) -> list[str]:
    return [str(i) for i in event.person_ids]


async def test_reading_one_person_is_audited(client, callers, session):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    response = await client.get(f"{PERSONS}/{person['id']}", headers=callers.auditor.headers)
    assert response.status_code == 200
    [event] = await audit_events(session, "person.read")
    assert _ids(event) == [person["id"]]
    assert event.actor_id == callers.auditor.user.id
    assert event.actor_role == "auditor"
    assert event.resource_type == "person" and event.resource_id == person["id"]
    assert event.outcome == "success"
    assert event.request_id == response.headers["x-request-id"]


async def test_a_partners_read_is_audited_under_the_real_id(client, callers, session):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"], full_name="Warga Uji Mitra")
    await refer(client, callers, person["id"], callers.agency_a)
    own_id = await partner_id(client, callers.partner_a, "Warga Uji Mitra")
    assert (await client.get(f"{PERSONS}/{own_id}", headers=callers.partner_a.headers)).status_code == 200
    [event] = await audit_events(session, "person.read")
    assert _ids(event) == [person["id"]]
    assert event.agency_id == callers.agency_a.id
    assert event.actor_role == "partner"


async def test_each_list_page_is_audited_with_the_ids_on_it(client, callers, session):
    site = await make_site(client, callers)
    people = [await make_person(client, callers, site["id"]) for _ in range(3)]
    first = await client.get(PERSONS, params={"limit": 2}, headers=callers.officer.headers)
    second = await client.get(
        PERSONS, params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=callers.officer.headers
    )
    empty = await client.get(PERSONS, params={"q": "tidak ada"}, headers=callers.officer.headers)
    assert empty.json()["items"] == []
    pages = [[i["id"] for i in r.json()["items"]] for r in (first, second)]
    assert sorted(pages[0] + pages[1]) == sorted(p["id"] for p in people)
    events = await audit_events(session, "person.list")
    assert [_ids(e) for e in events] == [*pages, []]
    assert all(e.actor_id == callers.officer.user.id for e in events)


async def test_export_is_audited_with_every_exported_id(client, callers, session):
    site = await make_site(client, callers)
    people = [await make_person(client, callers, site["id"]) for _ in range(2)]
    export = await client.get(f"{PERSONS}/export.csv", headers=callers.admin.headers)
    assert export.status_code == 200
    [event] = await audit_events(session, "person.export")
    assert sorted(_ids(event)) == sorted(p["id"] for p in people)
    assert event.actor_id == callers.admin.user.id


async def test_import_is_audited_with_every_created_id(client, callers, session):
    site = await make_site(client, callers)
    content = f"full_name,legal_basis,nik\nWarga Uji Impor,public_task,{NIK_WOMAN_KUPANG}\n"
    dry = await post_csv(client, callers, site["id"], content.encode(), dry_run="true")
    assert dry.status_code == 200
    assert await audit_events(session, "person.import") == []  # nothing written, nobody touched
    done = await post_csv(client, callers, site["id"], content.encode())
    assert done.status_code == 200, done.text
    [event] = await audit_events(session, "person.import")
    ids = [str(i) for i in (await session.scalars(select(Person.id))).all()]
    await session.rollback()
    assert _ids(event) == ids and len(ids) == 1
    assert event.resource_type == "site" and event.resource_id == site["id"]


async def test_history_and_access_log_reads_are_audited(client, callers, session):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    history = await client.get(f"{PERSONS}/{person['id']}/history", headers=callers.auditor.headers)
    assert history.status_code == 200
    [event] = await audit_events(session, "person.history")
    assert _ids(event) == [person["id"]] and event.actor_role == "auditor"
    log = await client.get(f"{PERSONS}/{person['id']}/access-log", headers=callers.auditor.headers)
    assert log.status_code == 200
    [event] = await audit_events(session, "person.access_log")
    assert _ids(event) == [person["id"]]


async def test_access_log_shows_who_read_or_changed_the_record(client, callers):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"], full_name="Warga Uji Jejak")
    other = await make_person(client, callers, site["id"])
    url = f"{PERSONS}/{person['id']}"
    await refer(client, callers, person["id"], callers.agency_a)
    own_id = await partner_id(client, callers.partner_a, "Warga Uji Jejak")  # person.list by partner
    await client.get(f"{PERSONS}/{own_id}", headers=callers.partner_a.headers)
    await client.get(url, headers=callers.officer.headers)
    await client.get(PERSONS, headers=callers.auditor.headers)
    await client.get(f"{url}/history", headers=callers.officer.headers)
    await client.get(f"{PERSONS}/export.csv", headers=callers.officer.headers)
    await client.get(f"{PERSONS}/{other['id']}", headers=callers.officer.headers)  # not this person

    for caller in (callers.officer, callers.admin, callers.auditor):
        log = await client.get(f"{url}/access-log", params={"limit": 200}, headers=caller.headers)
        assert log.status_code == 200, log.text
        entries = [(e["action"], e["actor_role"]) for e in log.json()["items"]]
        assert entries[:8] == [
            ("person.create", "officer"),
            ("person.refer", "officer"),
            ("person.list", "partner"),
            ("person.read", "partner"),
            ("person.read", "officer"),
            ("person.list", "auditor"),
            ("person.history", "officer"),
            ("person.export", "officer"),
        ]
        assert all(person["id"] in e["person_ids"] for e in log.json()["items"])
        assert not any(e["resource_id"] == other["id"] for e in log.json()["items"])
    for caller in (callers.partner_a, callers.viewer):
        assert_problem(await client.get(f"{url}/access-log", headers=caller.headers), 403)


async def test_nik_is_encrypted_at_rest_with_a_blind_index(client, callers, session):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"], nik=NIK_WOMAN_KUPANG, kk_number=NIK_MAN_ALOR)
    row = await person_row(session, person["id"])
    assert NIK_WOMAN_KUPANG.encode() not in row.nik_ciphertext
    assert NIK_MAN_ALOR.encode() not in row.kk_ciphertext
    assert crypto.key_version(row.nik_ciphertext) == 1
    assert crypto.decrypt(row.nik_ciphertext, row.id, "nik") == NIK_WOMAN_KUPANG
    assert row.nik_blind_index == crypto.blind_index(NIK_WOMAN_KUPANG)
    assert NIK_WOMAN_KUPANG not in row.nik_blind_index
    assert (row.nik_last4, row.nik_region_code) == ("9001", "53.71")
    # The row id is bound in: the ciphertext copied to another row or field does not decrypt.
    with pytest.raises(ValueError, match="does not belong"):
        crypto.decrypt(row.nik_ciphertext, uuid.uuid4(), "nik")
    with pytest.raises(ValueError, match="does not belong"):
        crypto.decrypt(row.nik_ciphertext, row.id, "kk_number")
    # A random nonce: the same value encrypts differently each time.
    assert crypto.encrypt(NIK_WOMAN_KUPANG, row.id, "nik") != row.nik_ciphertext


async def test_nik_lookup_uses_the_blind_index(client, callers):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"], nik=NIK_WOMAN_KUPANG)
    await make_person(client, callers, site["id"], nik=NIK_MAN_ALOR, sex="male", birth_date=None)
    found = await client.post(
        f"{PERSONS}/search", json={"nik": NIK_WOMAN_KUPANG}, headers=callers.officer.headers
    )
    assert [i["id"] for i in found.json()["items"]] == [person["id"]]


async def test_nik_never_in_logs_or_audit_trail(client, callers, session, caplog):
    caplog.set_level(logging.DEBUG)
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"], nik=NIK_WOMAN_KUPANG)
    await client.post(f"{PERSONS}/search", json={"nik": NIK_WOMAN_KUPANG}, headers=callers.officer.headers)
    duplicate = await make_duplicate(client, callers, site["id"])
    assert NIK_WOMAN_KUPANG not in duplicate.text
    await client.patch(
        f"{PERSONS}/{person['id']}",
        json={"nik": NIK_MAN_ALOR, "sex": "male", "birth_date": None},
        headers={**callers.officer.headers, "If-Match": '"1"'},
    )
    bad = await post_csv(
        client, callers, site["id"], f"full_name,legal_basis,nik\nA,public_task,{NIK_MAN_ALOR}\n".encode()
    )
    assert bad.status_code == 422 and NIK_MAN_ALOR not in bad.text
    app_logs = "\n".join(r.getMessage() + str(r.__dict__) for r in caplog.records if r.name.startswith("app"))
    assert app_logs, "the app logged nothing: the check would prove nothing"
    for nik in (NIK_WOMAN_KUPANG, NIK_MAN_ALOR):
        assert nik not in app_logs
    for event in await audit_events(session):
        assert all(
            nik not in str(value)
            for value in vars(event).values()
            for nik in (NIK_WOMAN_KUPANG, NIK_MAN_ALOR)
        )


async def make_duplicate(client, callers, site_id):
    body = {
        "site_id": site_id,
        "full_name": "Warga Uji Ganda",
        "legal_basis": "public_task",
        "nik": NIK_WOMAN_KUPANG,
    }
    response = await client.post(PERSONS, json=body, headers=callers.officer.headers)
    assert_problem(response, 409)
    return response
