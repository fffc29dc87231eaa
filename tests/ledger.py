"""The adversarial suite's ledger: every request its tests send, counted by the caller's role.

The README's Security section quotes these figures (`pytest -s tests/security tests/privacy`).
"""

from collections import Counter
from typing import Any

import httpx
import pytest

# The modules that attack the registry as an adversary would (issue 13's findings and the
# adversary pass); the authorization matrix and the allow-lists keep figures of their own.
ADVERSARIAL = {
    "tests.privacy.test_erasure",
    "tests.privacy.test_inventory",
    "tests.security.test_adversary_findings",
    "tests.security.test_disclosure",
    "tests.security.test_purpose_and_text",
    "tests.security.test_quasi_identifiers",
    "tests.security.test_replay_and_referral_end",
}
REQUESTS_BY_ROLE: Counter[str] = Counter()
# What the suite checked: cells audited, rows, files and answers searched after erasure.
FIGURES: Counter[str] = Counter()


@pytest.fixture(autouse=True)
def count_attacks(request: pytest.FixtureRequest) -> None:
    """Counts the requests of an adversarial test by role (from the suite's one-per-role callers)."""
    if request.module.__name__ not in ADVERSARIAL or "client" not in request.fixturenames:
        return
    client: httpx.AsyncClient = request.getfixturevalue("client")
    roles = _roles_by_header(request.getfixturevalue("callers")) if "callers" in request.fixturenames else {}

    async def count(sent: httpx.Request) -> None:
        header = sent.headers.get("authorization")
        REQUESTS_BY_ROLE["anonymous" if header is None else roles.get(header, "other staff")] += 1

    client.event_hooks["request"].append(count)


def _roles_by_header(callers: Any) -> dict[str, str]:
    return {
        caller.headers["Authorization"]: name.removesuffix("_a").removesuffix("_b")
        for name, caller in callers.by_name().items()
    }


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under pytest-xdist, a worker hands its counts to the controller (`pytest_testnodedown`)."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["ledger"] = {"requests": dict(REQUESTS_BY_ROLE), "figures": dict(FIGURES)}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:  # xdist's hook signature
    counts = getattr(node, "workeroutput", {}).get("ledger", {})
    REQUESTS_BY_ROLE.update(counts.get("requests", {}))
    FIGURES.update(counts.get("figures", {}))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The figures of the run (workers' included)."""
    if not (REQUESTS_BY_ROLE or FIGURES) or hasattr(terminalreporter.config, "workeroutput"):
        return
    counts = ", ".join(f"{role} {n}" for role, n in REQUESTS_BY_ROLE.most_common())
    terminalreporter.write_line(f"adversarial requests by role: {counts} (total {REQUESTS_BY_ROLE.total()})")
    if FIGURES:
        terminalreporter.write_line("checked: " + ", ".join(f"{name} {n}" for name, n in FIGURES.items()))
