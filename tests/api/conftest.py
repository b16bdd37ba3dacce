"""API test helpers: tokens for a role, JSON requests with a bearer token."""
from __future__ import annotations

import pytest

ROLES = ("user", "manager", "admin")


class TokenFactory:
    """Create users on demand and hand out their tokens: tokens("admin") -> headers dict."""

    def __init__(self, app, make_user):
        self.app = app
        self.make_user = make_user
        self.users: dict[str, object] = {}

    def user(self, role: str, username: str | None = None):
        username = username or f"{role}_api"
        if username not in self.users:
            self.users[username] = self.make_user(username, role=role)
        return self.users[username]

    def pair(self, role: str, username: str | None = None) -> dict:
        """A fresh token pair for a user of role (created on first use)."""
        from erp_admin.api.tokens import issue_tokens
        from erp_admin.extensions import db
        from erp_admin.models import User

        snap = self.user(role, username)
        with self.app.app_context():
            return issue_tokens(db.session.get(User, snap.id))

    def access(self, role: str, username: str | None = None) -> str:
        return self.pair(role, username)["access_token"]

    def __call__(self, role: str | None, username: str | None = None) -> dict:
        """Authorization headers for role (None: anonymous, no header)."""
        if role is None:
            return {}
        return {"Authorization": f"Bearer {self.access(role, username)}"}


@pytest.fixture
def tokens(app, make_user) -> TokenFactory:
    return TokenFactory(app, make_user)


@pytest.fixture
def admin_headers(tokens) -> dict:
    return tokens("admin")


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


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
