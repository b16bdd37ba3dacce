"""Sign-in over the API: login, me, refresh, logout, and every way a token must be refused."""
from __future__ import annotations

import base64
import json
import time

import jwt as pyjwt
import pytest

from tests.api.conftest import assert_problem, bearer
from tests.conftest import TEST_JWT_SECRET
from tests.conftest import api_login as login


def test_login_json_returns_tokens_and_user(client, make_user):
    make_user("alice", role="manager", password="s3cret-pass")
    response = login(client, "alice", "s3cret-pass")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 15 * 60
    assert body["user"]["username"] == "alice" and body["user"]["role"] == "manager"
    assert body["user"]["last_login_at"] is not None  # a successful login sets it
    assert "password" not in json.dumps(body["user"]) and "hash" not in json.dumps(body["user"])
    claims = pyjwt.decode(body["access_token"], TEST_JWT_SECRET, algorithms=["HS256"])
    assert {"exp", "iat", "jti", "type", "sub", "tv"} <= set(claims)
    assert claims["type"] == "access" and isinstance(claims["sub"], str)
    refresh = pyjwt.decode(body["refresh_token"], TEST_JWT_SECRET, algorithms=["HS256"])
    assert refresh["type"] == "refresh" and refresh["exp"] > claims["exp"]


def test_login_form_encoded(client, make_user):
    make_user("bob", password="password123")
    response = client.post("/api/auth/login", data={"username": "bob", "password": "password123"})
    assert response.status_code == 200 and response.get_json()["user"]["username"] == "bob"


@pytest.mark.parametrize("case", ["unknown user", "wrong password", "inactive"])
def test_failed_login_is_one_indistinguishable_401(client, make_user, case):
    make_user("carol", password="password123")
    make_user("idle", password="password123", is_active=False)
    username, password = {"unknown user": ("nobody", "password123"), "wrong password": ("carol", "nope-nope"),
                          "inactive": ("idle", "password123")}[case]
    body = assert_problem(login(client, username, password), 401)
    assert body["detail"] == "Invalid username or password."


@pytest.mark.parametrize("payload,status", [
    ({"username": "x"}, 422), ({"username": 1, "password": "p"}, 422),
    ({"username": "x", "password": "y", "extra": 1}, 422),
])
def test_login_rejects_malformed_credentials(client, payload, status):
    assert_problem(client.post("/api/auth/login", json=payload), status)


def test_login_rejects_other_media_types(client):
    assert_problem(client.post("/api/auth/login", data="username=x", content_type="text/plain"), 415)


def test_me_has_user_and_permissions(client, tokens):
    body = client.get("/api/auth/me", headers=tokens("manager")).get_json()
    assert body["role"] == "manager"
    assert body["permissions"]["users"] == ["read"]
    assert body["permissions"]["audit_log"] == ["read"]
    assert "adjust_stock" in body["permissions"]["products"]
    user_body = client.get("/api/auth/me", headers=tokens("user")).get_json()
    assert user_body["permissions"]["users"] == [] and user_body["permissions"]["audit_log"] == []


def test_refresh_issues_a_working_access_token(client, tokens):
    pair = tokens.pair("user")
    response = client.post("/api/auth/refresh", headers=bearer(pair["refresh_token"]))
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert client.get("/api/auth/me", headers=bearer(body["access_token"])).status_code == 200


def test_token_responses_are_never_cached(client, make_user, tokens):
    """RFC 6749 section 5.1: a response carrying tokens has Cache-Control: no-store (and Pragma: no-cache)."""
    make_user("carla", password="password123")
    refreshed = client.post("/api/auth/refresh", headers=bearer(tokens.pair("user")["refresh_token"]))
    for response in (login(client, "carla", "password123"), refreshed):
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Pragma"] == "no-cache"


def test_refresh_token_is_not_an_access_token_nor_the_reverse(client, tokens):
    pair = tokens.pair("user")
    assert_problem(client.get("/api/auth/me", headers=bearer(pair["refresh_token"])), 401)
    assert_problem(client.post("/api/auth/refresh", headers=bearer(pair["access_token"])), 401)


def test_logout_revokes_access_and_refresh_tokens(client, tokens):
    pair = tokens.pair("user")
    response = client.post("/api/auth/logout", json={"refresh_token": pair["refresh_token"]},
                           headers=bearer(pair["access_token"]))
    assert response.status_code == 204
    body = assert_problem(client.get("/api/auth/me", headers=bearer(pair["access_token"])), 401)
    assert "revoked" in body["detail"]
    assert_problem(client.post("/api/auth/refresh", headers=bearer(pair["refresh_token"])), 401)


def test_logout_without_refresh_token_keeps_refresh_working(client, tokens):
    pair = tokens.pair("user")
    assert client.post("/api/auth/logout", headers=bearer(pair["access_token"])).status_code == 204
    assert_problem(client.get("/api/auth/me", headers=bearer(pair["access_token"])), 401)
    assert client.post("/api/auth/refresh", headers=bearer(pair["refresh_token"])).status_code == 200


def test_logout_refuses_someone_elses_refresh_token(client, tokens):
    mine, theirs = tokens.pair("user"), tokens.pair("manager")
    assert_problem(client.post("/api/auth/logout", json={"refresh_token": theirs["refresh_token"]},
                               headers=bearer(mine["access_token"])), 422)
    assert client.get("/api/auth/me", headers=bearer(mine["access_token"])).status_code == 200


def test_revocation_holds_for_another_app_instance(client, tokens, make_app):
    """Another worker (a second app on the same database) sees the revocation."""
    pair = tokens.pair("user")
    client.post("/api/auth/logout", headers=bearer(pair["access_token"]))
    other = make_app().test_client()
    assert_problem(other.get("/api/auth/me", headers=bearer(pair["access_token"])), 401)


# --- tokens made invalid by a change to their user -------------------------------------------

@pytest.mark.parametrize("change", [{"password": "brand-new-pass"}, {"is_active": False}, {"role": "manager"}])
def test_security_change_revokes_earlier_tokens(client, tokens, change):
    victim = tokens.pair("user", "victim")
    user_id = tokens.user("user", "victim").id
    response = client.patch(f"/api/users/{user_id}", json=change, headers=tokens("admin"))
    assert response.status_code == 200, response.get_json()
    assert_problem(client.get("/api/auth/me", headers=bearer(victim["access_token"])), 401)
    assert_problem(client.post("/api/auth/refresh", headers=bearer(victim["refresh_token"])), 401)


def test_harmless_change_keeps_tokens(client, tokens):
    victim = tokens.pair("user", "victim")
    user_id = tokens.user("user", "victim").id
    assert client.patch(f"/api/users/{user_id}", json={"full_name": "V"}, headers=tokens("admin")).status_code == 200
    assert client.get("/api/auth/me", headers=bearer(victim["access_token"])).status_code == 200


def test_deleted_user_token_is_refused(client, tokens):
    victim = tokens.pair("user", "victim")
    user_id = tokens.user("user", "victim").id
    assert client.delete(f"/api/users/{user_id}", headers=tokens("admin")).status_code == 204
    assert_problem(client.get("/api/auth/me", headers=bearer(victim["access_token"])), 401)


# --- forged and broken tokens ----------------------------------------------------------------

def _claims(tokens, **overrides):
    from erp_admin.extensions import db
    from erp_admin.models import User

    user = tokens.user("admin")
    with tokens.app.app_context():
        identity_key = db.session.get(User, user.id).identity_key
    now = int(time.time())
    claims = {"sub": str(user.id), "iat": now, "nbf": now, "exp": now + 600, "jti": "j-" + str(now),
              "type": "access", "fresh": False, "tv": 0, "ik": identity_key}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _attacks(tokens):
    good = pyjwt.encode(_claims(tokens), TEST_JWT_SECRET, algorithm="HS256")
    return {
        "missing": None,
        "not a bearer": "Basic YWRtaW46YWRtaW4=",
        "empty bearer": "Bearer ",
        "malformed": "Bearer not.a.jwt",
        "garbage": "Bearer " + "x" * 40,
        "bad signature": "Bearer " + pyjwt.encode(_claims(tokens), "another-secret-0123456789abcdef0123", algorithm="HS256"),
        "alg none": "Bearer " + _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(_claims(tokens)) + ".",
        "other algorithm": "Bearer " + pyjwt.encode(_claims(tokens), TEST_JWT_SECRET + "x" * 40, algorithm="HS512"),
        "expired": "Bearer " + pyjwt.encode(_claims(tokens, exp=int(time.time()) - 10), TEST_JWT_SECRET, algorithm="HS256"),
        "wrong type": "Bearer " + pyjwt.encode(_claims(tokens, type="refresh"), TEST_JWT_SECRET, algorithm="HS256"),
        "no tv claim": "Bearer " + pyjwt.encode(_claims(tokens, tv=None), TEST_JWT_SECRET, algorithm="HS256"),
        "stale tv": "Bearer " + pyjwt.encode(_claims(tokens, tv=7), TEST_JWT_SECRET, algorithm="HS256"),
        "no ik claim": "Bearer " + pyjwt.encode(_claims(tokens, ik=None), TEST_JWT_SECRET, algorithm="HS256"),
        "other ik": "Bearer " + pyjwt.encode(_claims(tokens, ik="0" * 32), TEST_JWT_SECRET, algorithm="HS256"),
        "no exp": "Bearer " + pyjwt.encode(_claims(tokens, exp=None), TEST_JWT_SECRET, algorithm="HS256"),
        "integer sub": "Bearer " + pyjwt.encode(_claims(tokens, sub=1), TEST_JWT_SECRET, algorithm="HS256"),
        "unknown user": "Bearer " + pyjwt.encode(_claims(tokens, sub="999999"), TEST_JWT_SECRET, algorithm="HS256"),
        "huge sub": "Bearer " + pyjwt.encode(_claims(tokens, sub="9" * 40), TEST_JWT_SECRET, algorithm="HS256"),
        "tampered": "Bearer " + good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
    }


ATTACKS = ["missing", "not a bearer", "empty bearer", "malformed", "garbage", "bad signature", "alg none",
           "other algorithm", "expired", "wrong type", "no tv claim", "stale tv", "no ik claim", "other ik", "no exp",
           "integer sub",
           "unknown user", "huge sub", "tampered"]


# The problem kind of each: a client refreshes an expired token and signs in again after a revoked one.
ATTACK_KINDS = {"missing": "token-missing", "not a bearer": "token-missing", "expired": "token-expired",
                "stale tv": "token-revoked", "unknown user": "token-revoked",
                "other ik": "token-revoked"}  # issued to a user who is gone (the id came back)


@pytest.mark.parametrize("attack", ATTACKS)
def test_every_invalid_token_is_a_401_problem(client, tokens, attack):
    header = _attacks(tokens)[attack]
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/auth/me", headers=headers)
    body = assert_problem(response, 401)
    kind = ATTACK_KINDS.get(attack, "token-invalid")
    assert body["type"] == f"http://localhost/api/problems/{kind}"
    # RFC 6750 3.1: no error code when the request carries no bearer token at all.
    challenge = "Bearer" if kind == "token-missing" else 'Bearer error="invalid_token"'
    assert response.headers["WWW-Authenticate"] == challenge


def test_a_revoked_token_is_told_from_an_expired_one_by_type(client, make_user):
    make_user("rita")
    pair = login(client, "rita", "password123").get_json()
    assert client.post("/api/auth/logout", headers=bearer(pair["access_token"])).status_code == 204
    response = client.get("/api/auth/me", headers=bearer(pair["access_token"]))
    assert assert_problem(response, 401)["type"] == "http://localhost/api/problems/token-revoked"
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_wrong_credentials_are_their_own_kind(client, make_user):
    make_user("ruth")
    response = login(client, "ruth", "wrong-password")
    assert assert_problem(response, 401)["type"] == "http://localhost/api/problems/invalid-credentials"
    assert response.headers["WWW-Authenticate"] == "Bearer"  # no bearer token was presented


def test_a_correctly_forged_token_with_the_real_key_works(client, tokens):
    """Guards the attack tests: the same construction with valid claims is accepted."""
    token = pyjwt.encode(_claims(tokens), TEST_JWT_SECRET, algorithm="HS256")
    assert client.get("/api/auth/me", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize("form", [False, True])
def test_nul_in_credentials_is_a_plain_401(client, form):
    """Found by the fuzzing run on PostgreSQL (which refuses NUL in text): a 401, never a 500."""
    data = {"username": "ad\x00min", "password": "pass\x00word"}
    response = client.post("/api/auth/login", data=data) if form else client.post("/api/auth/login", json=data)
    assert_problem(response, 401)


@pytest.mark.parametrize("change", ["profile", "password"])
def test_a_login_racing_a_change_of_the_same_user(client, make_user, make_app, monkeypatch, change):
    """Another worker changes the user while the password is checked: it does not wait for the login
    (SQLite: the check is not under the write lock), the login is not a 500 (PostgreSQL: the row's
    version moved on), and a password changed meanwhile is not accepted."""
    import threading

    from sqlalchemy import select

    from erp_admin.auth import signin
    from erp_admin.extensions import db
    from erp_admin.models import User
    from erp_admin.services.records import update_record

    make_user("dana", password="password123")
    other_worker = make_app(SQLITE_BUSY_TIMEOUT_MS=1000)
    real_verify, errors = signin.check_password, []

    def change_user():
        try:
            with other_worker.app_context():
                user = db.session.scalar(select(User).where(User.username == "dana"))
                update_record(user, {"full_name": "Dana D."} if change == "profile" else {"password": "another-pass-1"})
                db.session.commit()
        except Exception as exc:  # noqa: BLE001  (checked below, outside the request)
            errors.append(exc)

    def verify_while_another_worker_writes(stored, password):
        worker = threading.Thread(target=change_user)
        worker.start()
        worker.join()
        return real_verify(stored, password)

    monkeypatch.setattr(signin, "check_password", verify_while_another_worker_writes)
    response = login(client, "dana", "password123")
    assert errors == []
    if change == "profile":
        assert response.status_code == 200 and response.get_json()["user"]["full_name"] == "Dana D."
    else:
        assert_problem(response, 401)


@pytest.mark.parametrize("role", ["user", "manager", "admin"])
def test_login_user_carries_permissions_exactly_as_me(client, make_user, role):
    make_user(f"perm_{role}", role=role)
    login = client.post("/api/auth/login", json={"username": f"perm_{role}", "password": "password123"}).get_json()
    me = client.get("/api/auth/me", headers=bearer(login["access_token"])).get_json()
    assert login["user"]["permissions"] and login["user"] == me
