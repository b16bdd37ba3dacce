"""Users through the API: no secrets out, admin-only role changes, the self and last-admin rules."""
from __future__ import annotations

import json

import pytest

from tests.api.conftest import assert_problem
from tests.conftest import api_login

USER_KEYS = ["id", "username", "email", "full_name", "role", "is_active", "created_at", "last_login_at", "version"]


def test_create_never_returns_password_or_hash(client, tokens):
    response = client.post("/api/users", json={"username": "neo", "email": "neo@example.com", "password": "longenough1",
                                               "role": "manager"}, headers=tokens("admin"))
    assert response.status_code == 201
    body = response.get_json()
    assert list(body) == USER_KEYS and body["role"] == "manager"
    listing = client.get("/api/users", headers=tokens("admin")).get_data(as_text=True)
    assert "longenough1" not in listing and "argon2" not in listing and "password" not in listing


@pytest.mark.parametrize("payload,field", [
    ({"username": "ab", "email": "x@example.com", "password": "longenough"}, "username"),
    ({"username": "abc", "email": "x@example.com", "password": "short"}, "password"),
    ({"username": "abc", "email": "x@example.com", "password": "longenough", "role": "root"}, "role"),
    ({"username": "abc", "email": "x@example.com", "password": "longenough", "token_version": 5}, "token_version"),
    ({"username": "abc", "email": "x@example.com", "password": "longenough", "is_active": "yes"}, "is_active"),
])
def test_create_validation(client, tokens, payload, field):
    body = assert_problem(client.post("/api/users", json=payload, headers=tokens("admin")), 422)
    assert [e["field"] for e in body["errors"]] == [field]


def test_admin_cannot_delete_or_deactivate_self(client, tokens):
    h = tokens("admin")
    tokens("admin", "other_admin")  # so the last-admin rule is not what answers
    me = client.get("/api/auth/me", headers=h).get_json()
    assert_problem(client.delete(f"/api/users/{me['id']}", headers=h), 409)
    assert_problem(client.patch(f"/api/users/{me['id']}", json={"is_active": False}, headers=h), 409)
    assert client.get("/api/auth/me", headers=h).get_json()["is_active"] is True


def test_last_admin_cannot_be_demoted_or_deleted(client, tokens, make_user):
    h = tokens("admin")
    me = client.get("/api/auth/me", headers=h).get_json()
    body = assert_problem(client.patch(f"/api/users/{me['id']}", json={"role": "manager"}, headers=h), 409)
    assert body["errors"][0]["field"] == "role"
    assert client.get("/api/auth/me", headers=h).get_json()["role"] == "admin"


def test_admin_can_demote_another_admin_while_one_remains(client, tokens):
    h = tokens("admin")
    other = tokens.user("admin", "second_admin")
    response = client.patch(f"/api/users/{other.id}", json={"role": "user"}, headers=h)
    assert response.status_code == 200 and response.get_json()["role"] == "user"


def test_only_admin_changes_role_even_if_the_matrix_allowed_managers(client, tokens, monkeypatch):
    """The role/is_active rule holds on its own, not only because the matrix denies managers."""
    from erp_admin.auth import roles

    monkeypatch.setitem(roles.ROLE_MATRIX, "users", {"user": (), "manager": ("read", "update"),
                                                      "admin": ("read", "create", "update", "delete")})
    target = tokens.user("user", "plain")
    h = tokens("manager")
    assert_problem(client.patch(f"/api/users/{target.id}", json={"role": "admin"}, headers=h), 403)
    assert_problem(client.patch(f"/api/users/{target.id}", json={"is_active": False}, headers=h), 403)
    ok = client.patch(f"/api/users/{target.id}", json={"full_name": "Plain"}, headers=h)
    assert ok.status_code == 200 and ok.get_json()["role"] == "user"


def test_password_change_via_api_works_for_login(client, tokens):
    target = tokens.user("user", "pwuser")
    client.patch(f"/api/users/{target.id}", json={"password": "a-new-password"}, headers=tokens("admin"))
    login = api_login(client, "pwuser", "a-new-password")
    assert login.status_code == 200
    assert json.dumps(login.get_json()).count("a-new-password") == 0
