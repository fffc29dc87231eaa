"""Bodies of the sign-in routes: enrolment of a second factor, sessions."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class EnrolmentCredentials(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class EnrolmentStart(EnrolmentCredentials):
    enrolment_code: str = Field(
        min_length=1, max_length=32, description="The one-time code an admin gave you (e.g. abcd-efgh-ijkl)."
    )


class EnrolmentConfirm(EnrolmentCredentials):
    code: str = Field(min_length=6, max_length=6, pattern=r"^[0-9]{6}$")


class EnrolmentCodeRead(BaseModel):
    """A one-time code to start enrolling a second factor, shown once: hand it to the user in person."""

    code: str
    expires_at: datetime


class EnrolmentRead(BaseModel):
    """The secret, shown once: put it in an authenticator app (or scan the URI as a QR code)."""

    secret: str
    otpauth_uri: str


class RecoveryCodesRead(BaseModel):
    """Ten recovery codes, shown once; each signs in once in place of a TOTP code."""

    recovery_codes: list[str]


class SessionRead(BaseModel):
    id: uuid.UUID
    client_id: str
    created_at: datetime
    last_refreshed_at: datetime
    idle_expires_at: datetime
    absolute_expires_at: datetime
    current: bool
