"""A local receiver for webhook tests, and the setting that lets the app call it (127.0.0.1)."""

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer


@pytest.fixture(scope="session")
def _receiver_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def receiver(_receiver_server: HTTPServer) -> Iterator[HTTPServer]:
    """The receiving partner system: each test sets how it answers and reads what it got."""
    _receiver_server.clear()
    yield _receiver_server
    _receiver_server.clear()


@pytest.fixture
def private_targets(app):
    """The admin setting that allows http and local receivers (the tests' receiver is on 127.0.0.1)."""
    default = app.state.settings
    app.state.settings = default.model_copy(update={"webhook_allow_private_targets": True})
    yield app.state.settings
    app.state.settings = default
