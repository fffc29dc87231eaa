"""Sign-in throttling that holds: atomic, per account and per client address, with backoff.

Every attempt first reserves a place on three keys, each in one atomic upsert that counts it
and answers whether the key is blocked: the client address (spraying many usernames from one
place), the account at that address (guessing one password), and the account from anywhere
(guessing from many places, with a far higher bound). A key's first failures are free; then it
is blocked for a backoff that doubles with each further attempt, never locked for good. Keys are
counted for unknown usernames exactly as for real ones, so a 429 tells nothing either.

The reservation commits on a connection of its own before the password is checked, so that
concurrent attempts on any worker see each other's counts; a success gives its place back.
"""

import asyncio
import hashlib
import hmac
import ipaddress
import math
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from anyio import to_thread
from sqlalchemy import Float, Integer, String, bindparam, case, delete, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from app.auth.errors import LoginThrottled
from app.auth.models import LoginThrottle
from app.config import Settings, get_settings
from app.errors import DurableWrite

T = TypeVar("T")
TABLE = LoginThrottle.__table__
_c = TABLE.c


@dataclass(frozen=True, slots=True)
class Key:
    """One throttled key: its digest, and how many failures it has for free."""

    digest: str
    free: int
    scope: str


def _digest(scope: str, value: str) -> str:
    secret = get_settings().secret_key.encode()
    return hmac.new(secret, f"throttle:{scope}:{value}".encode(), hashlib.sha256).hexdigest()


def place_of(address: str | None) -> str:
    """Where an attempt comes from, as throttled: the address, or for IPv6 its /64.

    One IPv6 subscriber holds a whole /64 (2^64 addresses): counted per address, spraying from it
    would never be throttled.
    """
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is the IPv4 address a.b.c.d
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def keys_for(kind: str, name: str, address: str | None) -> list[Key]:
    """The keys of an attempt, in the order they are reserved (address first: see `reserve`)."""
    settings = get_settings()
    subject = f"{kind}:{name.strip().lower()}"
    where = place_of(address)
    return [
        Key(_digest("address", where), settings.login_address_max_failures, "address"),
        Key(_digest("pair", f"{subject}@{where}"), settings.login_max_failures, "pair"),
        Key(_digest("account", subject), settings.login_account_max_failures, "account"),
    ]


def _upsert(dialect: str) -> Any:
    """Count one attempt on a key unless it is blocked; RETURNING says which happened."""
    now = bindparam("now", type_=Float)
    free = bindparam("free", type_=Integer)
    base = bindparam("base", type_=Float)
    cap = bindparam("cap", type_=Float)
    blocked = _c.blocked_until > now
    stale = _c.last_at < bindparam("cutoff", type_=Float)
    count = case((stale, 1), else_=_c.failures + 1)
    doubled = case((_c.delay_seconds * 2 > cap, cap), else_=_c.delay_seconds * 2)
    grown = case((or_(stale, _c.delay_seconds <= 0), base), else_=doubled)
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(TABLE).values(
        key=bindparam("key", type_=String),
        failures=1,
        delay_seconds=bindparam("first_delay", type_=Float),
        last_at=now,
        blocked_until=bindparam("first_block", type_=Float),
        attempt=bindparam("attempt", type_=String),
    )
    return insert.on_conflict_do_update(
        index_elements=[_c.key],
        set_={
            "failures": case((blocked, _c.failures), else_=count),
            "delay_seconds": case((blocked, _c.delay_seconds), (count >= free, grown), else_=0.0),
            "blocked_until": case((blocked, _c.blocked_until), (count >= free, now + grown), else_=0.0),
            "last_at": case((blocked, _c.last_at), else_=now),
            "attempt": case((blocked, _c.attempt), else_=bindparam("attempt", type_=String)),
        },
    ).returning(_c.attempt, _c.blocked_until)


_UPSERTS = {dialect: _upsert(dialect) for dialect in ("postgresql", "sqlite")}


def _now() -> float:
    return time.time()


def _params(key: Key, now: float, attempt: str, settings: Settings) -> dict[str, Any]:
    base, first_blocks = settings.login_backoff_base_seconds, key.free <= 1
    return {
        "key": key.digest,
        "attempt": attempt,
        "now": now,
        "free": key.free,
        "base": base,
        "cap": settings.login_backoff_max_seconds,
        "cutoff": now - settings.login_window_seconds,
        "first_delay": base if first_blocks else 0.0,
        "first_block": now + base if first_blocks else 0.0,
    }


async def reserve(engine: AsyncEngine, keys: list[Key]) -> None:
    """Count this attempt on each key, in its own committed transaction; 429 at the first blocked one.

    Keys after a blocked one are left alone: an attacker refused at their address cannot push
    the victims' account keys up, and one refused on an account cannot raise its global key.
    """
    async with engine.begin() as connection:
        retry_after = await _count(connection, engine.dialect.name, keys)
    # Raised after the commit: the earlier keys keep this attempt's count.
    if retry_after is not None:
        raise LoginThrottled(retry_after)


async def reserve_in(session: AsyncSession, keys: list[Key]) -> DurableWrite:
    """`reserve` in the session's own transaction, for a request that already holds it (SQLite's
    writer lock, above all); returns the write that keeps the count once a failure rolls it back.
    """
    dialect = session.bind.dialect.name

    async def count_again(durable: AsyncSession) -> None:
        await _count(durable, dialect, keys)

    retry_after = await _count(session, dialect, keys)
    if retry_after is not None:
        raise LoginThrottled(retry_after, durable=[count_again])
    return count_again


async def _count(connection: AsyncConnection | AsyncSession, dialect: str, keys: list[Key]) -> int | None:
    """Count the attempt on each key up to a blocked one; that key's seconds to wait, or None."""
    settings, now, attempt = get_settings(), _now(), secrets.token_hex(8)
    statement = _UPSERTS[dialect]
    for key in keys:
        params = _params(key, now, attempt, settings)
        counted, blocked_until = (await connection.execute(statement, params)).one()
        if counted != attempt:  # the row kept an earlier attempt's mark: it was blocked
            return max(1, math.ceil(blocked_until - now))
    return None


async def succeeded(session: AsyncSession, keys: list[Key]) -> None:
    """A successful sign-in: the account's keys start over, the address gets its place back."""
    for key in keys:
        if key.scope == "address":
            await session.execute(
                update(LoginThrottle)
                .where(LoginThrottle.key == key.digest, LoginThrottle.failures > 0)
                .values(
                    failures=LoginThrottle.failures - 1,
                    # Only a block this very attempt set is lifted (the count is back under the bound).
                    blocked_until=case(
                        (LoginThrottle.failures - 1 < key.free, 0.0), else_=LoginThrottle.blocked_until
                    ),
                    delay_seconds=case(
                        (LoginThrottle.failures - 1 < key.free, 0.0), else_=LoginThrottle.delay_seconds
                    ),
                )
            )
        else:
            await session.execute(delete(LoginThrottle).where(LoginThrottle.key == key.digest))


async def purge(session: AsyncSession) -> int:
    """Delete keys quiet for a day and no longer blocked."""
    cutoff = _now() - 86400
    result = await session.execute(
        delete(LoginThrottle).where(LoginThrottle.last_at < cutoff, LoginThrottle.blocked_until < cutoff)
    )
    return result.rowcount or 0


# --- hashing, bounded ---------------------------------------------------------------------------

_in_flight: dict[str, int] = {}
_gates: dict[int, asyncio.Semaphore] = {}


def _gate(size: int) -> asyncio.Semaphore:
    gate = _gates.get(size)
    if gate is None:
        gate = _gates[size] = asyncio.Semaphore(size)
    return gate


@asynccontextmanager
async def _hashing_slot(address: str | None) -> AsyncIterator[None]:
    settings = get_settings()
    where = place_of(address)
    if _in_flight.get(where, 0) >= settings.login_hash_per_address:
        raise LoginThrottled(1)
    _in_flight[where] = _in_flight.get(where, 0) + 1
    try:
        async with _gate(settings.login_hash_concurrency):
            yield
    finally:
        _in_flight[where] -= 1
        if not _in_flight[where]:
            del _in_flight[where]


async def hash_bounded(address: str | None, work: Callable[..., T], *args: Any) -> T:
    """Run Argon2 `work` in a thread, within the worker's and the address's bound (else 429)."""
    async with _hashing_slot(address):
        return await to_thread.run_sync(work, *args)
