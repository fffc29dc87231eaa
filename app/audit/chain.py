"""Tamper evidence for the audit trail: row hashes, seals over batches, and anchors outside the database.

- Every event stores its own `row_hash` at insert: an HMAC (the chain key, which the database
  does not hold) of its columns. Computed in the process that writes the row: nothing is shared
  between requests, so the hot path is not serialized.
- A sealing step (the webhook worker's loop, `python -m app audit seal`) seals the events after
  the last seal, in id order, in batches: each seal stores the batch's bounds and count, a digest
  of its row hashes and the previous seal's hash, and its own hash (HMAC). Only events older than
  `audit_seal_delay_seconds` are sealed (on PostgreSQL, older than every open transaction too),
  so that an event committed late cannot land inside a range already sealed.
- The head (the last seal) is appended, signed, to a file and/or POSTed to a URL outside the
  database: a rewrite of the whole tail, seals included, no longer matches it.
- `verify` walks the seals and their events and reports the first break.
"""

import asyncio
import base64
import hashlib
import hmac
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.models import AuditEvent, AuditSeal
from app.config import Settings, get_settings
from app.orm import utcnow

log = logging.getLogger("app.audit")

# The columns a row hash covers, in this order. A new column of audit_events belongs here too.
HASHED = (
    "id", "occurred_at", "actor_kind", "actor_id", "actor_role", "agency_id", "action",
    "resource_type", "resource_id", "person_ids", "request_id", "correlation_id", "client_ip",
    "peer_ip", "outcome", "status_code", "reason",
)  # fmt: skip
GENESIS = "0" * 64  # the "previous hash" of the first seal
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@lru_cache
def _keys(secret_key: str, audit_key: str | None) -> tuple[bytes, bytes]:
    """(chain key, anchor key): the configured audit key, or else derived from the secret key."""
    root = base64.urlsafe_b64decode(audit_key) if audit_key else secret_key.encode()

    def derive(label: bytes) -> bytes:
        return hmac.new(root, label, hashlib.sha256).digest()

    return derive(b"reintegrasi audit chain"), derive(b"reintegrasi audit anchor")


def keys(settings: Settings | None = None) -> tuple[bytes, bytes]:
    settings = settings or get_settings()
    return _keys(settings.secret_key, settings.audit_key)


def _plain(value: Any) -> Any:
    """A column's value as the same JSON whichever database and driver it was read from."""
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        return (value - _EPOCH) // _MICROSECOND
    if isinstance(value, list):  # person_ids: UUIDs, or their text before the driver converts them
        return [(v if isinstance(v, uuid.UUID) else uuid.UUID(str(v))).hex for v in value]
    return value


def row_hash(event: Mapping[str, Any], key: bytes | None = None) -> str:
    """The HMAC-SHA256 of an event's columns (a dict, or a row read back by attribute)."""
    values = [_plain(event[name]) for name in HASHED]
    return hmac.digest(key or keys()[0], orjson.dumps(values), "sha256").hex()  # one call into OpenSSL


def _row_of(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in HASHED}


def seal_hash(seal: AuditSeal | Mapping[str, Any], key: bytes) -> str:
    """The HMAC of a seal's fields, the previous seal's hash among them."""
    get = seal.get if isinstance(seal, Mapping) else lambda name: getattr(seal, name)
    fields = [
        _plain(get(name))
        for name in ("id", "first_event_id", "last_event_id", "event_count", "events_digest", "previous_hash")
    ]
    return hmac.digest(key, orjson.dumps(fields), "sha256").hex()


def _digest(hashes: Sequence[str]) -> str:
    return hashlib.sha256("".join(hashes).encode()).hexdigest()


def _id_floor(instant: datetime) -> uuid.UUID:
    """The smallest UUIDv7 of `instant`'s millisecond: every id below it is older."""
    return uuid.UUID(int=(int(instant.timestamp() * 1000) & ((1 << 48) - 1)) << 80)


async def _frontier(session: AsyncSession, settings: Settings) -> datetime:
    """Events older than this may be sealed: none still uncommitted can be older."""
    frontier = utcnow() - timedelta(seconds=settings.audit_seal_delay_seconds)
    if session.bind.dialect.name == "postgresql":
        oldest = await session.scalar(
            text(
                "SELECT min(xact_start) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        if oldest is not None:
            frontier = min(frontier, oldest - timedelta(seconds=1))
    return frontier


async def head(session: AsyncSession) -> AuditSeal | None:
    """The last seal."""
    return await session.scalar(select(AuditSeal).order_by(AuditSeal.id.desc()).limit(1))


async def seal_batch(session: AsyncSession, settings: Settings, frontier: datetime) -> AuditSeal | None:
    """Seal the next batch of events before `frontier`; None when there is none (or one is altered)."""
    chain_key, _ = keys(settings)
    last = await head(session)
    stmt = select(AuditEvent).where(AuditEvent.id < _id_floor(frontier))
    if last is not None:
        stmt = stmt.where(AuditEvent.id > last.last_event_id)
    events = (await session.scalars(stmt.order_by(AuditEvent.id).limit(settings.audit_seal_batch_size))).all()
    if not events:
        return None
    hashes = [row_hash(_row_of(e), chain_key) for e in events]
    for event, computed in zip(events, hashes, strict=True):
        if event.row_hash != computed:
            # Sealing it would vouch for it: stop, and let `verify` name the break.
            log.error(
                "audit event does not match its row hash; sealing stopped", extra={"event_id": str(event.id)}
            )
            return None
    seal = AuditSeal(
        id=(last.id + 1) if last else 1,
        first_event_id=events[0].id,
        last_event_id=events[-1].id,
        event_count=len(events),
        events_digest=_digest(hashes),
        previous_hash=last.seal_hash if last else GENESIS,
        sealed_at=utcnow(),
    )
    seal.seal_hash = seal_hash(seal, chain_key)
    session.add(seal)
    await session.flush()
    return seal


Sessionmaker = async_sessionmaker[AsyncSession]


async def seal_pending(sessionmaker: Sessionmaker, settings: Settings, *, max_batches: int = 100) -> int:
    """Seal what is due, one transaction per batch; returns the number of seals made."""
    made = 0
    for _ in range(max_batches):
        try:
            async with sessionmaker() as session, session.begin():
                seal = await seal_batch(session, settings, await _frontier(session, settings))
        except IntegrityError:
            return made  # another sealer took this seal's number: it goes on from there
        if seal is None:
            return made
        made += 1
    return made


# --- anchors -------------------------------------------------------------------------------


def anchor_line(seal: AuditSeal, anchor_key: bytes) -> dict[str, Any]:
    """The signed statement of a head: which seal, over which events, with which hash."""
    statement = {
        "seal": seal.id,
        "last_event_id": str(seal.last_event_id),
        "seal_hash": seal.seal_hash,
        "anchored_at": utcnow().isoformat(),
    }
    signature = hmac.new(anchor_key, orjson.dumps(statement, option=orjson.OPT_SORT_KEYS), hashlib.sha256)
    return {**statement, "signature": signature.hexdigest()}


def _signed(line: dict[str, Any], anchor_key: bytes) -> bool:
    statement = {k: v for k, v in line.items() if k != "signature"}
    expected = hmac.new(anchor_key, orjson.dumps(statement, option=orjson.OPT_SORT_KEYS), hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), str(line.get("signature", "")))


async def anchor(session: AsyncSession, settings: Settings) -> dict[str, Any] | None:
    """Append the head, signed, to the anchor file and POST it to the anchor URL (as configured)."""
    if not (settings.audit_anchor_file or settings.audit_anchor_url):
        return None
    seal = await head(session)
    if seal is None:
        return None
    line = anchor_line(seal, keys(settings)[1])
    if settings.audit_anchor_file:
        await asyncio.to_thread(_append, Path(settings.audit_anchor_file), orjson.dumps(line) + b"\n")
    if settings.audit_anchor_url:
        async with httpx.AsyncClient(timeout=settings.webhook_timeout_seconds, trust_env=False) as http:
            response = await http.post(settings.audit_anchor_url, json=line)
            response.raise_for_status()
    return line


def _append(path: Path, line: bytes) -> None:
    with path.open("ab") as out:
        out.write(line)


class Sealer:
    """Seals and anchors at the settings' intervals: the worker's loop calls `tick` every round."""

    def __init__(self, sessionmaker: Sessionmaker, settings: Settings) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.next_seal = 0.0
        self.next_anchor = 0.0

    async def tick(self) -> None:
        """Seal what is due and anchor the head, when their intervals have passed; never raises."""
        now = time.monotonic()
        if now < self.next_seal:
            return
        self.next_seal = now + self.settings.audit_seal_interval_seconds
        try:
            await seal_pending(self.sessionmaker, self.settings)
            if now >= self.next_anchor:
                async with self.sessionmaker() as session:
                    await anchor(session, self.settings)
                self.next_anchor = now + self.settings.audit_anchor_interval_seconds
        except Exception as exc:  # the worker's loop must outlive an outage
            log.warning("audit sealing failed", extra={"error": type(exc).__name__})


def read_anchors(path: str | Path) -> list[dict[str, Any]]:
    """The anchor lines of a file (a missing file has none)."""
    try:
        content = Path(path).read_bytes()
    except FileNotFoundError:
        return []
    return [orjson.loads(line) for line in content.splitlines() if line.strip()]


# --- verification --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Break:
    """Where the trail stops matching: the first seal or event that does not."""

    kind: (
        str  # seal_missing | seal_altered | event_altered | events_changed | anchor_mismatch | anchor_forged
    )
    seal: int | None
    event_id: uuid.UUID | None
    detail: str


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    seals: int
    sealed_events: int
    unsealed_events: int
    anchors: int
    first_break: Break | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def _events_after(session: AsyncSession, after: uuid.UUID | None, up_to: uuid.UUID | None) -> list:
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if after is not None:
        stmt = stmt.where(AuditEvent.id > after)
    if up_to is not None:
        stmt = stmt.where(AuditEvent.id <= up_to)
    return list((await session.scalars(stmt)).all())


def _first_altered(events: Sequence[AuditEvent], chain_key: bytes) -> tuple[list[str], AuditEvent | None]:
    hashes = [row_hash(_row_of(e), chain_key) for e in events]
    for event, computed in zip(events, hashes, strict=True):
        if event.row_hash != computed:
            return hashes, event
    return hashes, None


async def verify(
    session: AsyncSession, settings: Settings, anchors: Sequence[Mapping[str, Any]] = ()
) -> Verification:
    """Check every seal, every event and each anchor; the first break, if any."""
    chain_key, anchor_key = keys(settings)
    seals = (await session.scalars(select(AuditSeal).order_by(AuditSeal.id))).all()
    counts = {"seals": 0, "sealed_events": 0, "unsealed_events": 0, "anchors": 0}

    def result(found: Break | None) -> Verification:
        return Verification(ok=found is None, first_break=found, **counts)

    previous, after = GENESIS, None
    for number, seal in enumerate(seals, 1):
        if seal.id != number or seal.previous_hash != previous:
            return result(Break("seal_missing", number, None, "a seal is missing or out of order"))
        if seal_hash(seal, chain_key) != seal.seal_hash:
            return result(Break("seal_altered", seal.id, None, "the seal does not match its hash"))
        events = await _events_after(session, after, seal.last_event_id)
        hashes, altered = _first_altered(events, chain_key)
        if altered is not None:
            return result(
                Break("event_altered", seal.id, altered.id, "the event does not match its row hash")
            )
        if (
            not events
            or len(events) != seal.event_count
            or _digest(hashes) != seal.events_digest
            or events[0].id != seal.first_event_id
        ):
            return result(
                Break("events_changed", seal.id, None, "events were added to or removed from the seal")
            )
        counts["seals"] += 1
        counts["sealed_events"] += len(events)
        previous, after = seal.seal_hash, seal.last_event_id
        session.expunge_all()  # one seal's events in memory at a time
    unsealed = await _events_after(session, after, None)
    _, altered = _first_altered(unsealed, chain_key)
    if altered is not None:
        return result(Break("event_altered", None, altered.id, "the event does not match its row hash"))
    counts["unsealed_events"] = len(unsealed)
    by_number = {seal.id: seal for seal in seals}
    for line in anchors:
        if not _signed(dict(line), anchor_key):
            return result(
                Break("anchor_forged", line.get("seal"), None, "the anchor's signature does not match")
            )
        seal = by_number.get(line.get("seal"))
        if (
            seal is None
            or seal.seal_hash != line.get("seal_hash")
            or str(seal.last_event_id) != line.get("last_event_id")
        ):
            return result(
                Break("anchor_mismatch", line.get("seal"), None, "the anchored head is not in the database")
            )
        counts["anchors"] += 1
    return result(None)
