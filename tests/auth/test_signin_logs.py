"""Logs of the whole sign-in never hold a password, TOTP secret or code, recovery code or token."""

import logging

import pytest

from app.logging import JsonFormatter
from app.security.policy import Role
from tests.access import PASSWORD, password_user
from tests.auth import authorize, code_of, enrol, exchange, next_code, pkce_pair, refresh

pytestmark = pytest.mark.usefixtures("frontend", "mfa_required")


async def test_the_sign_in_flow_logs_no_secret(client, session, caplog):
    user = await password_user(session, Role.admin)
    with caplog.at_level(logging.DEBUG):
        totp, codes = await enrol(client, session, user)
        verifier, challenge = pkce_pair()
        await authorize(client, user.username, challenge, password="salah-" + PASSWORD)
        code = code_of(await authorize(client, user.username, challenge, otp=next_code(totp)))
        tokens = (await exchange(client, code, verifier)).json()
        rotated = (await refresh(client, tokens["refresh_token"])).json()
        await refresh(client, tokens["refresh_token"])  # a reuse: refused, and logged as a request
    lines = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    assert "/api/v1/auth/authorize" in lines  # the flow was logged at all
    secrets = [PASSWORD, totp.secret, code, verifier, challenge, *codes, *tokens.values(), *rotated.values()]
    leaked = [s for s in secrets if isinstance(s, str) and len(s) > 5 and s in lines]
    assert leaked == []
