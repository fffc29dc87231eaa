"""Fixtures of the sign-in tests: a movable clock, a registered frontend, the MFA requirement on."""

import pytest

from app import clock
from app.config import get_settings
from tests.auth import CLIENT_ID, OTHER_REDIRECT_URI, REDIRECT_URI, Clock


@pytest.fixture
def moved_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr(clock, "utcnow", moved.now)
    return moved


@pytest.fixture
def frontend(monkeypatch: pytest.MonkeyPatch) -> str:
    """A registered frontend with two redirect URIs."""
    monkeypatch.setattr(get_settings(), "oauth_clients", {CLIENT_ID: [REDIRECT_URI, OTHER_REDIRECT_URI]})
    return CLIENT_ID


@pytest.fixture
def mfa_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "mfa_required", True)
