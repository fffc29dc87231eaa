"""Interval audit of the counts partners and viewers see (issue 13, findings 3, 12 and 15).

For every suppressed cell, the range of true values consistent with every table the caller can
request (the hierarchy total = provinces = regencies, every one-way table, every rule set's
simulation, and for a partner its own readable persons as known records) must be at least the
suppression threshold wide. The audit here is the test's own: it builds the tables from the
persons it made, and bounds each hidden cell with an integer program (scipy's milp).
"""

from collections import Counter
from collections.abc import Callable
from datetime import date

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.privacy import disclosure
from app.stats.suppression import THRESHOLD
from tests import ledger
from tests.eligibility.helpers import PROGRAMS, active_program, make_rule_set
from tests.persons.helpers import make_site
from tests.persons.support import PERSONS, post_csv, refer

STATS = "/api/v1/stats/persons"
TABLES = ("by_status", "by_origin_province", "by_origin_regency", "by_domicile_region", "by_site", "by_sex")
FEMALE_ONLY = {"all": [{"fact": "sex", "op": "eq", "value": "female"}]}
NTB_ONLY = {"all": [{"fact": "origin_province_code", "op": "eq", "value": "52"}]}


# --- the test's own audit ------------------------------------------------------------------------


def tables_of(
    person: dict, rules: dict[str, tuple[Callable, Callable | None]]
) -> list[tuple[str, str | None]]:
    """The published cells one person counts in (the test's definition of every requestable table)."""
    origin = person["origin"]
    cells = [
        ("total", "total"),
        ("by_status", person["status"]),
        ("by_origin_province", None if origin is None else origin[:2]),
        ("by_origin_regency", origin),
        ("by_domicile_region", person["domicile"]),
        ("by_site", person["site"]),
        ("by_sex", person["sex"]),
    ]
    for name, (new, old) in rules.items():
        eligible = new(person)
        cells.append((f"sim:{name}", "eligible" if eligible else "ineligible"))
        if old is not None and eligible != old(person):
            cells.append((f"sim:{name}", "newly_eligible" if eligible else "newly_ineligible"))
    return cells


# What the audits checked in this run (the README cites these figures).
AUDITED = ledger.FIGURES  # reported at the end of the run


def interval_audit(persons: list[dict], known: list[bool], published: dict, rules: dict) -> list[tuple]:
    """Every hidden cell whose range of consistent values is narrower than the threshold."""
    AUDITED["tables' cells"] += len(published)
    AUDITED["hidden cells bounded"] += sum(count is None for count in published.values())
    keyed = [tuple(sorted(p.items())) for p in persons]
    atoms = list(dict.fromkeys(keyed))  # the caller is granted knowledge of which atoms exist
    sizes = Counter(keyed)
    lower = np.array(
        [sum(k for k, p in zip(known, keyed, strict=True) if k and p == a) for a in atoms], float
    )
    membership: dict[tuple, list[int]] = {}
    for index, atom in enumerate(atoms):
        for cell in tables_of(dict(atom), rules):
            membership.setdefault(cell, []).append(index)
    rows, lo, hi = [], [], []
    for cell, count in published.items():
        row = np.zeros(len(atoms))
        row[membership.get(cell, [])] = 1
        rows.append(row)
        lo.append(1 if count is None else count)
        hi.append(np.inf if count is None else count)
    exposed = []
    for cell, count in published.items():
        if count is not None:
            continue
        objective = np.zeros(len(atoms))
        objective[membership[cell]] = 1
        ends = []
        for sign in (1, -1):
            result = milp(
                sign * objective,
                constraints=[LinearConstraint(np.array(rows), lo, hi)],
                integrality=np.ones(len(atoms)),
                bounds=Bounds(lower, np.full(len(atoms), np.inf)),
            )
            assert result.fun is not None or result.status == 3 or "unbounded" in result.message.lower(), (
                result
            )
            ends.append(sign * result.fun if result.fun is not None else np.inf)
        true = sum(sizes[atoms[i]] for i in membership[cell])
        assert ends[0] <= true <= ends[1], (cell, ends, true)  # the audit itself is sound
        if ends[1] - ends[0] < THRESHOLD:
            exposed.append((cell, true, ends))
    return exposed


# --- property: the disclosure step on generated populations ---------------------------------------

REGENCIES = ["52.01", "52.02", "52.03", "53.01", "53.02", None]
STATUSES = ["registered", "verified", "awaiting_return", "staying"]


@st.composite
def populations(draw):
    n = draw(st.integers(min_value=0, max_value=24))
    person = st.fixed_dictionaries(
        {
            "status": st.sampled_from(STATUSES),
            "origin": st.sampled_from(REGENCIES),
            "domicile": st.sampled_from(["53.71", "53.72"]),
            "site": st.sampled_from(["s1", "s2"]),
            "sex": st.sampled_from(["female", "male", "unknown"]),
        }
    )
    persons = draw(st.lists(person, min_size=n, max_size=n))
    known = draw(st.lists(st.booleans(), min_size=n, max_size=n))  # a partner's referred persons
    return persons, known


RULES = {
    "women": (lambda p: p["sex"] == "female", lambda p: p["origin"] is not None),
    "ntb": (lambda p: (p["origin"] or "").startswith("52"), None),
    "ntb-not-5202": (lambda p: (p["origin"] or "").startswith("52") and p["origin"] != "52.02", None),
}


def _protected(persons, known, rules):
    """Run the app's disclosure step on the population, as the publish() query would group it."""
    names = list(rules)
    atom_of = [
        (p["status"], p["origin"], p["domicile"], p["site"], p["sex"], *(int(rules[r][0](p)) for r in names))
        for p in persons
    ]
    atoms = list(dict.fromkeys(atom_of))
    sizes = Counter(atom_of)
    known_in = Counter(a for a, k in zip(atom_of, known, strict=True) if k)
    compared = {r: None for r in names}
    cells = disclosure.cells_of(atoms, names, compared)
    audit = disclosure.Audit(
        cells,
        np.array([sizes[a] for a in atoms], float),
        np.array([known_in[a] for a in atoms], float),
        {},
    )
    hidden = disclosure.protect(audit)
    return {k: None if k in hidden else audit.value(k) for k in cells}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(populations())
def test_no_hidden_cell_can_be_narrowed_below_the_threshold(population):
    persons, known = population
    rules = {name: (new, None) for name, (new, _) in RULES.items()}
    for caller_known in ([False] * len(persons), known):  # a viewer, then a partner
        published = _protected(persons, caller_known, rules)
        assert interval_audit(persons, caller_known, published, rules) == []
    # For the viewer no count from 1 to THRESHOLD-1 is ever shown.
    published = _protected(persons, [False] * len(persons), rules)
    assert all(count is None or count == 0 or count >= THRESHOLD for count in published.values())
    AUDITED["populations"] += 1


# --- through the API: every table a viewer or partner can request -----------------------------------


async def _import(client, callers, site_id: str, rows: list[tuple[str, str]]) -> None:
    lines = ["full_name,legal_basis,origin_region_code,sex,domicile_region_code"]
    lines += [f"Warga Uji {n},public_task,{origin},{sex},53.71" for n, (origin, sex) in enumerate(rows)]
    response = await post_csv(client, callers, site_id, ("\n".join(lines) + "\n").encode())
    assert response.status_code == 200, response.text


async def _everything(client, caller, rule_sets: dict[str, str]) -> dict:
    """Every count the caller can request, keyed like the audit's cells."""
    stats = await client.get(STATS, headers=caller.headers)
    assert stats.status_code == 200, stats.text
    body = stats.json()
    published = {("total", "total"): body["total"]["count"]}
    for table in TABLES:
        published.update({(table, c["key"]): c["count"] for c in body[table]})
    for name, (program_id, rule_set_id) in rule_sets.items():
        url = f"{PROGRAMS}/{program_id}/rule-sets/{rule_set_id}/simulate"
        sim = await client.post(url, json={}, headers=caller.headers)
        assert sim.status_code == 200, sim.text
        result = sim.json()
        assert result["total"] == body["total"]["count"]  # one population everywhere
        for cell in ("eligible", "ineligible", "newly_eligible", "newly_ineligible"):
            if result["compared_with"] is not None or cell in ("eligible", "ineligible"):
                published[(f"sim:{name}", cell)] = result[cell]
    return published


async def _persons(client, callers) -> list[dict]:
    """What the test made, from the officer's exact view (status, origin, domicile, site, sex)."""
    response = await client.get(PERSONS, params={"limit": 200}, headers=callers.officer.headers)
    assert response.status_code == 200, response.text
    return [
        {
            "id": p["id"],
            "status": p["status"],
            "origin": p["origin_region_code"],
            "domicile": p["domicile_region_code"],
            "site": p["site_id"],
            "sex": p["sex"],
        }
        for p in response.json()["items"]
        if not p.get("erased") and not p.get("restricted")
    ]


async def test_a_hidden_regency_is_not_its_province_minus_the_visible_ones(client, callers):
    """Finding 3: province 52 = 9, regency 52.01 = 6 visible, so the hidden 52.02 was 3."""
    site = await make_site(client, callers)
    rows = [("52.01", "female")] * 6 + [("52.02", "female")] * 3
    rows += [("53.01", "female")] * 5 + [("53.02", "male")] * 20
    await _import(client, callers, site["id"], rows)
    ntb, ntb_rule = await active_program(client, callers, NTB_ONLY)
    women = await make_rule_set(client, callers, ntb["id"], FEMALE_ONLY)
    rule_sets = {"ntb": (ntb["id"], ntb_rule["id"]), "women": (ntb["id"], women["id"])}
    persons = [{k: v for k, v in p.items() if k != "id"} for p in await _persons(client, callers)]
    rules = {
        "ntb": (
            lambda p: (p["origin"] or "").startswith("52"),
            lambda p: (p["origin"] or "").startswith("52"),
        ),
        "women": (lambda p: p["sex"] == "female", lambda p: (p["origin"] or "").startswith("52")),
    }
    for caller in (callers.viewer, callers.partner_a):
        published = await _everything(client, caller, rule_sets)
        assert published[("by_origin_regency", "52.02")] is None
        assert interval_audit(persons, [False] * len(persons), published, rules) == []


async def test_a_partner_s_own_referrals_do_not_narrow_what_is_hidden(client, callers):
    """The partner knows its referred persons: they are lower bounds in the audit, and still no leak."""
    site = await make_site(client, callers)
    rows = [("52.01", "female")] * 7 + [("52.02", "male")] * 3 + [("53.01", "female")] * 8
    await _import(client, callers, site["id"], rows)
    made = await _persons(client, callers)
    referred = {p["id"] for p in made if p["origin"] == "52.02"}
    referred |= {next(p["id"] for p in made if p["origin"] == "52.01")}
    for person_id in referred:
        await refer(client, callers, person_id, callers.agency_a)
    persons = [{k: v for k, v in p.items() if k != "id"} for p in made]
    known = [p["id"] in referred for p in made]
    published = await _everything(client, callers.partner_a, {})
    assert interval_audit(persons, known, published, {}) == []


async def test_filters_are_refused_to_partners_and_viewers(client, callers):
    """Fixed tables: no site_id on statistics, no site_id or as_of on simulations (finding 12)."""
    site = await make_site(client, callers)
    program, active = await active_program(client, callers)
    url = f"{PROGRAMS}/{program['id']}/rule-sets/{active['id']}/simulate"
    for caller in (callers.viewer, callers.partner_a):
        response = await client.get(STATS, params={"site_id": site["id"]}, headers=caller.headers)
        assert response.status_code == 403 and response.json()["type"].endswith("filter-not-available")
        for body in ({"as_of": "2025-06-01"}, {"site_id": site["id"]}):
            response = await client.post(url, json=body, headers=caller.headers)
            assert response.status_code == 403, response.text
    assert (
        await client.get(STATS, params={"site_id": site["id"]}, headers=callers.auditor.headers)
    ).status_code == 200


async def test_a_viewer_cannot_bisect_as_of_to_find_a_birth_date_and_is_audited(client, callers, session):
    """Finding 12: an age_years rule stepped over as_of gave a birth date in 37 requests."""
    site = await make_site(client, callers)
    for n in range(6):
        response = await client.post(
            PERSONS,
            json={
                "site_id": site["id"],
                "full_name": f"Warga Uji {n:03d}",
                "legal_basis": "public_task",
                "birth_date": f"2000-0{n + 1}-15",
            },
            headers=callers.officer.headers,
        )
        assert response.status_code == 201, response.text
    program, active = await active_program(
        client, callers, {"all": [{"fact": "age_years", "op": "gte", "value": 25}]}
    )
    url = f"{PROGRAMS}/{program['id']}/rule-sets/{active['id']}/simulate"
    answers = set()
    for as_of in ("2025-01-10", "2025-03-20", "2025-06-30", None):
        response = await client.post(
            url, json={} if as_of is None else {"as_of": as_of}, headers=callers.viewer.headers
        )
        if response.status_code == 200:
            answers.add((response.json()["as_of"], response.json()["eligible"]))
    assert len(answers) == 1  # one evaluation date: nothing to bisect
    [(as_of, _)] = answers
    assert date.fromisoformat(as_of).timetuple()[1:3] == (1, 1)
    events = (
        await session.scalars(select(AuditEvent).where(AuditEvent.action == "eligibility.simulate"))
    ).all()
    assert any(e.actor_role == "viewer" for e in events)


async def test_an_erasure_does_not_show_as_a_difference_between_two_totals(client, callers):
    """Finding 15: statistics counted erased persons, simulations did not (142 vs 141)."""
    site = await make_site(client, callers)
    await _import(client, callers, site["id"], [("53.01", "female")] * 8)
    program, active = await active_program(client, callers)
    url = f"{PROGRAMS}/{program['id']}/rule-sets/{active['id']}/simulate"
    [first, *_] = await _persons(client, callers)
    response = await client.post(
        f"{PERSONS}/{first['id']}/erasure", json={"reason": "pemeriksaan uji"}, headers=callers.admin.headers
    )
    assert response.status_code == 200, response.text
    for caller in (callers.viewer, callers.partner_b):
        stats = (await client.get(STATS, headers=caller.headers)).json()
        simulation = (await client.post(url, json={}, headers=caller.headers)).json()
        assert stats["total"]["count"] == simulation["total"] == 7
