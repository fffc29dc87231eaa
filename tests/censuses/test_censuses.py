"""Census rounds: recording presence and reconciling with the round before."""

import pytest

from tests.persons.helpers import make_person, make_site


async def open_round(client, callers, site_id, name, held_on):
    response = await client.post(
        f"/api/v1/sites/{site_id}/censuses",
        json={"name": name, "held_on": held_on},
        headers=callers.officer.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def observe(client, callers, site_id, census_id, presence_by_person):
    body = {"observations": [{"person_id": p, "presence": v} for p, v in presence_by_person.items()]}
    return await client.post(
        f"/api/v1/sites/{site_id}/censuses/{census_id}/observations",
        json=body,
        headers=callers.officer.headers,
    )


async def test_reconciliation_against_previous_round(client, callers):
    site = await make_site(client, callers)
    stays, leaves, arrives = [(await make_person(client, callers, site["id"]))["id"] for _ in range(3)]
    initial = await open_round(client, callers, site["id"], "initial", "2018-10-30")
    final = await open_round(client, callers, site["id"], "final", "2018-11-20")
    first = await observe(client, callers, site["id"], initial["id"], {stays: "present", leaves: "present"})
    assert first.json() == {"recorded": 2, "present": 2, "absent": 0}
    await observe(
        client, callers, site["id"], final["id"], {stays: "present", leaves: "absent", arrives: "present"}
    )

    report = await client.get(
        f"/api/v1/sites/{site['id']}/censuses/{final['id']}/reconciliation", headers=callers.auditor.headers
    )
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["previous_census_id"], body["first_round"]) == (initial["id"], False)
    assert body["still_present"] == [stays]
    assert body["missing"] == [leaves]
    assert body["new"] == [arrives]
    assert body["absent"] == [leaves]
    assert body["counts_by_status"] == {"registered": 2}
    # Absence flags, it does not change the status.
    person = await client.get(f"/api/v1/persons/{leaves}", headers=callers.officer.headers)
    assert person.json()["status"] == "registered"


async def test_first_round_has_no_previous(client, callers):
    site = await make_site(client, callers)
    person = await make_person(client, callers, site["id"])
    initial = await open_round(client, callers, site["id"], "initial", "2018-10-30")
    await observe(client, callers, site["id"], initial["id"], {person["id"]: "present"})
    report = await client.get(
        f"/api/v1/sites/{site['id']}/censuses/{initial['id']}/reconciliation", headers=callers.officer.headers
    )
    body = report.json()
    assert (body["previous_census_id"], body["first_round"]) == (None, True)
    # The baseline: everyone present is new, nobody is still present or missing.
    assert (body["new"], body["still_present"], body["missing"]) == ([person["id"]], [], [])


async def test_person_of_another_site_is_422_and_nothing_recorded(client, callers):
    site = await make_site(client, callers)
    other = await make_site(client, callers, code="XX")
    ours = await make_person(client, callers, site["id"])
    theirs = await make_person(client, callers, other["id"])
    census = await open_round(client, callers, site["id"], "initial", "2018-10-30")
    response = await observe(
        client, callers, site["id"], census["id"], {ours["id"]: "present", theirs["id"]: "present"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "observations", 1, "person_id"]
    report = await client.get(
        f"/api/v1/sites/{site['id']}/censuses/{census['id']}/reconciliation", headers=callers.officer.headers
    )
    assert report.json()["present_count"] == 0


@pytest.mark.parametrize("caller", ["partner_a", "viewer"])
async def test_partners_and_viewers_do_not_see_censuses(client, callers, caller):
    site = await make_site(client, callers)
    response = await client.get(
        f"/api/v1/sites/{site['id']}/censuses", headers=getattr(callers, caller).headers
    )
    assert response.status_code == 403


async def test_duplicate_round_name_is_409(client, callers):
    site = await make_site(client, callers)
    await open_round(client, callers, site["id"], "initial", "2018-10-30")
    again = await client.post(
        f"/api/v1/sites/{site['id']}/censuses",
        json={"name": "initial", "held_on": "2018-10-31"},
        headers=callers.officer.headers,
    )
    assert again.status_code == 409
