"""Every domain's tables, imported so that alembic sees the whole schema."""

from app.agencies.models import Agency
from app.audit.models import AuditEvent
from app.auth.models import AccessToken, LoginFailure
from app.clients.models import ApiClient
from app.db import Base
from app.idempotency.models import IdempotencyKey
from app.persons.models import Person, PersonChange, Referral
from app.regions.models import Region
from app.sites.models import Site
from app.users.models import User

__all__ = [
    "AccessToken",
    "Agency",
    "ApiClient",
    "AuditEvent",
    "Base",
    "IdempotencyKey",
    "LoginFailure",
    "Person",
    "PersonChange",
    "Referral",
    "Region",
    "Site",
    "User",
]
