"""Load the demo scenario through the domain services, so that history and audit are real.

Everything is written by one actor (the system, request id `demo`) in the caller's transaction:
either the whole scenario is there or nothing is. A database that already holds the demo site is
left alone.
"""

import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies import service as agency_service
from app.agencies.models import Agency
from app.agencies.schemas import AgencyCreate
from app.censuses import service as census_service
from app.censuses.models import CensusRound
from app.censuses.schemas import CensusCreate, Observation
from app.clients import service as client_service
from app.clients.schemas import ClientCreate
from app.coordination import repatriations as batch_service
from app.coordination import service as case_service
from app.coordination.schemas import CoordinationUpdate, CorrespondenceCreate, RepatriationCreate
from app.demo import scenario
from app.demo.scenario import AgencySpec, PersonSpec
from app.eligibility import service as eligibility_service
from app.eligibility.schemas import RuleSetCreate
from app.errors import Conflict
from app.meetings import action_items as action_item_service
from app.meetings import agenda as agenda_service
from app.meetings import participants as participant_service
from app.meetings import service as meeting_service
from app.meetings.models import Meeting
from app.meetings.schemas import (
    ActionItemCreate,
    ActionItemUpdate,
    AgendaItemCreate,
    MeetingCreate,
    MeetingUpdate,
    ParticipantCreate,
)
from app.pagination import PageParams, decode_cursor
from app.persons import service as person_service
from app.persons.schemas import PersonCreate
from app.persons.transitions import Status
from app.regions import service as region_service
from app.security.policy import Role
from app.security.principal import Actor, system_actor
from app.sites import service as site_service
from app.sites.models import Site
from app.sites.schemas import SiteCreate


class NotTheDemoSite(Conflict):
    slug, title = "not-the-demo-site", "Site code taken"


@dataclass(frozen=True)
class DemoClient:
    """A partner API client made for an NGO; the secret exists only in this object."""

    agency_name: str
    id: uuid.UUID
    client_id: str
    client_secret: str


@dataclass
class DemoReport:
    already_loaded: bool
    site_id: uuid.UUID
    persons: int = 0
    referred: int = 0
    rakor_id: uuid.UUID | None = None
    program_id: uuid.UUID | None = None
    draft_rule_set_id: uuid.UUID | None = None
    batch_id: uuid.UUID | None = None
    clients: list[DemoClient] = field(default_factory=list)
    seconds: float = 0.0


async def find_demo_site(session: AsyncSession) -> Site | None:
    """The demo's site if loaded; 409 when another site holds its code (the demo stays out)."""
    page = PageParams(limit=200, after=None)
    while True:
        sites, cursor = await site_service.list_sites(session, page, status=None, updated_since=None)
        for site in sites:
            if site.code != scenario.SITE_CODE:
                continue
            if (site.notes or "").startswith(scenario.MARKER):
                return site
            raise NotTheDemoSite(f"A site with code {scenario.SITE_CODE} exists and is not the demo's.")
        if cursor is None:
            return None
        page = PageParams(limit=200, after=decode_cursor(cursor))


async def load(session: AsyncSession, actor: Actor | None = None) -> DemoReport:
    """Load the scenario unless it is there, in the story's order; the caller commits."""
    started = time.perf_counter()
    actor = actor or system_actor("demo")
    existing = await find_demo_site(session)
    if existing is not None:
        return DemoReport(already_loaded=True, site_id=existing.id)
    await region_service.ensure_loaded(session)
    agencies = {spec.key: await _agency(session, actor, spec) for spec in scenario.AGENCIES}
    site = await site_service.create(session, actor, SiteCreate(**scenario.SITE))
    specs = scenario.build_persons()
    ids = await _register(session, actor, site, specs)
    name, day = scenario.INITIAL_CENSUS
    initial = await census_service.create(session, actor, site.id, CensusCreate(name=name, held_on=day))
    await _observe(session, actor, site, initial, {ids[s.number]: True for s in specs})
    await _walk(session, actor, specs, ids, before_final_count=True)
    rakor = await _rakor(session, actor, site, agencies)
    final = await _outreach_census(session, actor, site, agencies)
    await _observe(session, actor, site, final, {ids[s.number]: s.present_at_final for s in specs})
    await _walk(session, actor, specs, ids, before_final_count=False)
    referred = await _refer(session, actor, specs, ids, agencies["ngo"])
    program_id, draft_id = await _pem(session, actor)
    batch_id = await _coordination(session, actor, site, specs, ids, agencies)
    clients = await _clients(session, actor, [a for a in agencies.values() if a.kind == "ngo"])
    return DemoReport(
        already_loaded=False,
        site_id=site.id,
        persons=len(ids),
        referred=referred,
        rakor_id=rakor.id,
        program_id=program_id,
        draft_rule_set_id=draft_id,
        batch_id=batch_id,
        clients=clients,
        seconds=time.perf_counter() - started,
    )


async def _agency(session: AsyncSession, actor: Actor, spec: AgencySpec) -> Agency:
    """The agency of that name in that region, created if missing (a real Dinas Sosial is reused)."""
    found, _ = await agency_service.list_agencies(
        session, PageParams(limit=200, after=None), region_code=spec.region_code, q=spec.name
    )
    key = agency_service.name_key(spec.name)
    for agency in found:
        if agency.name_key == key:
            return agency
    data = AgencyCreate(name=spec.name, acronym=spec.acronym, kind=spec.kind, region_code=spec.region_code)
    return await agency_service.create(session, actor, data)


async def _held(session: AsyncSession, actor: Actor, meeting: Meeting) -> Meeting:
    return await meeting_service.update_meeting(
        session, actor, meeting.id, MeetingUpdate(status="held"), meeting.version
    )


async def _meeting(
    session: AsyncSession, actor: Actor, site: Site, agencies: dict[str, Agency], body: dict
) -> Meeting:
    """A meeting organized by Dinas Sosial with the on-site partners, who came."""
    data = MeetingCreate(**body, site_id=site.id, organizer_agency_id=agencies["dinsos"].id)
    meeting = await meeting_service.create_meeting(session, actor, data)
    for key in scenario.PARTNERS_ON_SITE:
        participant = ParticipantCreate(agency_id=agencies[key].id, response="confirmed", attended=True)
        await participant_service.add_participant(session, actor, meeting.id, participant)
    return meeting


async def _rakor(session: AsyncSession, actor: Actor, site: Site, agencies: dict[str, Agency]) -> Meeting:
    """The rakor of 30 Oct 2018 with its agenda and action items; held."""
    meeting = await _meeting(session, actor, site, agencies, scenario.RAKOR)
    agenda = {}
    for title, outcome in scenario.AGENDA:
        item = await agenda_service.add_agenda_item(
            session, actor, meeting.id, AgendaItemCreate(title=title, outcome=outcome)
        )
        agenda[item.number] = item.id
    for action in scenario.ACTIONS:
        data = ActionItemCreate(
            title=action.title,
            assignee_agency_id=agencies[action.assignee].id,
            due_on=action.due_on,
            agenda_item_id=agenda[action.agenda_number],
        )
        item = await action_item_service.add_action_item(session, actor, meeting.id, data)
        if action.status != "open":
            await action_item_service.update_action_item(
                session, actor, meeting.id, item.id, ActionItemUpdate(status=action.status), item.version
            )
    return await _held(session, actor, meeting)


async def _outreach_census(
    session: AsyncSession, actor: Actor, site: Site, agencies: dict[str, Agency]
) -> CensusRound:
    """The outreach meeting (held) and the final count taken during it."""
    meeting = await _held(session, actor, await _meeting(session, actor, site, agencies, scenario.OUTREACH))
    name, day = scenario.FINAL_CENSUS
    data = CensusCreate(name=name, held_on=day, meeting_id=meeting.id)
    return await census_service.create(session, actor, site.id, data)


async def _observe(
    session: AsyncSession, actor: Actor, site: Site, census: CensusRound, present: dict[uuid.UUID, bool]
) -> None:
    observations = [
        Observation(person_id=i, presence="present" if p else "absent") for i, p in present.items()
    ]
    await census_service.record(session, actor, site.id, census.id, observations)


async def _register(
    session: AsyncSession, actor: Actor, site: Site, specs: list[PersonSpec]
) -> dict[int, uuid.UUID]:
    """Create the persons in number order (KD-0001 is Warga Demo 001)."""
    ids = {}
    for spec in specs:
        person, _ = await person_service.create(session, actor, PersonCreate(**spec.person_body(site.id)))
        ids[spec.number] = person.id
    return ids


def _steps(spec: PersonSpec, *, before_final_count: bool) -> tuple[Status, ...]:
    """Identity checks come before the final count; leaving, staying and declining after it."""
    checked_first = spec.path[:1] == (Status.verified,)
    if before_final_count:
        return spec.path[:1] if checked_first else ()
    return spec.path[1:] if checked_first else spec.path


async def _walk(
    session: AsyncSession,
    actor: Actor,
    specs: list[PersonSpec],
    ids: dict[int, uuid.UUID],
    *,
    before_final_count: bool,
) -> None:
    """Each person's status changes of one phase, through the registry's own status-change service."""
    for spec in specs:
        for status in _steps(spec, before_final_count=before_final_count):
            await person_service.change_status(
                session,
                actor,
                ids[spec.number],
                status,
                scenario.STATUS_REASONS[status],
                scenario.STATUS_DAYS[status],
            )


async def _refer(
    session: AsyncSession, actor: Actor, specs: list[PersonSpec], ids: dict[int, uuid.UUID], ngo: Agency
) -> int:
    referred = [spec for spec in specs if spec.referred]
    for spec in referred:
        await person_service.refer(session, actor, ids[spec.number], ngo.id, "pendampingan")
    return len(referred)


async def _pem(session: AsyncSession, actor: Actor) -> tuple[uuid.UUID, uuid.UUID]:
    """PEM and its active rule (as `eligibility seed-pem` makes them), and a draft to simulate."""
    seed = json.loads((Path(eligibility_service.__file__).parent / "seeds" / "pem.json").read_text())
    program, _, _ = await eligibility_service.seed(session, actor, seed)
    draft = await eligibility_service.create_rule_set(
        session, actor, program.id, RuleSetCreate.model_validate(scenario.PEM_DRAFT)
    )
    return program.id, draft.id


async def _coordination(
    session: AsyncSession,
    actor: Actor,
    site: Site,
    specs: list[PersonSpec],
    ids: dict[int, uuid.UUID],
    agencies: dict[str, Agency],
) -> uuid.UUID:
    """A case per origin regency; Kabupaten Kupang's is contacted and has a planned batch home."""
    cases, _ = await case_service.generate(session, actor, site.id)
    [case] = [c for c in cases if c.region_code == scenario.BATCH_REGION]
    await case_service.update(
        session,
        actor,
        case.id,
        CoordinationUpdate(counterpart_agency_id=agencies["dinsos_kab"].id),
        case.version,
    )
    # The outgoing letter makes the case contacted.
    await case_service.add_correspondence(
        session, actor, case.id, CorrespondenceCreate(**scenario.CORRESPONDENCE)
    )
    members = [ids[s.number] for s in specs if s.in_batch]
    data = RepatriationCreate(
        **scenario.BATCH, coordination_id=case.id, escort_agency_id=agencies["dinsos"].id, members=members
    )
    batch, _ = await batch_service.create(session, actor, data)
    return batch.id


async def _clients(session: AsyncSession, actor: Actor, ngos: list[Agency]) -> list[DemoClient]:
    """One partner API client per NGO."""
    made = []
    for ngo in ngos:
        data = ClientCreate(name=f"Sistem {ngo.name}", role=Role.partner, agency_id=ngo.id)
        client, secret = await client_service.create(session, actor, data)
        made.append(DemoClient(ngo.name, client.id, client.client_id, secret))
    return made
