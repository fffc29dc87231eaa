"""What each actor may read of coordination: a leaf the service, the webhooks and privacy import."""

import uuid

from sqlalchemy import ColumnElement, and_, exists, false, or_, true

from app.coordination.models import Coordination, Repatriation, RepatriationMember
from app.persons.models import Person
from app.persons.transitions import Status
from app.security.principal import Actor

# What a counterpart agency sees of the persons of its cases.
SHARED_STATUSES = (Status.awaiting_return, Status.repatriated, Status.handed_over)


def readable(actor: Actor) -> ColumnElement[bool]:
    """The SQL condition for the cases `actor` may read: partners only those of their agency."""
    if not actor.is_partner:
        return true()
    if actor.agency_id is None:
        return false()
    return Coordination.counterpart_agency_id == actor.agency_id


def _in_batch_of(case_id: uuid.UUID) -> ColumnElement[bool]:
    """The person travels (or travelled) in a batch of the case that was not cancelled."""
    return exists().where(
        RepatriationMember.person_id == Person.id,
        RepatriationMember.repatriation_id == Repatriation.id,
        Repatriation.coordination_id == case_id,
        Repatriation.status != "cancelled",
    )


def readable_persons(case: Coordination, actor: Actor) -> ColumnElement[bool]:
    """The SQL condition for the persons of `case` that `actor` may read."""
    from_region = and_(Person.site_id == case.site_id, Person.origin_region_code == case.region_code)
    if not actor.is_partner:
        return or_(from_region, _in_batch_of(case.id))
    return and_(
        Person.erased_at.is_(None),
        # Partners never see a restricted person, not even as a member of a batch.
        Person.restricted.is_(False),
        or_(and_(from_region, Person.status.in_(SHARED_STATUSES)), _in_batch_of(case.id)),
    )
