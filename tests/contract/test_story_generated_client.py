"""The seed story, driven through the client openapi-python-client generates, and nothing else.

An integrator's script: it signs in, creates the agencies and the site, holds the rakor of 30 Oct
2018 at Ruang Garuda, imports the 145 persons of the first count (the demo's synthetic persons,
test-serial NIKs), takes a census, works Kabupaten Kupang's case to a batch handed over, finds
the PEM fund's 3 city residents, and lets the NGO's system read what it may. Only the generated
`asyncio_detailed` functions and models are called; the only arrangement outside the API is the
first admin account, as `REINTEGRASI_BOOTSTRAP_ADMIN_PASSWORD` would make it.
"""

import csv
import importlib
import io
import re
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

from app.demo import scenario
from app.security.policy import Role
from tests.access import PASSWORD, password_user
from tests.contract.conftest import PACKAGE

BASE = "http://test"
PURPOSE = {"X-Purpose": "legal_obligation"}  # an import with NIK names its purpose (app/bulk)
IMPORT_COLUMNS = [
    "full_name", "alias", "sex", "birth_date", "nik", "origin_region_code", "domicile_region_code",
    "identity_document", "identity_verified", "legal_basis", "consent_at",
]  # fmt: skip


def _op(name: str) -> Any:
    """A generated operation module, e.g. `agencies.create_agency`."""
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    return "" if value is None else str(value)


def _csv(persons: list[scenario.PersonSpec]) -> bytes:
    """The first count as an import file: the demo's persons (PersonCreate's fields), one row each."""
    out = io.StringIO()
    writer = csv.DictWriter(out, IMPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for person in persons:
        body = person.person_body(site_id=None)
        writer.writerow({name: _cell(body.get(name)) for name in IMPORT_COLUMNS})
    return out.getvalue().encode()


async def _ok(call: Any, status: int, model: type) -> Any:
    """The parsed body of a generated call's answer, of that status and that generated model."""
    response = await call
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert isinstance(response.parsed, model), type(response.parsed)
    return response


async def test_the_seed_story_through_the_generated_client_only(client_package: ModuleType, app, session):
    models = importlib.import_module(f"{PACKAGE}.models")
    types = importlib.import_module(f"{PACKAGE}.types")
    transport = {"transport": httpx.ASGITransport(app=app)}
    admin_user = await password_user(session, Role.admin)

    # Sign-in: the password grant of a script (the admin); every call after it carries the token.
    anonymous = client_package.Client(base_url=BASE, httpx_args=transport)
    async with anonymous:
        refused = await _op("auth.issue_token").asyncio_detailed(
            client=anonymous,
            body=models.TokenRequest(grant_type="password", username=admin_user.username, password="salah"),
        )
        assert refused.status_code == 401 and isinstance(refused.parsed, models.Problem), refused.content
        token = await _ok(
            _op("auth.issue_token").asyncio_detailed(
                client=anonymous,
                body=models.TokenRequest(
                    grant_type="password", username=admin_user.username, password=PASSWORD
                ),
            ),
            200,
            models.TokenResponse,
        )
    api = client_package.AuthenticatedClient(
        base_url=BASE, token=token.parsed.access_token, httpx_args=transport
    )
    async with api:
        ids = await _agencies_and_site(api, models)
        await _rakor(api, models, ids)
        persons = await _import(client_package, transport, api, models, types, ids)
        await _census(api, models, ids, persons)
        await _case_and_batch(api, models, ids, persons)
        await _pem(api, models, persons)
        await _partner_view(client_package, api, models, transport, ids, persons)


async def _agencies_and_site(api: Any, models: ModuleType) -> dict[str, uuid.UUID]:
    """The article's agencies (Dinas Sosial, Satpol PP, ..., the NGO, the police) and Karang Dempel."""
    ids: dict[str, uuid.UUID] = {}
    for spec in scenario.AGENCIES:
        body = models.AgencyCreate(
            name=spec.name,
            acronym=spec.acronym,
            kind=models.AgencyKind(spec.kind),
            region_code=spec.region_code,
        )
        created = await _ok(
            _op("agencies.create_agency").asyncio_detailed(client=api, body=body), 201, models.AgencyRead
        )
        assert created.headers["Location"].endswith(str(created.parsed.id))
        ids[spec.key] = created.parsed.id
    page = await _ok(
        _op("agencies.list_agencies").asyncio_detailed(client=api, limit=200), 200, models.AgencyPage
    )
    assert {a.name for a in page.parsed.items} >= {s.name for s in scenario.AGENCIES}
    assert {a.kind for a in page.parsed.items} >= {models.AgencyKind.NGO, models.AgencyKind.POLICE}
    site = scenario.SITE
    body = models.SiteCreate(
        name=site["name"],
        code=site["code"],
        region_code=site["region_code"],
        address=site["address"],
        closure_announced_on=site["closure_announced_on"],
    )
    created = await _ok(
        _op("sites.create_site").asyncio_detailed(client=api, body=body), 201, models.SiteRead
    )
    ids["site"] = created.parsed.id
    return ids


async def _rakor(api: Any, models: ModuleType, ids: dict[str, uuid.UUID]) -> None:
    """The rakor of 30 Oct 2018 in Ruang Garuda: participants, agenda, action items; then held."""
    rakor = scenario.RAKOR
    body = models.MeetingCreate(
        kind=models.MeetingKind.COORDINATION,
        title=rakor["title"],
        description=rakor["description"],
        starts_at=rakor["starts_at"],
        ends_at=rakor["ends_at"],
        location=rakor["location"],
        site_id=ids["site"],
        organizer_agency_id=ids["dinsos"],
    )
    meeting = await _ok(
        _op("meetings.create_meeting").asyncio_detailed(client=api, body=body), 201, models.MeetingRead
    )
    meeting_id = meeting.parsed.id
    assert meeting.parsed.location == "Ruang Garuda, Balai Kota Kupang"
    assert meeting.parsed.starts_at == datetime(2018, 10, 30, 1, tzinfo=UTC)  # 09:00 WITA
    assert meeting.parsed.timezone == "Asia/Makassar"
    for key in scenario.PARTNERS_ON_SITE:
        participant = models.ParticipantCreate(
            agency_id=ids[key], response=models.ParticipantResponse.CONFIRMED, attended=True
        )
        await _ok(
            _op("meetings.add_participant").asyncio_detailed(meeting_id, client=api, body=participant),
            201,
            models.ParticipantRead,
        )
    agenda = {}
    for title, outcome in scenario.AGENDA:
        item = await _ok(
            _op("meetings.add_agenda_item").asyncio_detailed(
                meeting_id, client=api, body=models.AgendaItemCreate(title=title, outcome=outcome)
            ),
            201,
            models.AgendaItemRead,
        )
        agenda[item.parsed.number] = item.parsed.id
    for action in scenario.ACTIONS:
        body = models.ActionItemCreate(
            title=action.title,
            assignee_agency_id=ids[action.assignee],
            due_on=action.due_on,
            agenda_item_id=agenda[action.agenda_number],
        )
        item = await _ok(
            _op("action_items.add_action_item").asyncio_detailed(meeting_id, client=api, body=body),
            201,
            models.ActionItemRead,
        )
        if action.status != "open":
            await _ok(
                _op("action_items.update_action_item").asyncio_detailed(
                    meeting_id,
                    item.parsed.id,
                    client=api,
                    body=models.ActionItemUpdate(status=models.ActionItemStatus(action.status)),
                    if_match=item.headers["ETag"],
                ),
                200,
                models.ActionItemRead,
            )
    participants = await _ok(
        _op("meetings.list_participants").asyncio_detailed(meeting_id, client=api),
        200,
        models.ParticipantPage,
    )
    assert {p.agency_id for p in participants.parsed.items} == {ids[k] for k in scenario.PARTNERS_ON_SITE}
    items = await _ok(
        _op("action_items.list_action_items").asyncio_detailed(meeting_id, client=api),
        200,
        models.ActionItemPage,
    )
    assert len(items.parsed.items) == len(scenario.ACTIONS)
    assert sum(i.status == models.ActionItemStatus.DONE for i in items.parsed.items) == 4
    # A stale version is refused with a typed problem, not raw bytes.
    stale = await _op("meetings.update_meeting").asyncio_detailed(
        meeting_id, client=api, body=models.MeetingUpdate(status=models.MeetingStatus.HELD), if_match='"99"'
    )
    assert stale.status_code == 412 and isinstance(stale.parsed, models.Problem)
    assert stale.parsed.status == 412
    held = await _ok(
        _op("meetings.update_meeting").asyncio_detailed(
            meeting_id,
            client=api,
            body=models.MeetingUpdate(status=models.MeetingStatus.HELD, minutes=rakor["minutes"]),
            if_match=meeting.headers["ETag"],
        ),
        200,
        models.MeetingRead,
    )
    assert held.parsed.status == models.MeetingStatus.HELD
    ids["rakor"] = meeting_id


async def _import(
    package: ModuleType,
    transport: dict[str, Any],
    api: Any,
    models: ModuleType,
    types: ModuleType,
    ids: dict[str, uuid.UUID],
) -> dict[int, tuple[scenario.PersonSpec, uuid.UUID]]:
    """The first count, 145 persons, imported as a CSV file by Dinas Sosial's script (an API client)."""
    specs = scenario.build_persons()
    raw = _csv(specs)
    script = await _ok(
        _op("api_clients.create_client").asyncio_detailed(
            client=api, body=models.ClientCreate(name="Skrip impor Dinas Sosial", role=models.Role.OFFICER)
        ),
        201,
        models.ClientWithSecret,
    )
    token = await _client_token(package, transport, models, script.parsed)
    # The purpose header on every call of this client (an import with NIK names its purpose).
    importer = package.AuthenticatedClient(base_url=BASE, token=token, headers=PURPOSE, httpx_args=transport)
    async with importer:
        return await _upload(importer, models, types, ids, specs, raw)


async def _client_token(
    package: ModuleType, transport: dict[str, Any], models: ModuleType, system: Any
) -> str:
    """An API client's access token, by the client-credentials grant."""
    anonymous = package.Client(base_url=BASE, httpx_args=transport)
    async with anonymous:
        grant = models.TokenRequest(
            grant_type="client_credentials", client_id=system.client_id, client_secret=system.client_secret
        )
        token = await _ok(
            _op("auth.issue_token").asyncio_detailed(client=anonymous, body=grant), 200, models.TokenResponse
        )
    return token.parsed.access_token


async def _upload(
    importer: Any,
    models: ModuleType,
    types: ModuleType,
    ids: dict[str, uuid.UUID],
    specs: list[scenario.PersonSpec],
    raw: bytes,
) -> dict[int, tuple[scenario.PersonSpec, uuid.UUID]]:
    run = _op("persons.import_csv").asyncio_detailed
    # The file as the body (text/csv), checked without writing.
    checked = await _ok(
        run(client=importer, site_id=ids["site"], dry_run=True, body=types.File(payload=raw)),
        200,
        models.ImportReport,
    )
    assert (checked.parsed.dry_run, checked.parsed.rows, checked.parsed.created) == (True, 145, 0)
    # A bad row: the whole file is refused, every error typed by row and column.
    lines = raw.decode().splitlines(keepends=True)
    row = next(n for n, line in enumerate(lines, 1) if line.endswith(",public_task,\n"))
    lines[row - 1] = lines[row - 1].replace(",public_task,", ",,")
    refused = await run(
        client=importer, site_id=ids["site"], body=types.File(payload="".join(lines).encode())
    )
    assert refused.status_code == 422 and isinstance(refused.parsed, models.ImportProblem), refused.content
    assert [(e.row, e.column) for e in refused.parsed.errors] == [(row, "legal_basis")]
    assert refused.parsed.type_ == "/problems/import-rejected" and refused.parsed.error_count == 1
    # The upload, as a generated client sends a file: a multipart form.
    form = models.PersonImportForm(
        file=types.File(payload=io.BytesIO(raw), file_name="pendataan-awal.csv", mime_type="text/csv")
    )
    report = await _op("persons.import_csv").asyncio(client=importer, site_id=ids["site"], body=form)
    assert isinstance(report, models.ImportReport), report  # else a Problem or an ImportProblem
    assert (report.dry_run, report.rows, report.created) == (False, 145, 145)
    assert report.errors == [] and not report.persons_truncated
    created = {p.row: p for p in report.persons}
    assert sorted(p.registration_number for p in created.values()) == [f"KD-{n:04d}" for n in range(1, 146)]
    # Row 2 is the first person of the file (the header is row 1).
    return {spec.number: (spec, created[row].id) for row, spec in enumerate(specs, 2)}


async def _census(
    api: Any,
    models: ModuleType,
    ids: dict[str, uuid.UUID],
    persons: dict[int, tuple[scenario.PersonSpec, uuid.UUID]],
) -> None:
    """The first census round: everyone present is new (the baseline)."""
    name, day = scenario.INITIAL_CENSUS
    census = await _ok(
        _op("censuses.create_census").asyncio_detailed(
            ids["site"], client=api, body=models.CensusCreate(name=name, held_on=day)
        ),
        201,
        models.CensusRead,
    )
    observations = [
        models.Observation(person_id=i, presence=models.Presence.PRESENT) for _, i in persons.values()
    ]
    recorded = await _ok(
        _op("censuses.record_observations").asyncio_detailed(
            ids["site"], census.parsed.id, client=api, body=models.ObservationBatch(observations=observations)
        ),
        200,
        models.ObservationResult,
    )
    assert (recorded.parsed.recorded, recorded.parsed.present, recorded.parsed.absent) == (145, 145, 0)
    reconciled = await _ok(
        _op("censuses.reconciliation").asyncio_detailed(ids["site"], census.parsed.id, client=api),
        200,
        models.Reconciliation,
    )
    assert reconciled.parsed.first_round and reconciled.parsed.present_count == 145
    assert len(reconciled.parsed.new) == 145 and reconciled.parsed.still_present == []


async def _case_and_batch(
    api: Any,
    models: ModuleType,
    ids: dict[str, uuid.UUID],
    persons: dict[int, tuple[scenario.PersonSpec, uuid.UUID]],
) -> None:
    """A case per origin regency; Kabupaten Kupang's is contacted and its batch goes home, handed over."""
    generated = await _ok(
        _op("coordinations.generate_coordinations").asyncio_detailed(
            client=api, body=models.GenerateRequest(site_id=ids["site"])
        ),
        200,
        models.GenerateResult,
    )
    regions = {c.region_code: c for c in generated.parsed.created}
    assert set(regions) == {spec.origin for spec, _ in persons.values()}
    case = regions[scenario.BATCH_REGION]
    current = await _ok(
        _op("coordinations.get_coordination").asyncio_detailed(case.id, client=api),
        200,
        models.CoordinationRead,
    )
    await _ok(
        _op("coordinations.update_coordination").asyncio_detailed(
            case.id,
            client=api,
            body=models.CoordinationUpdate(counterpart_agency_id=ids["dinsos_kab"]),
            if_match=current.headers["ETag"],
        ),
        200,
        models.CoordinationRead,
    )
    letter = scenario.CORRESPONDENCE
    await _ok(
        _op("coordinations.add_correspondence").asyncio_detailed(
            case.id,
            client=api,
            body=models.CorrespondenceCreate(
                direction=models.CorrespondenceDirection.OUTGOING,
                channel=models.CorrespondenceChannel.LETTER,
                dated_on=letter["dated_on"],
                subject=letter["subject"],
                reference_number=letter["reference_number"],
            ),
        ),
        201,
        models.CorrespondenceRead,
    )
    contacted = await _ok(
        _op("coordinations.get_coordination").asyncio_detailed(case.id, client=api),
        200,
        models.CoordinationRead,
    )
    assert contacted.parsed.status == models.CoordinationStatus.CONTACTED
    # The batch's members: their identity checked at the count (verified) before they may travel.
    members = [i for spec, i in persons.values() if spec.in_batch]
    assert len(members) == 3
    for person_id in members:
        changed = await _ok(
            _op("persons.change_status").asyncio_detailed(
                person_id,
                client=api,
                body=models.StatusChange(
                    to_status=models.PersonStatus.VERIFIED,
                    reason=scenario.STATUS_REASONS[scenario.S.verified],
                    occurred_on=scenario.STATUS_DAYS[scenario.S.verified],
                ),
            ),
            200,
            models.PersonRead,
        )
        assert changed.parsed.status == models.PersonStatus.VERIFIED and changed.parsed.view == "staff"
    batch = scenario.BATCH
    body = models.RepatriationCreate(
        coordination_id=case.id,
        leg=models.RepatriationLeg(batch["leg"]),
        planned_departure_on=batch["planned_departure_on"],
        transport_mode=models.TransportMode(batch["transport_mode"]),
        funding_source=models.FundingSource(batch["funding_source"]),
        escort_agency_id=ids["dinsos"],
        members=members,
    )
    planned = await _ok(
        _op("repatriations.create_repatriation").asyncio_detailed(client=api, body=body),
        201,
        models.RepatriationRead,
    )
    batch_id = planned.parsed.id
    assert planned.parsed.status == models.RepatriationStatus.PLANNED and set(planned.parsed.members) == set(
        members
    )
    # Handing over a batch that has not left is refused, typed.
    handover = models.Handover(
        received_by_agency_id=ids["dinsos_kab"],
        received_by_name="Petugas Contoh",
        document_number="BAST/2018/001",
    )
    early = await _op("repatriations.handover").asyncio_detailed(batch_id, client=api, body=handover)
    assert early.status_code == 409 and isinstance(early.parsed, models.Problem)
    assert early.parsed.type_ == "/problems/illegal-transition"
    await _ok(
        _op("repatriations.depart").asyncio_detailed(batch_id, client=api, body=models.Departure()),
        200,
        models.RepatriationRead,
    )
    await _ok(
        _op("repatriations.arrive").asyncio_detailed(batch_id, client=api, body=models.Arrival()),
        200,
        models.RepatriationRead,
    )
    done = await _ok(
        _op("repatriations.handover").asyncio_detailed(batch_id, client=api, body=handover),
        200,
        models.RepatriationRead,
    )
    assert done.parsed.status == models.RepatriationStatus.HANDED_OVER
    assert done.parsed.received_by_agency_id == ids["dinsos_kab"]
    for person_id in members:
        person = await _op("persons.get_person").asyncio_detailed(person_id, client=api)
        assert person.status_code == 200 and isinstance(person.parsed, models.PersonRead)
        assert person.parsed.status == models.PersonStatus.HANDED_OVER


async def _pem(
    api: Any, models: ModuleType, persons: dict[int, tuple[scenario.PersonSpec, uuid.UUID]]
) -> None:
    """The PEM fund: its rule finds exactly the 3 city residents, each with one explanation."""
    program = await _ok(
        _op("eligibility.create_program").asyncio_detailed(
            client=api,
            body=models.ProgramCreate(
                code="PEM",
                name="Dana Pemberdayaan Ekonomi Masyarakat (PEM) Kota Kupang",
                benefit_kind=models.BenefitKind.GRANT,
                funding_source="APBD Kota Kupang",
            ),
        ),
        201,
        models.ProgramRead,
    )
    program_id = program.parsed.id
    rule = models.AllOf(
        all_=[
            models.DomicileRegionCodeCondition(
                fact="domicile_region_code", op=models.RegionCodeOp.EQ, value=scenario.KOTA_KUPANG
            ),
            models.IdentityVerifiedCondition(fact="identity_verified", op=models.EqualityOp.EQ, value=True),
            models.StatusCondition(
                fact="status",
                op=models.ChoiceOp.NOT_IN,
                value=[models.PersonStatus.NOT_LOCATED, models.PersonStatus.DECLINED],
            ),
        ]
    )
    body = models.RuleSetCreate(
        rule=rule,
        effective_from=datetime(2018, 10, 26).date(),
        reference="Dana PEM: hanya untuk warga Kota Kupang",
    )
    rule_set = await _ok(
        _op("eligibility.create_rule_set").asyncio_detailed(program_id, client=api, body=body),
        201,
        models.RuleSetRead,
    )
    await _ok(
        _op("eligibility.activate_rule_set").asyncio_detailed(program_id, rule_set.parsed.id, client=api),
        200,
        models.RuleSetRead,
    )
    run = await _ok(
        _op("eligibility.run_determinations").asyncio_detailed(
            program_id, client=api, body=models.RunCreate()
        ),
        201,
        models.RunRead,
    )
    assert (run.parsed.total, run.parsed.eligible, run.parsed.ineligible) == (145, 3, 142)
    eligible = await _ok(
        _op("eligibility.list_determinations").asyncio_detailed(
            program_id, client=api, run_id=run.parsed.id, eligible=True
        ),
        200,
        models.DeterminationPage,
    )
    residents = {i for spec, i in persons.values() if spec.city_resident}
    assert {d.person_id for d in eligible.parsed.items} == residents
    for person_id in residents:
        answer = await _ok(
            _op("eligibility.evaluate_person").asyncio_detailed(program_id, person_id, client=api),
            200,
            models.EligibilityRead,
        )
        explanation = answer.parsed.explanation
        assert answer.parsed.eligible and isinstance(explanation, models.ExplainedAll) and explanation.result
        assert [c.fact for c in explanation.all_] == ["domicile_region_code", "identity_verified", "status"]
        assert all(isinstance(c, models.ExplainedCondition) and c.result for c in explanation.all_)
        assert explanation.all_[0].actual == scenario.KOTA_KUPANG


async def _partner_view(
    client_package: ModuleType,
    api: Any,
    models: ModuleType,
    transport: dict[str, Any],
    ids: dict[str, uuid.UUID],
    persons: dict[int, tuple[scenario.PersonSpec, uuid.UUID]],
) -> None:
    """The NGO's system: client credentials; its referred persons only, pseudonymous, NIK masked."""
    ngo = ids["ngo"]
    system = await _ok(
        _op("api_clients.create_client").asyncio_detailed(
            client=api,
            body=models.ClientCreate(
                name="Sistem LSM Demo Peduli Perempuan", role=models.Role.PARTNER, agency_id=ngo
            ),
        ),
        201,
        models.ClientWithSecret,
    )
    referred = {i: spec for spec, i in persons.values() if spec.referred}
    assert len(referred) == 20
    for person_id in referred:
        await _ok(
            _op("persons.refer_person").asyncio_detailed(
                person_id, client=api, body=models.ReferralCreate(agency_id=ngo, reason="pendampingan")
            ),
            201,
            models.PersonRead,
        )
    token = await _client_token(client_package, transport, models, system.parsed)
    partner = client_package.AuthenticatedClient(base_url=BASE, token=token, httpx_args=transport)
    async with partner:
        page = await _ok(
            _op("persons.list_persons").asyncio_detailed(client=partner, limit=200), 200, models.PersonPage
        )
        seen = page.parsed.items
        assert len(seen) == 20 and page.parsed.next_cursor is None
        staff_ids = set(referred)
        for person in seen:
            assert isinstance(person, models.PartnerPersonRead) and person.view == "partner", type(person)
            assert person.referral.agency_id == ngo
            assert person.id not in staff_ids  # the agency's own pseudonymous ids
            assert not hasattr(person, "registration_number") and not hasattr(person, "birth_date")
        by_alias = {spec.alias: spec for spec in referred.values()}
        for person in seen:  # the NIK masked to its last 4 digits
            spec = by_alias[person.alias]
            assert person.nik == "*" * 12 + spec.nik[-4:] and person.birth_year == spec.birth_date.year
        one = await _ok(
            _op("persons.get_person").asyncio_detailed(seen[0].id, client=partner),
            200,
            models.PartnerPersonRead,
        )
        assert one.parsed.full_name == seen[0].full_name
        # A person not referred to the NGO does not exist for it: a typed 404.
        hidden = next(i for spec, i in persons.values() if not spec.referred)
        missing = await _op("persons.get_person").asyncio_detailed(hidden, client=partner)
        assert missing.status_code == 404 and isinstance(missing.parsed, models.Problem)
        assert missing.parsed.type_ == "/problems/person-not-found"
        # The rakor it took part in: its action items, of which it moves only its own.
        meetings = await _ok(
            _op("meetings.list_meetings").asyncio_detailed(client=partner), 200, models.MeetingPage
        )
        assert [m.id for m in meetings.parsed.items] == [ids["rakor"]]
        items = await _ok(
            _op("action_items.list_action_items").asyncio_detailed(ids["rakor"], client=partner),
            200,
            models.ActionItemPage,
        )
        assert len(items.parsed.items) == len(scenario.ACTIONS)
        [own] = [i for i in items.parsed.items if i.assignee_agency_id == ngo]
        other = next(i for i in items.parsed.items if i.assignee_agency_id != ngo)
        update = _op("action_items.update_action_item").asyncio_detailed
        done = models.ActionItemUpdate(status=models.ActionItemStatus.DONE)
        moved = await _ok(
            update(ids["rakor"], own.id, client=partner, body=done, if_match=f'"{own.version}"'),
            200,
            models.ActionItemRead,
        )
        assert moved.parsed.status == models.ActionItemStatus.DONE
        refused = await update(
            ids["rakor"], other.id, client=partner, body=done, if_match=f'"{other.version}"'
        )
        assert refused.status_code == 403 and isinstance(refused.parsed, models.Problem), refused.content
        # Staff-only operations answer with a typed problem.
        forbidden = await _op("eligibility.run_determinations").asyncio_detailed(
            uuid.uuid4(), client=partner, body=models.RunCreate()
        )
        assert forbidden.status_code == 403 and isinstance(forbidden.parsed, models.Problem), (
            forbidden.content
        )


def test_the_story_sends_nothing_but_generated_calls():
    source = Path(__file__).read_text()
    # httpx only as the generated client's transport to the app; every request is a generated call.
    assert set(re.findall(r"\bhttpx\.\w+", source)) == {"httpx.ASGITransport"}
    calls = set(re.findall(r"\b_op\(\"([\w.]+)\"\)\.(\w+)", source))
    assert {function for _, function in calls} == {"asyncio", "asyncio_detailed"}
    assert ("persons.import_csv", "asyncio") in calls  # the README's excerpt
