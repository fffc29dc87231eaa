"""Controls on bulk access: purpose and second approval for NIK exports, masking, read-volume flags."""

import csv
import io

import pytest

from app.bulk import volume
from app.config import get_settings
from tests.declared import undeclared
from tests.persons.helpers import NIK_MAN_ALOR, NIK_WOMAN_KUPANG, make_person, make_site
from tests.persons.support import PERSONS, audit_events
from tests.webhooks import deliveries, subscribe

EXPORTS = "/api/v1/export-requests"
PURPOSE = {"X-Purpose": "legal_obligation"}


async def _read(client, caller, person: dict) -> int:
    return (await client.get(f"{PERSONS}/{person['id']}", headers=caller.headers)).status_code


def _niks(text: str) -> set[str]:
    return {row["nik"] for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}


@pytest.fixture
async def two_persons(client, callers):
    site = await make_site(client, callers)
    for nik in (NIK_WOMAN_KUPANG, NIK_MAN_ALOR):
        await make_person(client, callers, site["id"], nik=nik)
    return site


async def test_an_export_masks_nik_unless_asked(client, callers, two_persons):
    export = await client.get(f"{PERSONS}/export.csv", headers=callers.officer.headers)
    assert export.status_code == 200
    assert _niks(export.text) == {"*" * 12 + NIK_WOMAN_KUPANG[-4:], "*" * 12 + NIK_MAN_ALOR[-4:]}
    assert NIK_WOMAN_KUPANG not in export.text


async def test_an_export_with_nik_without_purpose_or_approval_is_refused(client, callers, two_persons):
    url = f"{PERSONS}/export.csv?include_nik=true"
    no_purpose = await client.get(url, headers=callers.officer.headers)
    assert no_purpose.status_code == 428
    assert no_purpose.headers["content-type"] == "application/problem+json"
    no_approval = await client.get(url, headers={**callers.officer.headers, **PURPOSE})
    assert no_approval.status_code == 403
    assert no_approval.json()["type"].endswith("approval-required")
    assert NIK_WOMAN_KUPANG not in no_purpose.text + no_approval.text
    asked = await client.post(EXPORTS, json={}, headers=callers.officer.headers)
    assert asked.status_code == 428


async def test_an_approved_export_runs_once_and_is_audited_with_both_actors(
    client, session, callers, two_persons
):
    officer, admin = callers.officer, callers.admin
    asked = await client.post(
        EXPORTS, json={"site_id": two_persons["id"]}, headers={**officer.headers, **PURPOSE}
    )
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert request["status"] == "pending" and request["purpose"] == "legal_obligation"
    download = f"{EXPORTS}/{request['id']}/download"

    assert (await client.get(download, headers=officer.headers)).status_code == 409  # not approved yet
    own = await client.post(f"{EXPORTS}/{request['id']}/approval", headers=officer.headers)
    assert own.status_code == 403  # never one's own approval
    partner = await client.post(f"{EXPORTS}/{request['id']}/approval", headers=callers.partner_a.headers)
    assert partner.status_code == 403
    approved = await client.post(f"{EXPORTS}/{request['id']}/approval", headers=admin.headers)
    assert approved.status_code == 200, approved.text
    assert approved.json()["approver_id"] == str(admin.user.id)

    assert (await client.get(download, headers=admin.headers)).status_code == 404  # the requester's only
    export = await client.get(download, headers=officer.headers)
    assert export.status_code == 200, export.text
    assert _niks(export.text) == {NIK_WOMAN_KUPANG, NIK_MAN_ALOR}
    assert (await client.get(download, headers=officer.headers)).status_code == 409  # once

    [event] = await audit_events(session, "person.export")
    assert event.actor_id == officer.user.id and len(event.person_ids) == 2
    assert f"approved_by={admin.user.id}" in event.reason and "purpose=legal_obligation" in event.reason
    [approval] = await audit_events(session, "export_request.approve")
    assert approval.actor_id == admin.user.id and str(officer.user.id) in approval.reason


async def test_without_the_approval_setting_a_purpose_suffices(app, client, callers, two_persons):
    app.state.settings = app.state.settings.model_copy(update={"bulk_nik_approval": False})
    url = f"{PERSONS}/export.csv?include_nik=true"
    assert (await client.get(url, headers=callers.officer.headers)).status_code == 428
    export = await client.get(url, headers={**callers.officer.headers, **PURPOSE})
    assert export.status_code == 200
    assert _niks(export.text) == {NIK_WOMAN_KUPANG, NIK_MAN_ALOR}


async def test_an_import_with_nik_states_its_purpose(client, callers):
    site = await make_site(client, callers)
    url = f"{PERSONS}/import?site_id={site['id']}"
    headers = {**callers.officer.headers, "content-type": "text/csv"}
    with_nik = f"full_name,legal_basis,nik\nWarga Uji Impor,public_task,{NIK_WOMAN_KUPANG}\n".encode()
    without = b"full_name,legal_basis,nik\nWarga Uji Tanpa,public_task,\n"
    assert (await client.post(url, content=with_nik, headers=headers)).status_code == 428
    assert (await client.post(url, content=without, headers=headers)).status_code == 200
    assert (await client.post(url, content=with_nik, headers={**headers, **PURPOSE})).status_code == 200


async def test_the_read_volume_flag_fires_once_with_event_metric_and_webhook(
    app, client, session, callers, monkeypatch
):
    token = "m" * 40
    app.state.settings = app.state.settings.model_copy(
        update={"webhook_allow_private_targets": True, "metrics_token": token}
    )
    hook = await subscribe(client, callers.admin, "http://127.0.0.1:9/hook", [volume.FLAG_EVENT])
    monkeypatch.setattr(get_settings(), "read_volume_hourly_limit", 3)
    site = await make_site(client, callers)
    people = [await make_person(client, callers, site["id"]) for _ in range(4)]
    flags_before = volume.FLAGGED["total"]

    for person in people[:3]:
        assert (
            await client.get(f"{PERSONS}/{person['id']}", headers=callers.officer.headers)
        ).status_code == 200
    assert await audit_events(session, volume.FLAG_EVENT) == []
    # The fourth person read takes the officer over the bound: flagged, and still served.
    assert (await client.get(PERSONS, headers=callers.officer.headers)).status_code == 200
    assert (
        await client.get(f"{PERSONS}/{people[0]['id']}", headers=callers.officer.headers)
    ).status_code == 200

    [flag] = await audit_events(session, volume.FLAG_EVENT)
    assert flag.actor_id == callers.officer.user.id and "over the bound of 3" in flag.reason
    assert volume.FLAGGED["total"] == flags_before + 1
    [delivery] = await deliveries(app, hook["id"])
    assert delivery.event_type == volume.FLAG_EVENT
    assert delivery.payload["actor_id"] == str(callers.officer.user.id) and delivery.payload["limit"] == 3
    metrics = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert f"reintegrasi_read_volume_flags_total {float(volume.FLAGGED['total'])}" in metrics.text


async def test_by_setting_an_account_over_the_bound_is_paused(client, session, callers, monkeypatch):
    monkeypatch.setattr(get_settings(), "read_volume_hourly_limit", 2)
    monkeypatch.setattr(get_settings(), "read_volume_pause", True)
    site = await make_site(client, callers)
    people = [await make_person(client, callers, site["id"]) for _ in range(3)]
    for person in people[:2]:
        assert (
            await client.get(f"{PERSONS}/{person['id']}", headers=callers.officer.headers)
        ).status_code == 200
    over = await client.get(f"{PERSONS}/{people[2]['id']}", headers=callers.officer.headers)
    assert over.status_code == 429 and int(over.headers["retry-after"]) >= 1
    assert over.json()["type"].endswith("reads-paused")
    again = await client.get(f"{PERSONS}/{people[0]['id']}", headers=callers.officer.headers)
    assert again.status_code == 429
    [flag] = await audit_events(session, volume.FLAG_EVENT)
    assert "reads paused" in flag.reason
    # Others read on.
    assert (
        await client.get(f"{PERSONS}/{people[0]['id']}", headers=callers.admin.headers)
    ).status_code == 200


async def test_every_counted_read_once_paused_answers_a_declared_429(client, callers, monkeypatch):
    """Each route whose read counts declares the 429 it then answers (the document's PAUSED_RESPONSES)."""
    monkeypatch.setattr(get_settings(), "read_volume_hourly_limit", 0)
    monkeypatch.setattr(get_settings(), "read_volume_pause", True)
    officer, admin = callers.officer, callers.admin
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    asked = await client.post(EXPORTS, json={"site_id": site["id"]}, headers={**officer.headers, **PURPOSE})
    approved = await client.post(f"{EXPORTS}/{asked.json()['id']}/approval", headers=admin.headers)
    assert approved.status_code == 200, approved.text
    one = f"{PERSONS}/{person['id']}"
    reads = [
        ("GET", PERSONS, {}),
        ("POST", f"{PERSONS}/search", {"json": {}}),
        ("GET", f"{PERSONS}/export.csv", {}),
        ("GET", one, {}),
        ("GET", f"{one}/history", {}),
        ("GET", f"{one}/data-export", {}),
        ("GET", f"{EXPORTS}/{asked.json()['id']}/download", {}),
    ]
    for method, url, body in reads:
        response = await client.request(method, url, headers=officer.headers, **body)
        assert response.status_code == 429, (method, url, response.status_code, response.text[:200])
        assert response.json()["type"].endswith("reads-paused") and response.headers["retry-after"]
        assert undeclared(method, url, 429) is None, (method, url)


async def test_reads_are_counted_in_batches_and_the_crossing_read_is_written_at_once(
    app, client, session, callers, monkeypatch
):
    """One upsert per read would have an account's reads queue on one row: batches of a tenth."""
    from sqlalchemy import func, select

    from app.bulk.models import ReadVolume

    monkeypatch.setattr(get_settings(), "read_volume_hourly_limit", 30)
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])

    officer_id = callers.officer.user.id

    async def written() -> int:
        stmt = select(func.coalesce(func.sum(ReadVolume.count), 0)).where(ReadVolume.actor_id == officer_id)
        total = await session.scalar(stmt)
        await session.rollback()  # no read transaction left open: SQLite has one writer
        return total

    for _ in range(2):
        assert await _read(client, callers.officer, person) == 200
    assert await written() == 0  # in memory: a batch is 30 // 10 = 3 persons
    assert await _read(client, callers.officer, person) == 200
    assert await written() == 3
    for _ in range(27):
        assert await _read(client, callers.officer, person) == 200
    assert await written() == 30 and await audit_events(session, volume.FLAG_EVENT) == []
    # The read that takes the account over the bound is written with it, and flagged.
    assert await _read(client, callers.officer, person) == 200
    assert await written() == 31
    assert len(await audit_events(session, volume.FLAG_EVENT)) == 1


async def test_the_history_of_a_person_counts_as_a_read(client, session, callers, monkeypatch):
    """The history shows every changed value: reading it is reading the person."""
    monkeypatch.setattr(get_settings(), "read_volume_hourly_limit", 2)
    monkeypatch.setattr(get_settings(), "read_volume_pause", True)
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    history = f"{PERSONS}/{person['id']}/history"
    for _ in range(2):
        assert (await client.get(history, headers=callers.officer.headers)).status_code == 200
    assert (await client.get(history, headers=callers.officer.headers)).status_code == 429
