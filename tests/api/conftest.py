"""API test helpers: problem responses, extra apps; tokens come from tests/conftest.py."""
from __future__ import annotations

import pytest

# Kept importable from here (API tests and other folders import them from this module).
from tests.conftest import TokenFactory, bearer, tokens  # noqa: F401

ROLES = ("user", "manager", "admin")


@pytest.fixture
def admin_headers(tokens) -> dict:
    return tokens("admin")


def assert_problem(response, status: int) -> dict:
    """Assert response is a problem+json of status; return its body."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and isinstance(body["title"], str) and isinstance(body["detail"], str)
    assert body["type"]
    return body


@pytest.fixture
def make_app(database_url, instance_path):
    """Build extra apps on the test database (another worker, other settings); disposed afterwards."""
    from erp_admin import create_app
    from tests.conftest import empty_database, test_config

    built = []

    def make(**overrides):
        app = create_app(test_config(database_url, instance_path, **overrides))
        built.append(app)
        return app

    yield make
    for app in built:
        empty_database(app)  # also disposes the engine's connections
