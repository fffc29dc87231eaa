"""Every domain's tables, imported so that alembic sees the whole schema."""

from app.agencies.models import Agency
from app.audit.models import AuditDenialCount, AuditEvent, AuditSeal
from app.auth.models import AccessToken, LoginThrottle
from app.auth.signin_models import AuthorizationCode, AuthSession, MfaFactor, RecoveryCode, RefreshToken
from app.bulk.models import BulkRequest, ReadVolume
from app.calendars.models import CalendarFeed
from app.censuses.models import CensusObservation, CensusRound
from app.change_requests.models import ChangeRequest, ChangeRequestCounter
from app.clients.models import ApiClient
from app.coordination.models import Assistance, Coordination, Correspondence, Repatriation, RepatriationMember
from app.db import Base
from app.eligibility.models import Determination, DeterminationRun, Program, RuleSet
from app.idempotency.models import IdempotencyKey
from app.meetings.models import ActionItem, AgendaItem, Meeting, MeetingChange, Participant
from app.persons.models import Person, PersonChange, Referral
from app.regions.models import Region
from app.sites.models import Site
from app.users.models import User
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

__all__ = [
    "AccessToken",
    "ActionItem",
    "AgendaItem",
    "Agency",
    "ApiClient",
    "Assistance",
    "AuditDenialCount",
    "AuditEvent",
    "AuditSeal",
    "AuthSession",
    "AuthorizationCode",
    "CalendarFeed",
    "CensusObservation",
    "CensusRound",
    "ChangeRequest",
    "ChangeRequestCounter",
    "Determination",
    "DeterminationRun",
    "Coordination",
    "Correspondence",
    "Base",
    "BulkRequest",
    "IdempotencyKey",
    "LoginThrottle",
    "MfaFactor",
    "RecoveryCode",
    "RefreshToken",
    "Meeting",
    "MeetingChange",
    "Participant",
    "Person",
    "Program",
    "PersonChange",
    "Referral",
    "Repatriation",
    "RepatriationMember",
    "ReadVolume",
    "Region",
    "RuleSet",
    "Site",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
]
