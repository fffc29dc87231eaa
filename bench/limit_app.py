"""Reference ("limit") app: the API's own SQL for two endpoints, with nothing in between.

Raw Starlette + an asyncpg pool + orjson: the practical limit of a Python ASGI service for these
endpoints on this machine. The benchmark reports the API as a ratio to it, measured side by side.
Adapted from shared/bench/limit_app.py to our schema. Per request it runs, in one transaction,
exactly the statements the API runs for an officer on PostgreSQL (app.persons.reader; the
SQL text is SQLAlchemy's, and tests/test_bench_reference.py checks it against the app's):
resolve the bearer token (app.auth.service.RESOLVE), select the person with its active referrals
(queries.one) or a page (queries.page), insert the audit event into audit_events with
every column app.audit.service.record writes, for a page select the active referrals, commit.
It answers with the same JSON body (NIK and KK decrypted, as an officer sees them).

What it leaves out is the framework: dependency injection, pydantic validation and models, the
request-id middleware and its access log, and the metrics.

Run:  DSN=postgresql://postgres@127.0.0.1:5432/reintegrasi_bench REINTEGRASI_DATA_KEY=... \
      uvicorn bench.limit_app:app --port 8100 --no-access-log
"""

import base64
import hashlib
import hmac
import os
import time
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from functools import cache

import asyncpg
import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

DSN = os.environ.get("DSN", "postgresql://postgres@127.0.0.1:5432/reintegrasi_bench")
DATA_KEYS = {
    int(os.environ.get("REINTEGRASI_DATA_KEY_VERSION", "1")): os.environ.get("REINTEGRASI_DATA_KEY", "")
}
MAX_LIMIT = 200

OWNER_SQL = (
    "SELECT access_tokens.id, access_tokens.user_id, access_tokens.api_client_id,"
    " coalesce(users.role, api_clients.role) AS coalesce_1,"
    " coalesce(users.agency_id, api_clients.agency_id) AS coalesce_2, api_clients.allowed_networks \n"
    "FROM access_tokens LEFT OUTER JOIN users ON users.id = access_tokens.user_id"
    " LEFT OUTER JOIN api_clients ON api_clients.id = access_tokens.api_client_id"
    " LEFT OUTER JOIN agencies ON agencies.id = coalesce(users.agency_id, api_clients.agency_id) \n"
    "WHERE access_tokens.token_digest = $1::VARCHAR AND access_tokens.revoked_at IS NULL"
    " AND access_tokens.expires_at > $2::TIMESTAMP WITH TIME ZONE"
    " AND (users.id IS NOT NULL AND users.active OR api_clients.id IS NOT NULL AND api_clients.active)"
    " AND (agencies.id IS NULL OR agencies.active)"
    " AND (users.tokens_valid_after IS NULL OR access_tokens.created_at > users.tokens_valid_after)"
    " AND (api_clients.tokens_valid_after IS NULL"
    " OR access_tokens.created_at > api_clients.tokens_valid_after)"
    " AND (agencies.tokens_valid_after IS NULL OR access_tokens.created_at > agencies.tokens_valid_after)"
)
PERSON_COLUMNS = (
    "SELECT persons.site_id, persons.registration_seq, persons.registration_number, persons.full_name,"
    " persons.alias, persons.sex, persons.birth_date, persons.nik_ciphertext, persons.nik_blind_index,"
    " persons.nik_last4, persons.nik_region_code, persons.kk_ciphertext, persons.phone,"
    " persons.domicile_address, persons.origin_region_code, persons.domicile_region_code,"
    " persons.identity_document, persons.identity_verified, persons.identity_verified_at,"
    " persons.identity_verified_by, persons.legal_basis, persons.consent_at, persons.status,"
    " persons.status_changed_at, persons.restricted, persons.restricted_at, persons.erased_at,"
    " persons.notes, persons.created_by, persons.id, persons.version, persons.created_at,"
    " persons.updated_at"
)
REFERRAL_COLUMNS = (
    "referrals.person_id, referrals.agency_id, referrals.pseudonym, referrals.reason,"
    " referrals.referred_at, referrals.referred_by, referrals.ended_at"
)
# One person with its active referrals, in one query (app.persons.queries.one).
ONE_SQL = (
    PERSON_COLUMNS + ", " + REFERRAL_COLUMNS + " \nFROM persons LEFT OUTER JOIN referrals"
    " ON referrals.person_id = persons.id AND referrals.ended_at IS NULL \n"
    "WHERE persons.id = $1::UUID ORDER BY referrals.referred_at"
)
PAGE_SQL = (
    PERSON_COLUMNS + ", NULL AS anon_1 \nFROM persons \n"
    "WHERE persons.restricted IS false ORDER BY persons.id \n LIMIT $1::INTEGER"
)
PAGE_AFTER_SQL = (
    PERSON_COLUMNS + ", NULL AS anon_1 \nFROM persons \n"
    "WHERE persons.restricted IS false AND persons.id > $1::UUID ORDER BY persons.id \n LIMIT $2::INTEGER"
)


@cache
def referrals_sql(count: int) -> str:
    """The active referrals of a page of `count` persons (app.persons.queries.active_referrals)."""
    return (
        "SELECT " + REFERRAL_COLUMNS + " \nFROM referrals \n"
        "WHERE referrals.person_id IN (" + ", ".join(f"${i}::UUID" for i in range(1, count + 1)) + ")"
        " AND referrals.ended_at IS NULL ORDER BY referrals.referred_at"
    )


AUDIT_SQL = (
    "INSERT INTO audit_events (occurred_at, actor_kind, actor_id, actor_role, agency_id, action,"
    " resource_type, resource_id, person_ids, request_id, correlation_id, client_ip, peer_ip, outcome,"
    " status_code, reason, row_hash, id)"
    " VALUES ($1::TIMESTAMP WITH TIME ZONE, $2::VARCHAR, $3::UUID, $4::VARCHAR, $5::UUID, $6::VARCHAR,"
    " $7::VARCHAR, $8::VARCHAR, $9::UUID[], $10::VARCHAR, $11::VARCHAR, $12::VARCHAR, $13::VARCHAR,"
    " $14::VARCHAR, $15::INTEGER, $16::VARCHAR, $17::VARCHAR, $18::UUID)"
)
# The row hash of app.audit.chain: HMAC-SHA256 (key derived from the secret key) of the columns.
CHAIN_KEY = hmac.new(
    os.environ.get("REINTEGRASI_SECRET_KEY", "").encode(), b"reintegrasi audit chain", hashlib.sha256
).digest()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


pool: asyncpg.Pool | None = None
ciphers = {version: AESGCM(base64.urlsafe_b64decode(key)) for version, key in DATA_KEYS.items() if key}


def uuid7() -> uuid.UUID:
    millis = time.time_ns() // 1_000_000
    value = (millis & ((1 << 48) - 1)) << 80 | int.from_bytes(os.urandom(10)) & ((1 << 80) - 1)
    value = (value & ~(0xF << 76)) | (0x7 << 76)
    value = (value & ~(0x3 << 62)) | (0x2 << 62)
    return uuid.UUID(int=value)


def decrypt(blob: bytes | None, row_id: uuid.UUID, field: str) -> str | None:
    if blob is None:
        return None
    aad = row_id.bytes + field.encode()
    return ciphers[blob[0]].decrypt(blob[1:13], blob[13:], aad).decode()


def json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    content = orjson.dumps(body, default=str, option=orjson.OPT_UTC_Z)
    return Response(content, status_code=status, headers=headers, media_type="application/json")


def person_view(row: asyncpg.Record, referrals: list[asyncpg.Record]) -> dict[str, object]:
    """The officer's view of a person: the fields and order of app.persons.schemas.PersonRead."""
    person_id = row["id"]
    return {
        "view": "staff",
        "id": person_id,
        "registration_number": row["registration_number"],
        "site_id": row["site_id"],
        "full_name": row["full_name"],
        "alias": row["alias"],
        "sex": row["sex"],
        "birth_date": row["birth_date"],
        "birth_year": row["birth_date"].year if row["birth_date"] else None,
        "nik": decrypt(row["nik_ciphertext"], person_id, "nik"),
        "nik_region_code": row["nik_region_code"],
        "kk_number": decrypt(row["kk_ciphertext"], person_id, "kk_number"),
        "phone": row["phone"],
        "domicile_address": row["domicile_address"],
        "origin_region_code": row["origin_region_code"],
        "domicile_region_code": row["domicile_region_code"],
        "identity_document": row["identity_document"],
        "identity_verified": row["identity_verified"],
        "identity_verified_at": row["identity_verified_at"],
        "identity_verified_by": row["identity_verified_by"],
        "legal_basis": row["legal_basis"],
        "consent_at": row["consent_at"],
        "status": row["status"],
        "status_changed_at": row["status_changed_at"],
        "restricted": row["restricted"],
        "erased": row["erased_at"] is not None,
        "referrals": [
            {"agency_id": r["agency_id"], "reason": r["reason"], "referred_at": r["referred_at"]}
            for r in referrals
        ],
        "notes": row["notes"],
        "version": row["version"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "warnings": [],
    }


async def authenticate(con: asyncpg.Connection, request) -> asyncpg.Record | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    digest = hashlib.sha256(header[7:].encode()).hexdigest()
    owner = await con.fetchrow(OWNER_SQL, digest, datetime.now(UTC))
    # The API's source-network check of bound clients (the bench signs in as a user: none).
    return None if owner is not None and owner["allowed_networks"] is not None else owner


def _plain(value: object) -> object:
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        return (value - _EPOCH) // timedelta(microseconds=1)
    if isinstance(value, list):
        return [v.hex for v in value]
    return value


async def audit(con: asyncpg.Connection, request, owner: asyncpg.Record, action: str, **event) -> None:
    address = request.client.host if request.client else None
    values = [
        datetime.now(UTC),
        "user" if owner["user_id"] else "client",
        owner["user_id"] or owner["api_client_id"],
        owner["coalesce_1"],
        owner["coalesce_2"],
        action,
        "person",
        event.get("resource_id"),
        event["person_ids"],
        uuid.uuid4().hex,
        None,
        address,
        address,
        "success",
        None,
        None,
    ]
    event_id = uuid7()
    hashed = orjson.dumps([_plain(v) for v in (event_id, *values)])  # the columns in the chain's order
    await con.execute(AUDIT_SQL, *values, hmac.digest(CHAIN_KEY, hashed, "sha256").hex(), event_id)


async def referrals_of(con: asyncpg.Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, list]:
    found: dict[uuid.UUID, list] = {i: [] for i in ids}
    if ids:
        for r in await con.fetch(referrals_sql(len(ids)), *ids):
            found[r["person_id"]].append(r)
    return found


async def get_one(request) -> Response:
    try:
        ref = uuid.UUID(request.path_params["id"])
    except ValueError:
        return json({"title": "Unprocessable Content", "status": 422}, 422)
    async with pool.acquire() as con, con.transaction():
        owner = await authenticate(con, request)
        if owner is None:
            return json({"title": "Unauthorized", "status": 401}, 401)
        rows = await con.fetch(ONE_SQL, ref)
        if not rows:
            return json({"title": "Not Found", "status": 404}, 404)
        row = rows[0]
        if row["restricted"]:
            return json({"title": "Restricted record", "status": 403}, 403)
        await audit(con, request, owner, "person.read", resource_id=str(ref), person_ids=[row["id"]])
        referrals = {row["id"]: [r for r in rows if r["person_id"] is not None]}
    return json(person_view(row, referrals[row["id"]]), headers={"ETag": f'"{row["version"]}"'})


async def list_page(request) -> Response:
    try:
        limit = int(request.query_params.get("limit", 50))
        after = request.query_params.get("after")
        after_id = uuid.UUID(after) if after else None
    except ValueError:
        return json({"title": "Unprocessable Content", "status": 422}, 422)
    if not 1 <= limit <= MAX_LIMIT:
        return json({"title": "Unprocessable Content", "status": 422}, 422)
    async with pool.acquire() as con, con.transaction():
        owner = await authenticate(con, request)
        if owner is None:
            return json({"title": "Unauthorized", "status": 401}, 401)
        if after_id is None:
            rows = await con.fetch(PAGE_SQL, limit + 1)
        else:
            rows = await con.fetch(PAGE_AFTER_SQL, after_id, limit + 1)
        more, rows = len(rows) > limit, rows[:limit]
        ids = [r["id"] for r in rows]
        await audit(con, request, owner, "person.list", person_ids=ids)
        referrals = await referrals_of(con, ids)
    items = [person_view(r, referrals[r["id"]]) for r in rows]
    return json({"items": items, "next_cursor": str(ids[-1]) if more else None})


async def health(request) -> Response:
    return json({"status": "ok"})


async def _no_reset(con: asyncpg.Connection) -> None:
    """Every use is one closed transaction: nothing to reset (the API's pool sends nothing either)."""


@asynccontextmanager
async def lifespan(app):
    global pool
    size = int(os.environ.get("POOL", "20"))
    pool = await asyncpg.create_pool(
        DSN, min_size=min(10, size), max_size=size, reset=_no_reset, server_settings={"timezone": "UTC"}
    )
    yield
    await pool.close()


app = Starlette(
    routes=[
        Route("/health", health),
        Route("/api/v1/persons/{id}", get_one),
        Route("/api/v1/persons", list_page),
    ],
    lifespan=lifespan,
)
