"""The service starts, migrates and answers on both databases."""


async def test_ready(client):
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_region_by_undotted_code(client, callers):
    response = await client.get("/api/v1/regions/5371", headers=callers.viewer.headers)
    assert response.status_code == 200
    assert response.json()["name"] == "Kota Kupang"


async def test_agency_create_and_read(client, callers):
    body = {"name": "Dinas Sosial Kota Kupang", "kind": "government", "region_code": "5371"}
    created = await client.post("/api/v1/agencies", json=body, headers=callers.officer.headers)
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    read = await client.get(location, headers=callers.partner_a.headers)
    assert read.status_code == 200
    assert read.json()["region_code"] == "53.71"
    assert read.headers["etag"] == '"1"'
