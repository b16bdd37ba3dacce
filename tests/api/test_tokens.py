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


def _login(app, make_user):
    make_user("jwtset", password="password123")
    response = app.test_client().post("/api/auth/login", json={"username": "jwtset", "password": "password123"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _claims(token: str) -> dict:
    import jwt as pyjwt

    return pyjwt.decode(token, options={"verify_signature": False})


def _check_secret_key(make_app, make_user, monkeypatch):
    import jwt as pyjwt

    key = "a-jwt-signing-key-given-by-the-operator-0123456789"
    body = _login(make_app(JWT_SECRET_KEY=key), make_user)
    assert pyjwt.decode(body["access_token"], key, algorithms=["HS256"])["sub"]


def _check_algorithm(make_app, make_user, monkeypatch):
    import jwt as pyjwt

    from tests.conftest import TEST_JWT_SECRET

    key = "k" * 64  # HS512 wants a 64-byte key
    monkeypatch.setenv("ERP_JWT_ALGORITHM", "HS512")
    app = make_app(JWT_SECRET_KEY=key)
    body = _login(app, make_user)
    assert pyjwt.get_unverified_header(body["access_token"])["alg"] == "HS512"
    client = app.test_client()
    assert client.get("/api/auth/me", headers=bearer(body["access_token"])).status_code == 200
    # Reading follows the signing algorithm: the same claims signed with HS256 are refused.
    other = pyjwt.encode(_claims(body["access_token"]), key, algorithm="HS256")
    assert_problem(client.get("/api/auth/me", headers=bearer(other)), 401)


def _check_access_expires(make_app, make_user, monkeypatch):
    monkeypatch.setenv("ERP_JWT_ACCESS_TOKEN_EXPIRES", "120")
    body = _login(make_app(), make_user)
    claims = _claims(body["access_token"])
    assert body["expires_in"] == 120 and claims["exp"] - claims["iat"] == 120


def _check_refresh_expires(make_app, make_user, monkeypatch):
    monkeypatch.setenv("ERP_JWT_REFRESH_TOKEN_EXPIRES", "3600")
    claims = _claims(_login(make_app(), make_user)["refresh_token"])
    assert claims["exp"] - claims["iat"] == 3600


JWT_SETTING_CHECKS = {
    "JWT_SECRET_KEY": _check_secret_key,
    "JWT_ALGORITHM": _check_algorithm,
    "JWT_ACCESS_TOKEN_EXPIRES": _check_access_expires,
    "JWT_REFRESH_TOKEN_EXPIRES": _check_refresh_expires,
}


def test_every_jwt_setting_has_a_check_below():
    """A JWT setting offered to operators (Defaults, hence the README table) must be proven to take effect."""
    from erp_admin.config import Defaults

    offered = {k for k in vars(Defaults) if k.startswith("JWT_")} | {"JWT_SECRET_KEY"}
    assert offered == set(JWT_SETTING_CHECKS)


@pytest.mark.parametrize("setting", sorted(JWT_SETTING_CHECKS))
def test_a_jwt_setting_takes_effect(setting, make_app, make_user, monkeypatch):
    JWT_SETTING_CHECKS[setting](make_app, make_user, monkeypatch)


@pytest.mark.parametrize("variable, value", [
    ("ERP_JWT_TOKEN_LOCATION", '["cookies"]'),
    ("ERP_JWT_TOKEN_LOCATION", '["headers", "query_string"]'),
    ("ERP_JWT_DECODE_ALGORITHMS", '["HS256", "HS512"]'),
    ("ERP_JWT_DECODE_ALGORITHMS", '["none"]'),
    ("ERP_JWT_ALGORITHM", "RS256"),
    ("ERP_JWT_ALGORITHM", "none"),
])
def test_unsupported_jwt_settings_refuse_to_start(variable, value, make_app, monkeypatch):
    """Only header tokens and the signing algorithm are supported: another value is refused, never ignored."""
    from erp_admin.config import ConfigError

    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable.removeprefix("ERP_")):
        make_app()


@pytest.mark.parametrize("variable, value", [("ERP_JWT_TOKEN_LOCATION", '["headers"]'),
                                             ("ERP_JWT_DECODE_ALGORITHMS", '["HS256"]')])
def test_the_one_supported_value_is_still_accepted(variable, value, make_app, monkeypatch):
    monkeypatch.setenv(variable, value)
    make_app()


def test_the_one_decode_leaves_what_flask_jwt_extended_reads(app, tokens):
    """_verify_bearer_token writes flask-jwt-extended 4.7.4's private g attributes: its public readers must see them."""
    import flask_jwt_extended
    from flask_jwt_extended import current_user, get_jwt, get_jwt_header, get_jwt_request_location

    assert flask_jwt_extended.__version__ == "4.7.4", "a new flask-jwt-extended: check _verify_bearer_token's reach-in"
    headers = tokens("manager")
    with app.test_request_context("/api/auth/me", headers=headers):
        token_module._verify_bearer_token(refresh=False)
        assert get_jwt()["type"] == "access" and get_jwt()["sub"].isdigit()
        assert get_jwt_header()["alg"] == app.config["JWT_ALGORITHM"]
        assert get_jwt_request_location() == "headers"
        assert current_user.role == "manager" and str(current_user.id) == get_jwt()["sub"]
