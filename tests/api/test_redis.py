"""Redis backends (REDIS_URL set): token revocation and login throttling; a Redis outage fails closed (401)."""
from __future__ import annotations

import os
import uuid

import pytest

from tests.api.conftest import assert_problem, bearer
from tests.conftest import TokenFactory, api_login, empty_database, require
from tests.conftest import test_config as make_config

REDIS_URL = os.environ.get("ERP_TEST_REDIS_URL", "redis://127.0.0.1:6379/1")


def _redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_app(database_url, instance_path):
    """An app using Redis under a key prefix of its own (deleted afterwards; never FLUSHDB)."""
    import redis

    require(_redis_available(), f"Redis is not reachable at {REDIS_URL} (apt-get install redis-server)")
    from erp_admin import create_app

    prefix = f"erp-test-api-{uuid.uuid4().hex}:"
    app = create_app(make_config(database_url, instance_path, REDIS_URL=REDIS_URL, REDIS_KEY_PREFIX=prefix,
                                 LOGIN_RATE_LIMIT=3))
    yield app
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    empty_database(app)


def _user_tokens(app, username="rosa", role="user"):
    return TokenFactory(app).pair(role, username)


def _logout(app, pair) -> None:
    response = app.test_client().post("/api/auth/logout", json={"refresh_token": pair["refresh_token"]},
                                      headers=bearer(pair["access_token"]))
    assert response.status_code == 204


def _assert_revoked(app, pair) -> None:
    client = app.test_client()
    assert_problem(client.get("/api/auth/me", headers=bearer(pair["access_token"])), 401)
    assert_problem(client.post("/api/auth/refresh", headers=bearer(pair["refresh_token"])), 401)


def test_logout_revokes_in_the_database_and_in_redis(redis_app):
    from sqlalchemy import func, select

    from erp_admin.extensions import db
    from erp_admin.models import RevokedToken

    pair = _user_tokens(redis_app)
    _logout(redis_app, pair)
    _assert_revoked(redis_app, pair)
    with redis_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RevokedToken)) == 2  # the record
        from erp_admin.db.redis_store import redis_client, redis_key

        ttl = redis_client().ttl(redis_key("revoked", __import__("jwt").decode(
            pair["access_token"], options={"verify_signature": False})["jti"]))
        assert 0 < ttl <= 15 * 60 + 1  # kept only as long as the token could live


def test_a_token_revoked_without_redis_stays_revoked_once_redis_is_configured(app, redis_app):
    pair = _user_tokens(app)
    _logout(app, pair)  # development: no REDIS_URL
    _assert_revoked(redis_app, pair)  # production adds REDIS_URL


def test_a_revoked_token_stays_revoked_when_redis_loses_its_data(redis_app):
    import redis

    pair = _user_tokens(redis_app)
    _logout(redis_app, pair)
    # Redis keeps nothing on disk: a restart empties it (this app's keys, as FLUSHDB would).
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=redis_app.config["REDIS_KEY_PREFIX"] + "*"))
    assert keys and client.delete(*keys)
    _assert_revoked(redis_app, pair)


def test_a_token_revoked_with_redis_stays_revoked_once_redis_is_removed(redis_app, make_app):
    pair = _user_tokens(redis_app)
    _logout(redis_app, pair)
    _assert_revoked(make_app(), pair)


def test_throttle_counts_in_redis(redis_app):
    from sqlalchemy import func, select

    from erp_admin.extensions import db
    from erp_admin.models import ThrottleCounter

    client = redis_app.test_client()
    for _ in range(3):
        assert_problem(api_login(client, "zed", "bad"), 401)
    response = api_login(client, "zed", "bad")
    assert_problem(response, 429)
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    with redis_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ThrottleCounter)) == 0


def test_known_addresses_and_counters_live_in_redis(redis_app):
    """The throttling scheme on Redis: an attacker's address is blocked, a known address of the user is not."""
    from sqlalchemy import func, select

    from erp_admin.auth.throttle import USER_LIMIT_FACTOR
    from erp_admin.extensions import db
    from erp_admin.models import ThrottleCounter

    _user_tokens(redis_app, username="mona")
    client = redis_app.test_client()

    def login(password, addr):
        return client.post("/api/auth/login", json={"username": "mona", "password": password},
                           environ_base={"REMOTE_ADDR": addr})

    assert login("password123", "10.0.0.7").status_code == 200  # mona's own address becomes known
    for _ in range(3):
        assert_problem(login("guess", "10.0.0.66"), 401)
    assert_problem(login("password123", "10.0.0.66"), 429)
    assert login("password123", "10.0.0.8").status_code == 200  # never known, but one address locks nobody out
    for i in range(3 * USER_LIMIT_FACTOR - 3):  # with the 3 above: the username's threshold
        assert_problem(login("guess", f"172.16.0.{i}"), 401)
    assert_problem(login("password123", "172.16.1.1"), 429)
    assert login("password123", "10.0.0.7").status_code == 200
    with redis_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ThrottleCounter)) == 0


def test_redis_down_fails_closed(database_url, instance_path):
    """An unreachable Redis refuses tokens (401: fails closed); logins fall back to the database counters."""
    from erp_admin import create_app

    app = create_app(make_config(database_url, instance_path, REDIS_URL="redis://127.0.0.1:1/0"))
    try:
        client = app.test_client()
        pair = TokenFactory(app).pair("user", "rosa")
        refused = client.get("/api/auth/me", headers=bearer(pair["access_token"]))
        assert_problem(refused, 401)
        assert refused.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'  # a token was sent
        assert api_login(client, "rosa").status_code == 200
    finally:
        empty_database(app)
