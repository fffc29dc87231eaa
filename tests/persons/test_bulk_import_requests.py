"""Controls on bulk access: with `bulk_nik_import_approval`, an import with NIK needs a second approval.

The file's SHA-256 (a dry run reports it) is asked for (POST /import-requests, X-Purpose), another
staff member approves, and the requester imports exactly that file into that site, once.
"""

import asyncio
import hashlib
import uuid

import pytest
from sqlalchemy import update

from app.auth import service as auth_service
from app.bulk.models import BulkRequest
from app.db import utcnow
from app.security.policy import Role
from tests.access import api_client
from tests.factories import Caller, make_token
from tests.persons.helpers import make_site
from tests.persons.support import PERSONS, audit_events, person_count

IMPORTS = "/api/v1/import-requests"
PURPOSE = {"X-Purpose": "legal_obligation"}
CSV = {"content-type": "text/csv"}
# Synthetic NIKs of district 99 of Kota Kupang.
WITH_NIK = (
    b"full_name,legal_basis,nik\n"
    b"Warga Uji Impor Satu,public_task,5371995204959901\n"
    b"Warga Uji Impor Dua,public_task,5371995204959902\n"
)
CHANGED = WITH_NIK.replace(b"Dua", b"Tiga")
WITHOUT_NIK = b"full_name,legal_basis,nik\nWarga Uji Tanpa NIK,public_task,\n"


@pytest.fixture
async def approval_on(app):
    app.state.settings = app.state.settings.model_copy(update={"bulk_nik_import_approval": True})


@pytest.fixture
async def site(client, callers, approval_on):
    return await make_site(client, callers)


@pytest.fixture
async def officer_b(session) -> Caller:
    caller = Caller(*await make_token(session, Role.officer))
    await session.commit()
    return caller


async def _import(client, caller, site_id: str, raw: bytes, **params: str):
    return await client.post(
        f"{PERSONS}/import",
        params={"site_id": site_id, **params},
        content=raw,
        headers={**caller.headers, **CSV, **PURPOSE},
    )


async def _ask(client, caller, site_id: str, raw: bytes):
    body = {"site_id": site_id, "file_sha256": hashlib.sha256(raw).hexdigest(), "rows": 2}
    return await client.post(IMPORTS, json=body, headers={**caller.headers, **PURPOSE})


async def _approve(client, caller, request: dict):
    return await client.post(f"{IMPORTS}/{request['id']}/approval", headers=caller.headers)


async def test_an_import_with_nik_without_a_request_is_refused_and_writes_nothing(
    client, session, callers, site
):
    refused = await _import(client, callers.officer, site["id"], WITH_NIK)
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"].endswith("approval-required")
    assert "/api/v1/import-requests" in problem["detail"] and "import_request=" in problem["detail"]
    assert await person_count(session) == 0
    # Still 428 without a purpose: the purpose comes first.
    no_purpose = await client.post(
        f"{PERSONS}/import",
        params={"site_id": site["id"]},
        content=WITH_NIK,
        headers={**callers.officer.headers, **CSV},
    )
    assert no_purpose.status_code == 428


async def test_a_dry_run_needs_no_approval_and_reports_the_files_sha256(client, session, callers, site):
    dry = await _import(client, callers.officer, site["id"], WITH_NIK, dry_run="true")
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["dry_run"] is True and report["rows"] == 2
    assert report["file_sha256"] == hashlib.sha256(WITH_NIK).hexdigest()
    assert await person_count(session) == 0


async def test_a_file_without_nik_needs_no_approval(client, session, callers, site):
    imported = await _import(client, callers.officer, site["id"], WITHOUT_NIK)
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 1
    assert imported.json()["file_sha256"] == hashlib.sha256(WITHOUT_NIK).hexdigest()


async def test_an_approved_import_runs_once_for_that_file_and_is_audited_with_both_actors(
    client, session, callers, site, officer_b
):
    officer = callers.officer
    asked = await _ask(client, officer, site["id"], WITH_NIK)
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert request["status"] == "pending" and request["purpose"] == "legal_obligation"
    assert request["site_id"] == site["id"] and request["rows"] == 2 and request["imported_at"] is None
    [created] = await audit_events(session, "import_request.create")
    assert created.actor_id == officer.user.id and "purpose=legal_obligation" in created.reason
    approval = f"{IMPORTS}/{request['id']}/approval"

    pending = await _import(client, officer, site["id"], WITH_NIK, import_request=request["id"])
    assert pending.status_code == 409 and pending.json()["type"].endswith("import-request-unavailable")
    own = await client.post(approval, headers=officer.headers)
    assert own.status_code == 403  # never one's own approval
    approved = await client.post(approval, headers=officer_b.headers)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["approver_id"] == str(officer_b.user.id)
    [approval_event] = await audit_events(session, "import_request.approve")
    assert approval_event.actor_id == officer_b.user.id and str(officer.user.id) in approval_event.reason
    assert (await client.post(approval, headers=callers.admin.headers)).status_code == 409  # approved once

    changed = await _import(client, officer, site["id"], CHANGED, import_request=request["id"])
    assert changed.status_code == 403, changed.text
    assert changed.json()["type"].endswith("import-request-mismatch")
    assert "SHA-256 differs" in changed.json()["detail"]
    other_site = await make_site(client, callers, code="KE")
    elsewhere = await _import(client, officer, other_site["id"], WITH_NIK, import_request=request["id"])
    assert elsewhere.status_code == 403 and "another site" in elsewhere.json()["detail"]
    not_theirs = await _import(client, officer_b, site["id"], WITH_NIK, import_request=request["id"])
    assert not_theirs.status_code == 404  # the requester's request only
    assert await person_count(session) == 0

    imported = await _import(client, officer, site["id"], WITH_NIK, import_request=request["id"])
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 2
    [event] = await audit_events(session, "person.import")
    assert event.actor_id == officer.user.id and len(event.person_ids) == 2
    assert "purpose=legal_obligation" in event.reason
    assert f"approved_by={officer_b.user.id}" in event.reason
    assert f"import_request={request['id']}" in event.reason

    again = await _import(client, officer, site["id"], WITH_NIK, import_request=request["id"])
    assert again.status_code == 409, again.text
    assert "used already" in again.json()["detail"]
    assert await person_count(session) == 2
    state = await client.get(f"{IMPORTS}/{request['id']}", headers=officer.headers)
    assert state.json()["status"] == "imported" and state.json()["imported_at"] is not None


async def test_two_imports_at_once_with_one_request_run_once(client, session, callers, site, officer_b):
    """The claim is one UPDATE: of two concurrent imports, one runs and the other is refused."""
    request = (await _ask(client, callers.officer, site["id"], WITH_NIK)).json()
    assert (
        await client.post(f"{IMPORTS}/{request['id']}/approval", headers=officer_b.headers)
    ).status_code == 200
    both = await asyncio.gather(
        *(
            _import(client, callers.officer, site["id"], WITH_NIK, import_request=request["id"])
            for _ in range(2)
        )
    )
    assert sorted(r.status_code for r in both) == [200, 409], [r.text for r in both]
    assert await person_count(session) == 2
    assert len(await audit_events(session, "person.import")) == 1


async def test_an_expired_request_is_refused(client, session, callers, site, officer_b):
    request = (await _ask(client, callers.officer, site["id"], WITH_NIK)).json()
    assert (
        await client.post(f"{IMPORTS}/{request['id']}/approval", headers=officer_b.headers)
    ).status_code == 200
    await session.execute(
        update(BulkRequest).where(BulkRequest.id == uuid.UUID(request["id"])).values(expires_at=utcnow())
    )
    await session.commit()
    expired = await _import(client, callers.officer, site["id"], WITH_NIK, import_request=request["id"])
    assert expired.status_code == 409 and "expired" in expired.json()["detail"]
    assert await person_count(session) == 0


async def test_a_failed_import_gives_its_request_back(client, session, callers, site, officer_b):
    """The claim is in the import's transaction: a file the import rejects leaves the request approved."""
    bad = b"full_name,legal_basis,nik\nWarga Uji Salah,no_such_basis,5371995204959903\n"
    request = (await _ask(client, callers.officer, site["id"], bad)).json()
    assert (
        await client.post(f"{IMPORTS}/{request['id']}/approval", headers=officer_b.headers)
    ).status_code == 200
    rejected = await _import(client, callers.officer, site["id"], bad, import_request=request["id"])
    assert rejected.status_code == 422, rejected.text
    state = await client.get(f"{IMPORTS}/{request['id']}", headers=callers.officer.headers)
    assert state.json()["status"] == "approved" and state.json()["imported_at"] is None
    assert await person_count(session) == 0


async def test_partners_and_viewers_neither_ask_nor_approve(client, callers, site):
    for caller in (callers.partner_a, callers.viewer, callers.auditor):
        assert (await _ask(client, caller, site["id"], WITH_NIK)).status_code == 403
    request = (await _ask(client, callers.officer, site["id"], WITH_NIK)).json()
    for caller in (callers.partner_a, callers.viewer, callers.auditor):
        refused = await client.post(f"{IMPORTS}/{request['id']}/approval", headers=caller.headers)
        assert refused.status_code == 403


async def test_an_import_request_needs_a_purpose_and_a_real_digest(client, callers, site):
    body = {"site_id": site["id"], "file_sha256": hashlib.sha256(WITH_NIK).hexdigest()}
    assert (await client.post(IMPORTS, json=body, headers=callers.officer.headers)).status_code == 428
    short = {**body, "file_sha256": "abc"}
    bad = await client.post(IMPORTS, json=short, headers={**callers.officer.headers, **PURPOSE})
    assert bad.status_code == 422
    nowhere = {**body, "site_id": str(uuid.uuid4())}
    assert (
        await client.post(IMPORTS, json=nowhere, headers={**callers.officer.headers, **PURPOSE})
    ).status_code == 422  # an unknown site, as the import says


async def test_export_and_import_requests_are_not_each_other(client, callers, site, officer_b):
    """One table holds both kinds: an import request is no export request (and back)."""
    imported = (await _ask(client, callers.officer, site["id"], WITH_NIK)).json()
    exports = "/api/v1/export-requests"
    assert (
        await client.get(f"{exports}/{imported['id']}", headers=callers.officer.headers)
    ).status_code == 404
    assert (
        await client.post(f"{exports}/{imported['id']}/approval", headers=officer_b.headers)
    ).status_code == 404
    export = await client.post(exports, json={}, headers={**callers.officer.headers, **PURPOSE})
    assert export.status_code == 201
    export_id = export.json()["id"]
    assert (await client.get(f"{IMPORTS}/{export_id}", headers=callers.officer.headers)).status_code == 404
    assert (
        await client.post(f"{IMPORTS}/{export_id}/approval", headers=officer_b.headers)
    ).status_code == 404
    imported_again = await _import(client, callers.officer, site["id"], WITH_NIK, import_request=export_id)
    assert imported_again.status_code == 404


async def test_without_the_setting_a_purpose_suffices(app, client, session, callers):
    site = await make_site(client, callers)  # the setting is off by default
    assert app.state.settings.bulk_nik_import_approval is False
    imported = await _import(client, callers.officer, site["id"], WITH_NIK)
    assert imported.status_code == 200, imported.text
    [event] = await audit_events(session, "person.import")
    assert event.reason == "purpose=legal_obligation"


async def test_an_api_client_is_not_a_second_staff_member(client, session, callers, site):
    # An officer-role client's secret often sits in its requester's own systems: it cannot approve.
    api, _ = await api_client(session, Role.officer)
    issued = await auth_service.issue(session, api_client_id=api.id)
    await session.commit()
    machine = {"Authorization": f"Bearer {issued.access_token}"}
    asked = (await _ask(client, callers.officer, site["id"], WITH_NIK)).json()
    refused = await client.post(f"{IMPORTS}/{asked['id']}/approval", headers=machine)
    assert refused.status_code == 403, refused.text
    assert (
        await _import(client, callers.officer, site["id"], WITH_NIK, import_request=asked["id"])
    ).status_code == 409
    assert await person_count(session) == 0


async def test_a_file_with_bare_carriage_returns_is_checked_not_a_500(client, session, callers, site):
    bare_cr = WITH_NIK.replace(b"\n", b"\r")
    refused = await _import(client, callers.officer, site["id"], bare_cr)
    assert refused.status_code == 403, refused.text  # it holds NIK: the approval is asked for
    assert (await _import(client, callers.officer, site["id"], bare_cr, dry_run="true")).status_code in (
        200,
        422,
    )
    assert await person_count(session) == 0


async def test_a_dry_run_does_not_tell_which_niks_are_registered(client, session, callers, site, officer_b):
    # Registered through an approved import...
    asked = (await _ask(client, callers.officer, site["id"], WITH_NIK)).json()
    assert (await _approve(client, officer_b, asked)).status_code == 200
    imported = await _import(client, callers.officer, site["id"], WITH_NIK, import_request=asked["id"])
    assert imported.status_code == 200, imported.text
    # ...a dry run of the same NIKs, elsewhere, without approval: no answer on the registry.
    other = await make_site(client, callers, code="KL")
    dry = await _import(client, callers.officer, other["id"], CHANGED, dry_run="true")
    assert dry.status_code == 200, dry.text
    # A file repeating a NIK is still refused: the file is checked against itself.
    repeated = CHANGED + b"Warga Uji Impor Empat,public_task,5371995204959901\n"
    within = await _import(client, callers.officer, other["id"], repeated, dry_run="true")
    assert within.status_code == 422
    assert "already registered" not in within.text
