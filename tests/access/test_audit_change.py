"""`audit.record_change`, the one flush-then-audit tail of a change: the row is written before its event."""

import ast
import uuid
from pathlib import Path

from sqlalchemy import select

from app.agencies.models import Agency
from app.audit import service as audit
from app.audit.models import AuditEvent
from app.security.policy import Role
from app.security.principal import Actor

APP = Path(__file__).resolve().parents[2] / "app"


def _actor() -> Actor:
    return Actor(kind="user", id=uuid.uuid4(), role=Role.officer, agency_id=None, token_id=uuid.uuid4())


async def test_a_new_row_is_written_and_named_by_the_id_the_flush_gave_it(session):
    actor = _actor()
    agency = Agency(
        name="Dinas Uji Perubahan", name_key="dinas uji perubahan", kind="government", region_code="53.71"
    )
    session.add(agency)
    assert agency.id is None  # given at the flush
    await audit.record_change(session, actor, "agency.create", agency, resource_type="agency")
    assert agency not in session.new
    event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "agency.create"))
    assert (event.resource_type, event.resource_id, event.actor_id) == ("agency", str(agency.id), actor.id)
    assert (event.outcome, event.reason) == ("success", None)


async def test_an_id_names_the_resource_as_it_is(session):
    person_id, resource_id = uuid.uuid4(), uuid.uuid4()
    await audit.record_change(
        session,
        _actor(),
        "meeting.update",
        resource_id,
        resource_type="meeting",
        person_ids=[person_id],
        reason="r",
    )
    event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "meeting.update"))
    assert (event.resource_id, event.reason) == (str(resource_id), "r")
    assert [uuid.UUID(str(p)) for p in event.person_ids] == [person_id]


def _hand_written_tails(source: str) -> list[int]:
    """Lines where `await session.flush()` is directly followed by `await audit.record(...)`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for first, second in zip(body, body[1:], strict=False):
            if ast.unparse(first) == "await session.flush()" and ast.unparse(second).startswith(
                "await audit.record("
            ):
                found.append(first.lineno)
    return found


def test_no_flush_then_audit_tail_is_written_by_hand_in_app():
    tails = {
        path.relative_to(APP).as_posix(): lines
        for path in sorted(APP.rglob("*.py"))
        if (lines := _hand_written_tails(path.read_text(encoding="utf-8")))
    }
    assert tails == {}, "use audit.record_change (or persons' record_person_change)"


def test_a_hand_written_tail_is_found():
    source = "async def f(session, audit):\n    await session.flush()\n    await audit.record(session)\n"
    assert _hand_written_tails(source) == [2]
