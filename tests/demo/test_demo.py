"""The demo scenario: loaded through the services (and by `make demo`), idempotent, plainly synthetic."""

import asyncio
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.agencies.models import Agency
from app.audit.models import AuditEvent
from app.clients.models import ApiClient
from app.config import Settings
from app.coordination import repatriations
from app.coordination import service as coordination_service
from app.demo import scenario
from app.demo.load import DemoReport, NotTheDemoSite, load
from app.main import create_app
from app.meetings.models import Meeting
from app.persons import nik as nik_rules
from app.persons.models import Person, PersonChange
from app.persons.transitions import TRANSITIONS, Status
from tests.access import bearer, client_grant, password_grant

ROOT = Path(__file__).resolve().parents[2]
API = "/api/v1"
NAME = re.compile(r"^Warga Demo \d{3}$")
OTHER_PROVINCES = {"35", "32", "33", "73", "71", "52", "51"}
STATUSES_IN_README = {
    "registered": 22,
    "verified": 39,
    "awaiting_return": 46,
    "staying": 9,
    "declined": 6,
    "not_located": 8,
    "returned_independently": 15,
}


async def _load(app) -> DemoReport:
    """The loader the CLI runs, in a transaction of its own, against the test's database."""
    async with app.state.sessionmaker() as session, session.begin():
        return await load(session)


async def _get(client: httpx.AsyncClient, headers: dict[str, str], path: str, **params: Any) -> Any:
    response = await client.get(API + path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _all(client: httpx.AsyncClient, headers: dict[str, str], path: str, **params: Any) -> list[Any]:
    """Every item of a list, page by page."""
    items, cursor = [], None
    while True:
        page = await _get(
            client, headers, path, limit=200, **params, **({"cursor": cursor} if cursor else {})
        )
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def _counts(cells: list[dict[str, Any]]) -> dict[str | None, int]:
    return {cell["key"]: cell["count"] for cell in cells}


async def _assert_stats(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """The article's figures: 145 persons, 11 from NTT, 3 living in Kota Kupang."""
    stats = await _get(client, headers, "/stats/persons")
    assert stats["total"]["count"] == 145
    provinces = _counts(stats["by_origin_province"])
    assert provinces["53"] == 11
    assert set(provinces) == {"53"} | OTHER_PROVINCES
    assert sum(provinces.values()) == 145
    assert _counts(stats["by_domicile_region"])["53.71"] == 3
    assert _counts(stats["by_sex"]) == {"female": 145}
    assert _counts(stats["by_status"]) == STATUSES_IN_README


# --- the scenario -----------------------------------------------------------------------------


async def test_demo_loads_the_article_scenario(app, client, callers):
    report = await _load(app)
    assert not report.already_loaded
    assert (report.persons, report.referred, len(report.clients)) == (145, 20, 1)
    admin = callers.admin.headers
    await _assert_stats(client, admin)

    persons = await _all(client, admin, "/persons")
    assert len(persons) == 145
    assert sorted(p["registration_number"] for p in persons) == [f"KD-{n:04d}" for n in range(1, 146)]
    for person in persons:
        assert NAME.match(person["full_name"]), person["full_name"]
        assert person["alias"] == "Demo-" + person["full_name"][-3:]
        assert person["phone"] is None and person["kk_number"] is None
        if person["nik"] is not None:
            facts = nik_rules.parse(person["nik"])
            assert 9000 <= int(person["nik"][12:]) <= 9999  # the serials of test data
            assert facts.region_code == person["domicile_region_code"]
            assert facts.birth_dates and person["birth_date"] in {d.isoformat() for d in facts.birth_dates}
            assert person["warnings"] == []
    assert len({p["nik"] for p in persons if p["nik"]}) == sum(1 for p in persons if p["nik"])
    statuses = {p["status"] for p in persons}
    assert {"registered", "verified", "awaiting_return", "staying", "declined", "not_located"} <= statuses

    # The three city residents: KTP of Kota Kupang, checked; from NTT regencies.
    residents = await _all(client, admin, "/persons", domicile_region_code="53.71", identity_verified="true")
    assert len(residents) == 3
    for person in residents:
        assert person["identity_document"] == "ktp"
        assert person["nik"].startswith("5371")
        assert person["origin_region_code"].startswith("53.")
        assert person["status"] == "staying"

    # History is the registry's own: created, then each status change, by the demo's system actor.
    waiting = next(p for p in persons if p["status"] == "awaiting_return")
    history = await _get(client, admin, f"/persons/{waiting['id']}/history")
    kinds = [(c["kind"], c["new_value"]) for c in history]
    assert kinds[0] == ("created", waiting["registration_number"])
    assert ("status", "verified") in kinds and ("status", "awaiting_return") in kinds
    assert {c["actor_kind"] for c in history} == {"system"}

    # The rakor of 30 Oct 2018 in Ruang Garuda, with the agencies of the article.
    [rakor] = (await _get(client, admin, "/meetings", kind="coordination"))["items"]
    assert rakor["id"] == str(report.rakor_id)
    assert rakor["starts_at"] == "2018-10-30T09:00:00+08:00"
    assert rakor["location"] == "Ruang Garuda, Balai Kota Kupang"
    assert rakor["status"] == "held"
    agencies = {a["id"]: a for a in await _all(client, admin, "/agencies")}
    participants = await _all(client, admin, f"/meetings/{rakor['id']}/participants")
    names = {agencies[p["agency_id"]]["name"] for p in participants}
    assert names == {spec.name for spec in scenario.AGENCIES if spec.key in scenario.PARTNERS_ON_SITE}
    assert agencies[rakor["organizer_agency_id"]]["name"] == "Dinas Sosial Kota Kupang"
    assert {agencies[p["agency_id"]]["kind"] for p in participants} == {"government", "ngo", "police"}
    assert len(await _all(client, admin, f"/meetings/{rakor['id']}/agenda-items")) == 4
    assert len(await _all(client, admin, f"/meetings/{rakor['id']}/action-items")) == len(scenario.ACTIONS)
    [outreach] = (await _get(client, admin, "/meetings", kind="outreach"))["items"]
    assert outreach["status"] == "held"

    # An initial count of 145 and a final one during the outreach, with some gone.
    rounds = await _all(client, admin, f"/sites/{report.site_id}/censuses")
    assert [r["name"] for r in sorted(rounds, key=lambda r: r["held_on"])] == [
        "Pendataan awal",
        "Pendataan akhir",
    ]
    final = next(r for r in rounds if r["name"] == "Pendataan akhir")
    assert final["meeting_id"] == outreach["id"]
    reconciliation = await _get(
        client, admin, f"/sites/{report.site_id}/censuses/{final['id']}/reconciliation"
    )
    assert reconciliation["present_count"] == 122
    assert len(reconciliation["missing"]) == len(reconciliation["absent"]) == 23

    # PEM: the seed rule in force pays the 3 residents; the draft what-if adds Kabupaten Kupang's.
    [program] = (await _get(client, admin, "/programs"))["items"]
    assert program["code"] == "PEM" and program["id"] == str(report.program_id)
    rule_sets = {r["version"]: r for r in await _all(client, admin, f"/programs/{program['id']}/rule-sets")}
    assert {v: r["status"] for v, r in rule_sets.items()} == {1: "active", 2: "draft"}
    simulated = await client.post(
        f"{API}/programs/{program['id']}/rule-sets/{report.draft_rule_set_id}/simulate",
        json={},
        headers=admin,
    )
    assert simulated.status_code == 200, simulated.text
    body = simulated.json()
    assert (body["total"], body["eligible"], body["newly_eligible"], body["newly_ineligible"]) == (
        145,
        6,
        3,
        0,
    )
    assert body["compared_with"]["version"] == 1

    # Kabupaten Kupang's case is contacted and has a planned batch of its three verified persons.
    batch = await _get(client, admin, f"/repatriations/{report.batch_id}")
    assert (batch["status"], batch["region_code"], len(batch["members"])) == ("planned", "53.01", 3)

    # The README's tour walks that batch home: depart, arrive, handover to the counterpart.
    [counterpart] = [a for a in agencies.values() if a["name"] == "Dinas Sosial Kabupaten Kupang"]
    handover = {
        "received_by_agency_id": counterpart["id"],
        "received_by_name": "Petugas Demo",
        "document_number": "BA/DEMO/1",
    }
    for step, body in (("depart", {}), ("arrive", {}), ("handover", handover)):
        moved = await client.post(f"{API}/repatriations/{report.batch_id}/{step}", json=body, headers=admin)
        assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "handed_over"
    members = {p["id"]: p["status"] for p in await _all(client, admin, "/persons")}
    assert {members[str(m)] for m in moved.json()["members"]} == {"handed_over"}


async def test_the_partner_client_of_the_ngo_sees_only_referred_persons(app, client, callers):
    report = await _load(app)
    [demo_client] = report.clients
    assert demo_client.agency_name == "LSM Demo Peduli Perempuan"
    token = await client_grant(client, demo_client.client_id, demo_client.client_secret)
    assert token.status_code == 200, token.text
    partner = bearer(token.json()["access_token"])

    seen = await _all(client, partner, "/persons")
    assert len(seen) == report.referred == 20
    # Partners get no registration number (it would join agencies' data sets): match by the name.
    staff_view = {p["full_name"]: p for p in await _all(client, callers.admin.headers, "/persons")}
    for person in seen:
        assert "registration_number" not in person
        real = staff_view[person["full_name"]]
        assert person["id"] != real["id"]  # the NGO's own pseudonymous id
        assert real["referrals"] and person["referral"]["agency_id"] == real["referrals"][0]["agency_id"]
        assert "phone" not in person
        assert person["nik"] is None or re.fullmatch(r"\*+\d{4}", person["nik"]), person["nik"]
    stats = await _get(client, partner, "/stats/persons")
    assert stats["suppression_threshold"] is not None
    meetings = await _all(client, partner, "/meetings")
    assert {m["kind"] for m in meetings} == {"coordination", "outreach"}  # the two it took part in
    assert str(report.rakor_id) in {m["id"] for m in meetings}


async def _table_counts(session) -> dict[str, int]:
    counts = {
        model.__name__: await session.scalar(select(func.count()).select_from(model))
        for model in (Person, PersonChange, AuditEvent, Agency, Meeting, ApiClient)
    }
    await session.commit()
    return counts


async def test_loading_twice_adds_nothing(app, session):
    first = await _load(app)
    before = await _table_counts(session)
    assert before["Person"] == 145
    again = await _load(app)
    assert again.already_loaded and again.site_id == first.site_id
    assert again.clients == [] and again.persons == 0
    assert await _table_counts(session) == before


async def test_a_foreign_site_with_the_demo_code_stops_the_load(app, client, callers, session):
    site = {"name": "Lokasi Uji", "code": scenario.SITE_CODE, "region_code": "53.71"}
    created = await client.post(f"{API}/sites", json=site, headers=callers.officer.headers)
    assert created.status_code == 201, created.text
    before = await _table_counts(session)
    with pytest.raises(NotTheDemoSite):
        await _load(app)
    assert await _table_counts(session) == before


def test_the_scenario_is_deterministic_and_matches_the_article():
    persons = scenario.build_persons()
    assert persons == scenario.build_persons()
    assert len(persons) == scenario.PERSON_COUNT == 145
    ntt = [p for p in persons if p.origin.startswith("53.")]
    assert len(ntt) == 11
    assert {p.origin for p in ntt} >= {"53.01", "53.14", "53.05", "53.02"}
    residents = [p for p in persons if p.domicile == "53.71"]
    assert len(residents) == 3 and all(p.verified and p.nik.startswith("5371") for p in residents)
    assert len({p.origin[:2] for p in persons if p not in ntt}) == 7
    for person in persons:  # every path is one the registry allows
        current = Status.registered
        for step in person.path:
            assert step in TRANSITIONS[current], (current, step)
            current = step


# --- the real commands --------------------------------------------------------------------


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # our own interpreter, make and module, fixed arguments
        args, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=300, check=False
    )


async def test_cli_demo_loads_once_and_prints_working_credentials(app, client, callers):
    env = {"REINTEGRASI_DATABASE_URL": app.state.settings.database_url}
    first = await asyncio.to_thread(_run, [sys.executable, "-m", "app", "demo"], env)
    assert first.returncode == 0, first.stderr
    assert "loaded 145 persons" in first.stdout
    client_id = re.search(r"^client_id: (\S+)$", first.stdout, re.M)
    secret = re.search(r"^client_secret \(shown once\): (\S+)$", first.stdout, re.M)
    assert client_id and secret, first.stdout
    assert (await client_grant(client, client_id[1], secret[1])).status_code == 200
    assert "Warga Demo" not in first.stdout + first.stderr  # no person's data on the console

    again = await asyncio.to_thread(_run, [sys.executable, "-m", "app", "demo"], env)
    assert again.returncode == 0, again.stderr
    assert "already loaded" in again.stdout and "client_secret" not in again.stdout
    await _assert_stats(client, callers.admin.headers)


async def test_cli_demo_refuses_production(app, session):
    env = {
        "REINTEGRASI_DATABASE_URL": app.state.settings.database_url,
        "REINTEGRASI_ENVIRONMENT": "production",
        # Otherwise valid production settings: the refusal tested is the demo's own.
        "REINTEGRASI_MFA_REQUIRED": "true",
    }
    result = await asyncio.to_thread(_run, [sys.executable, "-m", "app", "demo"], env)
    assert result.returncode != 0
    assert "not in production" in result.stderr
    assert (await _table_counts(session))["Person"] == 0


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
async def test_make_demo_on_a_fresh_database_then_stats_show_145(tmp_path):
    """`make demo` exactly as a newcomer runs it (install and .env taken as done), then the API."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    password = "kata-sandi-demo-panjang"  # synthetic
    env = {"REINTEGRASI_DATABASE_URL": url, "REINTEGRASI_BOOTSTRAP_ADMIN_PASSWORD": password}
    result = await asyncio.to_thread(
        _run, ["make", "--no-print-directory", "-o", "install", "-o", ".env", "demo"], env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "admin: created with REINTEGRASI_BOOTSTRAP_ADMIN_PASSWORD" in result.stdout
    assert "loaded 145 persons" in result.stdout

    app = create_app(Settings(database_url=url))
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            token = await password_grant(http, "admin", password)
            assert token.status_code == 200, token.text
            await _assert_stats(http, bearer(token.json()["access_token"]))
    finally:
        await app.state.engine.dispose()


# --- the README's diagrams ----------------------------------------------------------------

EDGE = re.compile(r"^\s*(\[\*\]|\w+)\s*-->\s*(\[\*\]|\w+)\s*(?::.*)?$")


def _mermaid_block(marker: str) -> list[str]:
    """The lines of the README's Mermaid block that contains `marker`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```mermaid\n(.*?)```", readme, re.S)
    [block] = [b for b in blocks if marker in b]
    return block.splitlines()


def _edges(lines: list[str]) -> set[tuple[str, str]]:
    return {(m[1], m[2]) for line in lines if (m := EDGE.match(line))}


def _composite(lines: list[str], name: str) -> list[str]:
    """The lines inside `state "..." as <name> {` ... `}`."""
    start = next(i for i, line in enumerate(lines) if re.search(rf"\bas {name}\s*\{{", line))
    end = next(i for i in range(start, len(lines)) if lines[i].strip() == "}")
    return lines[start + 1 : end]


def _table(transitions: dict[Any, frozenset[Any]]) -> set[tuple[str, str]]:
    return {(str(a), str(b)) for a, targets in transitions.items() for b in targets}


def _expected(transitions: dict[Any, frozenset[Any]], first: str) -> set[tuple[str, str]]:
    """The table's transitions, the start, and an end for every state that has no way out."""
    ends = {(str(a), "[*]") for a, targets in transitions.items() if not targets}
    return _table(transitions) | {("[*]", first)} | ends


def test_readme_person_lifecycle_is_the_transition_table():
    edges = _edges(_mermaid_block("%% person lifecycle"))
    assert edges == _expected(TRANSITIONS, "registered")


def test_readme_repatriation_flow_is_the_case_and_batch_tables():
    lines = _mermaid_block("%% repatriation flow")
    assert _edges(_composite(lines, "coordination")) == _expected(coordination_service.TRANSITIONS, "open")
    assert _edges(_composite(lines, "repatriation")) == _expected(repatriations.TRANSITIONS, "planned")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize(("demo", "loads"), [("1", True), ("", False), ("0", False)])
def test_make_run_loads_the_demo_only_when_asked(demo, loads):
    """`make run DEMO=1` loads the demo before serving (a dry run: nothing is served)."""
    args = ["make", "--no-print-directory", "-n", "-o", "install", "-o", ".env", "run", f"DEMO={demo}"]
    result = _run(args, {})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.endswith("python -m app demo") for line in lines) is loads
    serve = next(i for i, line in enumerate(lines) if "uvicorn" in line)
    assert all(i < serve for i, line in enumerate(lines) if line.endswith("python -m app demo"))
