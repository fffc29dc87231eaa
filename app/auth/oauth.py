"""Authorization code with PKCE (RFC 6749 4.1, RFC 7636, S256 only) for the API's own accounts.

A small implementation rather than Authlib: Authlib's authorization server is synchronous and
integrates with Flask and Django only; wrapped around this async app it would need as much glue
as the few checks below, which follow the OAuth 2.0 Security BCP (RFC 9700): exact redirect URI
match, PKCE required, codes short-lived, single-use and bound to client, redirect URI and challenge.
"""

import base64
import hashlib
import hmac
import re
import uuid
from datetime import timedelta
from functools import partial

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.agencies.models import Agency
from app.auth import revocation, sessions
from app.auth.errors import InvalidClient, InvalidGrant, PkceRequired
from app.auth.signin_models import AuthorizationCode
from app.config import get_settings
from app.security.tokens import new_token, token_digest
from app.users.models import User

# RFC 7636 4.1 and 4.2: a verifier of 43-128 unreserved characters; an S256 challenge is 43.
VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")


def s256(verifier: str) -> str:
    """BASE64URL(SHA256(verifier)) without padding (RFC 7636 4.2)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def check_client(client_id: str | None, redirect_uri: str | None) -> None:
    """A registered frontend and one of its redirect URIs, compared exactly."""
    registered = get_settings().oauth_clients.get(client_id or "")
    if registered is None or redirect_uri not in registered:
        raise InvalidClient()


def check_challenge(code_challenge: str | None, method: str | None) -> str:
    """The PKCE challenge of an authorization request: present, and S256."""
    if method != "S256":
        raise PkceRequired("code_challenge_method must be S256.")
    if code_challenge is None or not CHALLENGE.fullmatch(code_challenge):
        raise PkceRequired("code_challenge must be 43 characters of base64url (S256).")
    return code_challenge


async def issue_code(
    session: AsyncSession, user: User, *, client_id: str, redirect_uri: str, code_challenge: str
) -> str:
    """A code for a user who signed in (password and second factor checked)."""
    code = new_token()
    ttl = timedelta(seconds=get_settings().authorization_code_ttl_seconds)
    session.add(
        AuthorizationCode(
            code_digest=token_digest(code),
            user_id=user.id,
            client_id=client_id,
            redirect_uri=redirect_uri,
            code_challenge=code_challenge,
            expires_at=clock.now() + ttl,
        )
    )
    await session.flush()
    return code


async def exchange(
    session: AsyncSession, *, code: str, client_id: str, redirect_uri: str, code_verifier: str
) -> sessions.SessionTokens:
    """Tokens for a code, once; a second use revokes the session the first one started."""
    grant = await session.scalar(
        select(AuthorizationCode).where(AuthorizationCode.code_digest == token_digest(code))
    )
    if grant is None:
        raise InvalidGrant()
    if grant.used_at is not None:
        revoke = [partial(_revoke_replayed, session_id=grant.session_id)] if grant.session_id else []
        raise InvalidGrant(durable=revoke)
    bound = grant.client_id == client_id and grant.redirect_uri == redirect_uri
    verified = VERIFIER.fullmatch(code_verifier) is not None and hmac.compare_digest(
        s256(code_verifier), grant.code_challenge
    )
    if not (bound and verified and clock.now() < grant.expires_at):
        raise InvalidGrant()
    claimed = await session.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.id == grant.id, AuthorizationCode.used_at.is_(None))
        .values(used_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    user = await session.get(User, grant.user_id)
    if claimed.rowcount != 1 or user is None or not await _may_sign_in(session, user, grant):
        raise InvalidGrant()
    auth_session, tokens = await sessions.start(session, user, client_id)
    grant.session_id = auth_session.id
    await session.flush()
    return tokens


async def _may_sign_in(session: AsyncSession, user: User, grant: AuthorizationCode) -> bool:
    """Active, with its agency, and not deactivated since the code was issued (its epochs)."""
    agency = await session.get(Agency, user.agency_id) if user.agency_id else None
    if not user.active or (agency is not None and not agency.active):
        return False
    issued = grant.expires_at - timedelta(seconds=get_settings().authorization_code_ttl_seconds)
    return revocation.issued_after(issued, user.tokens_valid_after, agency and agency.tokens_valid_after)


async def _revoke_replayed(session: AsyncSession, *, session_id: uuid.UUID) -> None:
    await sessions.revoke(session, session_id, reason="code-replay")
