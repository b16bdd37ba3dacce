"""Fixtures borrowed from the API tests."""
from tests.api.conftest import tokens  # noqa: F401  (a fixture)
