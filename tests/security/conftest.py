"""The security suite: the adversarial tests' requests and checks are counted (tests/ledger.py)."""

import pytest

from tests import ledger
from tests.ledger import count_attacks  # noqa: F401 - an autouse fixture for this folder


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    ledger.report(terminalreporter)
