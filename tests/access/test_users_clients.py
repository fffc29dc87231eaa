"""Users and API clients (admin only), and /me for both kinds of caller."""

import uuid

from sqlalchemy import func, select, update

from app.agencies.models import Agency
from app.clients.models import ApiClient
from app.security.policy import POLICY, Role
from app.users.models import User
from tests.access import PASSWORD, api_client, bearer, client_grant, password_grant, password_user, sign_in
from tests.factories import make_token


def _new_user(**fields: object) -> dict[str, object]:
    body: dict[str, object] = {
        "username": f"petugas.{uuid.uuid4().hex[:8]}",
        "full_name": "Petugas Uji Baru",
        "password": PASSWORD,
        "role": "officer",
    }
    return body | fields


async def _user_count(session) -> int:
    count = await session.scalar(select(func.count()).select_from(User))
    await session.commit()
    return count


# --- users ----------------------------------------------------------------------------------


async def test_admin_creates_reads_and_lists_users(client, callers):
    body = _new_user(role="partner", agency_id=str(callers.agency_a.id))
    created = await client.post("/api/v1/users", json=body, headers=callers.admin.headers)
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["username"] == body["username"]
    assert user["role"] == "partner"
    assert user["agency_id"] == str(callers.agency_a.id)
    assert user["active"] is True
    assert user["version"] == 1
    assert not {"password", "password_hash"} & set(user)
    assert created.headers["location"] == f"/api/v1/users/{user['id']}"

    read = await client.get(created.headers["location"], headers=callers.admin.headers)
    assert read.status_code == 200
    assert read.json() == user
    assert read.headers["etag"] == '"1"'

    listed = await client.get("/api/v1/users", headers=callers.admin.headers)
    assert listed.status_code == 200
    ids = {item["id"] for item in listed.json()["items"]}
    assert {user["id"], str(callers.admin.user.id), str(callers.viewer.user.id)} <= ids

    partners = await client.get("/api/v1/users", params={"role": "partner"}, headers=callers.admin.headers)
    assert {item["id"] for item in partners.json()["items"]} == {
        user["id"],
        str(callers.partner_a.user.id),
        str(callers.partner_b.user.id),
    }

    # The new user can sign in with the password given.
    assert (await password_grant(client, body["username"], PASSWORD)).status_code == 200


async def test_partner_needs_a_known_active_agency(client, session, callers):
    before = await _user_count(session)
    missing = await client.post(
        "/api/v1/users", json=_new_user(role="partner"), headers=callers.admin.headers
    )
    assert missing.status_code == 422
    assert missing.json()["errors"] == [
        {"loc": ["body", "agency_id"], "msg": "required for the partner role"}
    ]

    unknown = await client.post(
        "/api/v1/users",
        json=_new_user(role="partner", agency_id=str(uuid.uuid4())),
        headers=callers.admin.headers,
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["body", "agency_id"]
    assert await _user_count(session) == before


async def test_duplicate_username_is_409(client, session, callers):
    body = _new_user(username="petugas.kembar")
    assert (await client.post("/api/v1/users", json=body, headers=callers.admin.headers)).status_code == 201
    before = await _user_count(session)
    again = await client.post(
        "/api/v1/users", json=_new_user(username="Petugas.Kembar"), headers=callers.admin.headers
    )
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert await _user_count(session) == before


async def test_unknown_fields_are_refused(client, callers):
    body = _new_user(password_hash="$argon2id$palsu")
    response = await client.post("/api/v1/users", json=body, headers=callers.admin.headers)
    assert response.status_code == 422


async def test_unknown_user_is_404(client, callers):
    response = await client.get(f"/api/v1/users/{uuid.uuid4()}", headers=callers.admin.headers)
    assert response.status_code == 404


async def test_patching_a_user_needs_a_current_if_match(client, callers):
    url = f"/api/v1/users/{callers.viewer.user.id}"
    change = {"full_name": "Petugas Uji Diubah"}
    assert (await client.patch(url, json=change, headers=callers.admin.headers)).status_code == 428
    stale = await client.patch(url, json=change, headers={**callers.admin.headers, "If-Match": '"7"'})
    assert stale.status_code == 412

    done = await client.patch(url, json=change, headers={**callers.admin.headers, "If-Match": '"1"'})
    assert done.status_code == 200, done.text
    assert done.json()["full_name"] == "Petugas Uji Diubah"
    assert done.json()["version"] == 2
    assert done.headers["etag"] == '"2"'

    replay = await client.patch(
        url, json={"role": "auditor"}, headers={**callers.admin.headers, "If-Match": '"1"'}
    )
    assert replay.status_code == 412
    assert (await client.get(url, headers=callers.admin.headers)).json()["role"] == "viewer"


async def test_patch_refuses_null_for_required_fields(client, callers):
    url = f"/api/v1/users/{callers.viewer.user.id}"
    response = await client.patch(
        url, json={"role": None}, headers={**callers.admin.headers, "If-Match": '"1"'}
    )
    assert response.status_code == 422


async def test_the_last_active_admin_cannot_be_deactivated_or_demoted(client, session, callers):
    url = f"/api/v1/users/{callers.admin.user.id}"
    headers = {**callers.admin.headers, "If-Match": '"1"'}
    for change in ({"active": False}, {"role": "officer"}):
        response = await client.patch(url, json=change, headers=headers)
        assert response.status_code == 409, change
        assert response.json()["type"] == "/problems/last-admin"

    # With a second active admin, the first may be demoted; then the second is the last.
    second, second_token = await make_token(session, Role.admin)
    await session.commit()
    assert (await client.patch(url, json={"role": "officer"}, headers=headers)).status_code == 200
    last = await client.patch(
        f"/api/v1/users/{second.id}",
        json={"active": False},
        headers={**bearer(second_token), "If-Match": '"1"'},
    )
    assert last.status_code == 409
    assert (await client.get("/api/v1/me", headers=bearer(second_token))).status_code == 200


async def test_inactive_admins_do_not_count_as_another_admin(client, session, callers):
    sleeper, _ = await make_token(session, Role.admin)
    await session.execute(update(User).where(User.id == sleeper.id).values(active=False))
    await session.commit()
    response = await client.patch(
        f"/api/v1/users/{callers.admin.user.id}",
        json={"active": False},
        headers={**callers.admin.headers, "If-Match": '"1"'},
    )
    assert response.status_code == 409


async def test_users_of_a_deactivated_agency_can_still_be_deactivated(client, session, callers):
    await session.execute(update(Agency).where(Agency.id == callers.agency_a.id).values(active=False))
    await session.commit()
    response = await client.patch(
        f"/api/v1/users/{callers.partner_a.user.id}",
        json={"active": False},
        headers={**callers.admin.headers, "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    assert (await client.get("/api/v1/me", headers=callers.partner_a.headers)).status_code == 401

    # Moving someone into the inactive agency is still refused.
    moved = await client.patch(
        f"/api/v1/users/{callers.partner_b.user.id}",
        json={"agency_id": str(callers.agency_a.id)},
        headers={**callers.admin.headers, "If-Match": '"1"'},
    )
    assert moved.status_code == 422


# --- API clients ----------------------------------------------------------------------------


async def test_client_secret_is_shown_once_and_works(client, callers):
    body = {"name": "Sistem Mitra Alfa", "role": "partner", "agency_id": str(callers.agency_a.id)}
    created = await client.post("/api/v1/api-clients", json=body, headers=callers.admin.headers)
    assert created.status_code == 201, created.text
    made = created.json()
    secret = made["client_secret"]
    assert made["client_id"].startswith("rc_")
    assert len(secret) >= 40
    assert "secret_hash" not in made

    read = await client.get(created.headers["location"], headers=callers.admin.headers)
    assert read.status_code == 200
    assert "client_secret" not in read.json()
    assert "secret_hash" not in read.json()
    assert secret not in read.text
    assert read.json()["client_id"] == made["client_id"]

    listed = await client.get("/api/v1/api-clients", headers=callers.admin.headers)
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["items"]] == [made["id"]]
    assert secret not in listed.text
    assert "client_secret" not in listed.json()["items"][0]

    token = await client_grant(client, made["client_id"], secret)
    assert token.status_code == 200
    me = await client.get("/api/v1/me", headers=bearer(token.json()["access_token"]))
    assert me.json() == {
        "kind": "client",
        "id": made["id"],
        "name": "Sistem Mitra Alfa",
        "role": "partner",
        "agency_id": str(callers.agency_a.id),
        "permissions": sorted(p for p, roles in POLICY.items() if Role.partner in roles),
    }


async def test_partner_client_needs_an_agency(client, session, callers):
    response = await client.post(
        "/api/v1/api-clients",
        json={"name": "Sistem Tanpa Lembaga", "role": "partner"},
        headers=callers.admin.headers,
    )
    assert response.status_code == 422
    assert await session.scalar(select(func.count()).select_from(ApiClient)) == 0
    await session.commit()


async def test_rotating_a_secret_retires_the_old_secret_and_its_tokens(client, session, callers):
    api, old_secret = await api_client(session, Role.officer)
    old_token = (await client_grant(client, api.client_id, old_secret)).json()["access_token"]

    rotated = await client.post(f"/api/v1/api-clients/{api.id}/secret", headers=callers.admin.headers)
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["client_secret"]
    assert new_secret != old_secret
    assert rotated.json()["client_id"] == api.client_id

    assert (await client.get("/api/v1/me", headers=bearer(old_token))).status_code == 401
    assert (await client_grant(client, api.client_id, old_secret)).status_code == 401
    fresh = await client_grant(client, api.client_id, new_secret)
    assert fresh.status_code == 200
    assert (await client.get("/api/v1/me", headers=bearer(fresh.json()["access_token"]))).status_code == 200


async def test_patching_a_client_and_deactivating_it(client, session, callers):
    api, secret = await api_client(session, Role.officer)
    token = (await client_grant(client, api.client_id, secret)).json()["access_token"]
    url = f"/api/v1/api-clients/{api.id}"

    assert (await client.patch(url, json={"active": False}, headers=callers.admin.headers)).status_code == 428
    renamed = await client.patch(
        url, json={"name": "Sistem Mitra Diubah"}, headers={**callers.admin.headers, "If-Match": '"1"'}
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Sistem Mitra Diubah"
    assert renamed.headers["etag"] == '"2"'

    off = await client.patch(
        url, json={"active": False}, headers={**callers.admin.headers, "If-Match": '"2"'}
    )
    assert off.status_code == 200
    assert (await client.get("/api/v1/me", headers=bearer(token))).status_code == 401
    assert (await client_grant(client, api.client_id, secret)).status_code == 401


async def test_clients_of_a_deactivated_agency_can_still_be_deactivated(client, session, callers):
    api, _ = await api_client(session, Role.partner, agency_id=callers.agency_b.id)
    await session.execute(update(Agency).where(Agency.id == callers.agency_b.id).values(active=False))
    await session.commit()
    response = await client.patch(
        f"/api/v1/api-clients/{api.id}",
        json={"active": False},
        headers={**callers.admin.headers, "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False


async def test_unknown_client_is_404(client, callers):
    assert (
        await client.get(f"/api/v1/api-clients/{uuid.uuid4()}", headers=callers.admin.headers)
    ).status_code == 404
    rotate = await client.post(f"/api/v1/api-clients/{uuid.uuid4()}/secret", headers=callers.admin.headers)
    assert rotate.status_code == 404


# --- /me ------------------------------------------------------------------------------------


async def test_me_describes_each_role(client, callers):
    for name, caller in callers.by_name().items():
        response = await client.get("/api/v1/me", headers=caller.headers)
        assert response.status_code == 200, name
        role = Role(caller.user.role)
        assert response.json() == {
            "kind": "user",
            "id": str(caller.user.id),
            "name": caller.user.full_name,
            "role": role.value,
            "agency_id": str(caller.user.agency_id) if caller.user.agency_id else None,
            "permissions": sorted(p for p, roles in POLICY.items() if role in roles),
        }
    assert (await client.get("/api/v1/me", headers=callers.partner_b.headers)).json()["agency_id"] == str(
        callers.agency_b.id
    )


async def test_me_after_password_sign_in(client, session, callers):
    user = await password_user(session, Role.partner, agency_id=callers.agency_b.id)
    me = await client.get("/api/v1/me", headers=bearer(await sign_in(client, user.username)))
    assert me.status_code == 200
    assert me.json()["name"] == "Petugas Uji Sandi"
    assert me.json()["agency_id"] == str(callers.agency_b.id)
    assert "users:manage" not in me.json()["permissions"]
    assert (await client.get("/api/v1/me")).status_code == 401
