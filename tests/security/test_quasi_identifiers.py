"""Quasi-identifiers, tried as an attacker would: rebuild a NIK, or join two agencies' data sets.

A NIK is region (4 digits) + district (2) + birth date (6, day + 40 for women) + serial (4). An
auditor or a partner who reads the last four digits, the NIK's region and the full birth date is
left with at most 99 candidates. Every answer each role gets about the person is collected and the
candidates that remain are counted: at least 10,000 must remain. Two partner agencies referred the
same person must not share any identifier of the person they could join their data sets on.
"""

import itertools
import json
import uuid
from typing import Any

from app.security.crypto import pseudonym
from tests.coordination.helpers import make_batch, make_case, set_status
from tests.eligibility.helpers import active_program
from tests.factories import Callers
from tests.persons.helpers import make_person, make_site
from tests.persons.support import PERSONS, refer, synthetic_nik

API = "/api/v1"
NIK = synthetic_nik(9455, day=12, month=4, yy=95)  # region 53.71, district 02, 12 Apr 1995, female
NIK_REGION, BIRTH_DATE = "53.71", "1995-04-12"
DOMICILE, ORIGIN = "53.05", "53.14"  # what the person's record says: neither is the NIK's region
REGENCIES = 514  # Kemendagri regencies and cities: the region prefix an attacker must guess
AGE_RULE = {
    "all": [
        {"fact": "age_years", "op": "gte", "value": 18},
        {"fact": "nik_region_code", "op": "starts_with", "value": "53"},
    ]
}


def nik_candidates(answers: list[str]) -> int:
    """NIKs consistent with what the answers reveal, given the last 4 digits and the sex."""
    seen = "\n".join(answers)
    region = 1 if f'"{NIK_REGION}"' in seen or '"5371"' in seen else REGENCIES
    if f'"{BIRTH_DATE}"' in seen:
        dates = 1
    elif '"birth_year":1995' in seen.replace(" ", ""):
        dates = 365
    else:
        dates = 365 * 80
    return region * 99 * dates


async def _person(client, callers: Callers) -> dict[str, Any]:
    site = await make_site(client, callers)
    person = await make_person(
        client,
        callers,
        site["id"],
        full_name="Warga Uji Kuasi",
        nik=NIK,
        sex="female",
        birth_date=BIRTH_DATE,
        domicile_region_code=DOMICILE,
        origin_region_code=ORIGIN,
        identity_document="ktp",
        identity_verified=True,
    )
    await set_status(client, callers, person["id"], "verified")
    case = await make_case(
        client, callers, site["id"], region_code=ORIGIN, counterpart_id=callers.agency_b.id
    )
    batch = await make_batch(client, callers, case["id"], [person["id"]])
    await refer(client, callers, person["id"], callers.agency_a)
    await refer(client, callers, person["id"], callers.agency_b)
    program, _ = await active_program(client, callers, AGE_RULE)
    determined = await client.post(
        f"{API}/programs/{program['id']}/determinations", json={}, headers=callers.officer.headers
    )
    assert determined.status_code in (200, 201), determined.text
    return {"person": person, "case": case, "batch": batch, "program": program}


def _reads(world: dict[str, Any], ref: str) -> list[str]:
    program, case, batch = world["program"]["id"], world["case"]["id"], world["batch"]["id"]
    return [
        f"{PERSONS}/{ref}",
        PERSONS,
        f"{PERSONS}/{ref}/history",
        f"{PERSONS}/{ref}/access-log",
        f"{API}/coordinations/{case}/persons",
        f"{API}/coordinations/{case}/persons/{ref}",
        f"{API}/repatriations/{batch}/members",
        f"{API}/programs/{program}/eligibility/{ref}",
        f"{API}/programs/{program}/determinations",
        f"{PERSONS}/{ref}/change-requests",
    ]


async def _answers(client, caller, world: dict[str, Any], ref: str) -> list[str]:
    """Every 200 answer the caller gets about the person."""
    answers = []
    for url in _reads(world, ref):
        response = await client.get(url, headers=caller.headers)
        if response.status_code == 200:
            assert response.headers["cache-control"] == "no-store", url  # no copy kept on the way
            answers.append(json.dumps(response.json(), separators=(",", ":")))
    # Stepping the evaluation date of an age condition finds the birthday: try it.
    for day in ("1995-04-11", "2013-04-11", "2013-04-12"):
        url = f"{API}/programs/{world['program']['id']}/eligibility/{ref}"
        response = await client.get(url, params={"as_of": day}, headers=caller.headers)
        if response.status_code == 200:
            answers.append(json.dumps(response.json(), separators=(",", ":")))
            if not response.json()["eligible"] and day == "2013-04-11":
                answers.append(f'"{BIRTH_DATE}"')  # eligible from 2013-04-12: the birth date is known
    return answers


async def test_auditors_and_partners_cannot_rebuild_a_nik(client, callers):
    world = await _person(client, callers)
    real = world["person"]["id"]
    refs = {"auditor": real, "partner_b": str(pseudonym(uuid.UUID(real), callers.agency_b.id))}
    candidates = {}
    for name, ref in refs.items():
        caller = getattr(callers, name)
        answers = await _answers(client, caller, world, ref)
        assert answers, name
        assert NIK not in "".join(answers)
        candidates[name] = nik_candidates(answers)
    assert {name: n for name, n in candidates.items() if n < 10_000} == {}, candidates
    # The counting is not vacuous: staff, who may read the NIK, see all of it.
    staff = await _answers(client, callers.officer, world, real)
    assert nik_candidates(staff) == 99


async def test_two_agencies_share_no_identifier_of_the_person(client, callers):
    world = await _person(client, callers)
    real = uuid.UUID(world["person"]["id"])
    seen: dict[str, set[str]] = {}
    for name, agency in (("partner_a", callers.agency_a), ("partner_b", callers.agency_b)):
        ref = str(pseudonym(real, agency.id))
        answers = await _answers(client, getattr(callers, name), world, ref)
        seen[name] = set(itertools.chain.from_iterable(_identifiers(json.loads(a)) for a in answers))
        assert seen[name], name
    assert seen["partner_a"] & seen["partner_b"] == set()


def _identifiers(document: Any) -> set[str]:
    """Values that identify a person (its ids and numbers), anywhere in a document."""
    found: set[str] = set()
    if isinstance(document, list):
        for item in document:
            found |= _identifiers(item)
    elif isinstance(document, dict):
        for key, value in document.items():
            names_a_person = key in {"person_id", "registration_number"} or (
                key == "id" and "full_name" in document
            )
            if names_a_person and isinstance(value, str):
                found.add(value)
            found |= _identifiers(value)
    return found
