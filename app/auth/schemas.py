"""Bodies of the sign-in routes: enrolment of a second factor, sessions."""

import uuid
from datetime import datetime
from typing import Any

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


class WebauthnOptionsRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)


class WebauthnOptionsRead(BaseModel):
    """Options for the browser's WebAuthn call, as JSON (challenge and ids base64url), used once."""

    public_key: dict[str, Any] = Field(
        description="PublicKeyCredentialRequestOptionsJSON or PublicKeyCredentialCreationOptionsJSON: "
        "pass it to PublicKeyCredential.parseRequestOptionsFromJSON (or ...CreationOptions...)."
    )


class WebauthnRegistration(BaseModel):
    credential: dict[str, Any] = Field(
        description="The JSON of navigator.credentials.create()'s answer (PublicKeyCredential.toJSON())."
    )
    name: str = Field(default="Kunci keamanan", min_length=1, max_length=64)


class WebauthnCredentialRead(BaseModel):
    id: uuid.UUID
    name: str
    transports: list[str]
    created_at: datetime
    last_used_at: datetime | None


class KeyEnrolmentConfirm(EnrolmentCredentials):
    credential: dict[str, Any] = Field(
        description="The JSON of navigator.credentials.create()'s answer to the enrolment options."
    )
    name: str = Field(default="Kunci keamanan", min_length=1, max_length=64)


class KeyEnrolmentRead(BaseModel):
    """The enrolled security key, and ten recovery codes, shown once (each signs in once)."""

    credential: WebauthnCredentialRead
    recovery_codes: list[str]
