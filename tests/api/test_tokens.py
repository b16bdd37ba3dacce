"""The per-request token check: the verified-token cache and the principal snapshot (erp_admin/api/tokens.py)."""
from __future__ import annotations

import dataclasses

import pytest

from erp_admin.api import tokens as token_module
from erp_admin.auth.principal import PRINCIPAL_COLUMNS, Principal
from erp_admin.models import User
from tests.api.conftest import assert_problem, bearer


def test_a_cached_token_still_expires(client, tokens, monkeypatch):
    token = tokens.access("user")
    assert client.get("/api/products", headers=bearer(token)).status_code == 200  # verified and cached
    assert any(key[0] == token for key in token_module._VERIFIED)
    real_now = token_module._now()
    monkeypatch.setattr(token_module, "_now", lambda: real_now + 24 * 3600)
    body = assert_problem(client.get("/api/products", headers=bearer(token)), 401)
    assert "expired" in body["detail"]
    assert not any(key[0] == token for key in token_module._VERIFIED)


def test_a_token_cached_by_one_app_is_not_accepted_by_an_app_with_another_key(client, tokens, make_app):
    token = tokens.access("admin")
    assert client.get("/api/products", headers=bearer(token)).status_code == 200
    other = make_app(JWT_SECRET_KEY="another-secret-key-of-at-least-thirty-two-bytes!")
    assert_problem(other.test_client().get("/api/products", headers=bearer(token)), 401)


def test_the_cache_is_bounded(client, tokens, monkeypatch):
    monkeypatch.setattr(token_module, "VERIFIED_CACHE_SIZE", 2)
    token_module._VERIFIED.clear()
    for _ in range(4):
        assert client.get("/api/products", headers=tokens("user")).status_code == 200
    assert len(token_module._VERIFIED) == 2


def test_a_cached_token_is_checked_against_revocation_and_the_user_on_every_request(client, tokens):
    user_headers = tokens("user")
    assert client.get("/api/products", headers=user_headers).status_code == 200
    admin = tokens("admin")
    user_id = tokens.user("user").id
    assert client.put(f"/api/users/{user_id}", json={"is_active": False}, headers=admin).status_code == 200
    assert_problem(client.get("/api/products", headers=user_headers), 401)
    assert client.post("/api/auth/logout", headers=admin).status_code == 204
    assert_problem(client.get("/api/products", headers=admin), 401)


def test_the_principal_is_every_user_column_but_the_password_hash():
    names = [field.name for field in dataclasses.fields(Principal)]
    assert names == [c.key for c in PRINCIPAL_COLUMNS]
    assert set(names) == {c.key for c in User.__table__.c} - {"password_hash"}


@pytest.mark.own_app  # registers an after_request hook
def test_the_principal_is_a_snapshot_without_secrets(app, client, tokens):
    seen = {}

    @app.after_request
    def capture(response):
        from erp_admin.auth.access import current_principal

        seen["principal"] = current_principal()
        return response

    assert client.get("/api/auth/me", headers=tokens("manager")).status_code == 200
    principal = seen["principal"]
    assert isinstance(principal, Principal) and principal.role == "manager"
    assert not hasattr(principal, "password_hash")
    try:
        principal.role = "admin"
    except dataclasses.FrozenInstanceError:
        pass
    else:
        raise AssertionError("the principal must be read-only")
