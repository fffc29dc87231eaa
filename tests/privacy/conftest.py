"""The privacy suite: its adversarial tests' requests are counted by role (tests/ledger.py)."""

from tests.ledger import count_attacks  # noqa: F401 - an autouse fixture for this folder
