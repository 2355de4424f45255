"""Fixtures shared by several integration test modules."""
from tests.integration.test_dashboard import history  # noqa: F401  (the hand-counted dashboard history)
from tests.integration.test_i18n import ascii_world  # noqa: F401  (users and places with ASCII names)
