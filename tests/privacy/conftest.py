"""The privacy suite: the adversarial tests' requests and checks are counted (tests/ledger.py)."""

from tests.ledger import count_attacks  # noqa: F401 - an autouse fixture for this folder
