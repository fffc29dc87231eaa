"""The security suite: the adversarial tests' requests are counted by role (tests/ledger.py)."""

import pytest

from tests import ledger
from tests.ledger import count_attacks  # noqa: F401 - an autouse fixture for this folder


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if ledger.REQUESTS_BY_ROLE:
        terminalreporter.write_line(ledger.summary())
