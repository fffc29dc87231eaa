"""Agency rules: one name per region, deletion only when unreferenced, and the list filters."""

import uuid
from typing import Any

from sqlalchemy import func, select

from app.agencies.models import Agency
from app.security.policy import Role
from tests.factories import make_user

AGENCIES = "/api/v1/agencies"


async def _create(client, headers, **fields: Any):
    body = {"kind": "government", "region_code": "53.71"} | fields
    return await client.post(AGENCIES, json=body, headers=headers)


async def _names(client, headers, **params: Any) -> set[str]:
    response = await client.get(AGENCIES, params=params | {"limit": 200}, headers=headers)
    assert response.status_code == 200, response.text
    return {item["name"] for item in response.json()["items"]}


async def test_same_name_in_the_same_region_is_409_ignoring_case_and_spacing(client, session, callers):
    headers = callers.officer.headers
    first = await _create(client, headers, name="Dinas Sosial")
    assert first.status_code == 201, first.text

    again = await _create(client, headers, name=" dinas  SOSIAL", region_code="5371")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["type"] == "/problems/duplicate-agency"
    count = await session.scalar(
        select(func.count()).select_from(Agency).where(Agency.name_key == "dinas sosial")
    )
    await session.commit()
    assert count == 1

    elsewhere = await _create(client, headers, name="Dinas Sosial", region_code="53")
    assert elsewhere.status_code == 201
    assert elsewhere.json()["region_code"] == "53"
    other_city = await _create(client, headers, name="DINAS SOSIAL", region_code="53.01")
    assert other_city.status_code == 201


async def test_renaming_or_moving_into_a_taken_name_is_409(client, callers):
    headers = callers.officer.headers
    assert (await _create(client, headers, name="Dinas Sosial")).status_code == 201
    other = (await _create(client, headers, name="Dinas Sosial Provinsi", region_code="53")).json()
    url = f"{AGENCIES}/{other['id']}"

    moved = await client.patch(
        url, json={"region_code": "5371", "name": "DINAS sosial"}, headers={**headers, "If-Match": '"1"'}
    )
    assert moved.status_code == 409
    unchanged = (await client.get(url, headers=headers)).json()
    assert (unchanged["name"], unchanged["region_code"], unchanged["version"]) == (
        "Dinas Sosial Provinsi",
        "53",
        1,
    )

    renamed = await client.patch(url, json={"name": "Dinas  Sosial"}, headers={**headers, "If-Match": '"1"'})
    assert renamed.status_code == 200  # same name as the city's office, but another region


async def test_unknown_region_is_422(client, callers):
    response = await _create(
        client, callers.officer.headers, name="Lembaga Antah Berantah", region_code="99.99"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "region_code"]
    malformed = await _create(
        client, callers.officer.headers, name="Lembaga Kode Salah", region_code="KUPANG"
    )
    assert malformed.status_code == 422


async def test_delete_an_unreferenced_agency(client, callers):
    created = await _create(client, callers.officer.headers, name="Lembaga Sementara Uji")
    url = created.headers["location"]
    deleted = await client.delete(url, headers=callers.officer.headers)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await client.get(url, headers=callers.officer.headers)).status_code == 404
    assert (await client.delete(url, headers=callers.officer.headers)).status_code == 404


async def test_an_agency_a_user_belongs_to_cannot_be_deleted(client, session, callers):
    created = (await _create(client, callers.officer.headers, name="Lembaga Berpengguna Uji")).json()
    await make_user(session, Role.partner, uuid.UUID(created["id"]))
    await session.commit()
    url = f"{AGENCIES}/{created['id']}"

    refused = await client.delete(url, headers=callers.admin.headers)
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/agency-in-use"
    still = await client.get(url, headers=callers.admin.headers)
    assert still.status_code == 200
    assert still.json() == created

    # The partners' own agencies are referenced by their users too.
    assert (
        await client.delete(f"{AGENCIES}/{callers.agency_a.id}", headers=callers.admin.headers)
    ).status_code == 409
    assert (await client.get("/api/v1/me", headers=callers.partner_a.headers)).json()["agency_id"] == str(
        callers.agency_a.id
    )


async def test_filters_kind_active_region_and_text(client, callers):
    headers = callers.officer.headers
    for fields in (
        {"name": "Dinas Sosial Kota Kupang", "acronym": "DINSOS", "kind": "government"},
        {"name": "Yayasan Peduli Perempuan", "acronym": "YPP", "kind": "ngo", "active": False},
        {"name": "Polda Nusa Tenggara Timur", "kind": "police", "region_code": "53"},
    ):
        assert (await _create(client, headers, **fields)).status_code == 201
    alfa, beta = "Yayasan Uji Alfa", "Polres Uji Beta"  # the callers' agencies (ngo, police; 53.71)

    assert await _names(client, headers, kind="police") == {"Polda Nusa Tenggara Timur", beta}
    assert await _names(client, headers, kind="ngo") == {"Yayasan Peduli Perempuan", alfa}
    assert await _names(client, headers, active="false") == {"Yayasan Peduli Perempuan"}
    assert "Yayasan Peduli Perempuan" not in await _names(client, headers, active="true")
    assert await _names(client, headers, region_code="5371") == {
        "Dinas Sosial Kota Kupang",
        "Yayasan Peduli Perempuan",
        alfa,
        beta,
    }
    assert await _names(client, headers, region_code="53.71") == await _names(
        client, headers, region_code="5371"
    )
    assert await _names(client, headers, region_code="53") == {"Polda Nusa Tenggara Timur"}

    assert await _names(client, headers, q="dinsos") == {"Dinas Sosial Kota Kupang"}  # acronym
    assert await _names(client, headers, q="KUPANG") == {"Dinas Sosial Kota Kupang"}  # name
    assert await _names(client, headers, q="ypp") == {"Yayasan Peduli Perempuan"}
    assert await _names(client, headers, q="yayasan") == {"Yayasan Peduli Perempuan", alfa}
    assert await _names(client, headers, q="tidak ada") == set()
    assert await _names(client, headers, kind="ngo", active="true", q="yayasan") == {alfa}


async def test_text_search_treats_wildcards_literally(client, callers):
    assert (await _create(client, callers.officer.headers, name="Dinas Sosial")).status_code == 201
    for pattern in ("%", "_", "Dinas_Sosial"):
        assert await _names(client, callers.officer.headers, q=pattern) == set(), pattern


async def test_bad_filters_are_422(client, callers):
    for params in ({"kind": "sekte"}, {"region_code": "kupang"}, {"active": "mungkin"}, {"limit": 201}):
        response = await client.get(AGENCIES, params=params, headers=callers.viewer.headers)
        assert response.status_code == 422, params
