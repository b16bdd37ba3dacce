"""Redis backends (REDIS_URL set): token revocation and login throttling; a Redis outage fails closed (401)."""
from __future__ import annotations

import os
import uuid

import pytest

from tests.api.conftest import assert_problem, bearer
from tests.conftest import empty_database, require
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
    from erp_admin.api.tokens import issue_tokens
    from erp_admin.extensions import db
    from erp_admin.models import User
    from tests.factories import create_user

    with app.app_context():
        snap = create_user(username, role=role)
        return issue_tokens(db.session.get(User, snap.id))


def test_logout_revokes_in_redis_not_in_the_table(redis_app):
    from sqlalchemy import func, select

    from erp_admin.extensions import db
    from erp_admin.models import RevokedToken

    client = redis_app.test_client()
    pair = _user_tokens(redis_app)
    assert client.post("/api/auth/logout", json={"refresh_token": pair["refresh_token"]},
                       headers=bearer(pair["access_token"])).status_code == 204
    assert_problem(client.get("/api/auth/me", headers=bearer(pair["access_token"])), 401)
    assert_problem(client.post("/api/auth/refresh", headers=bearer(pair["refresh_token"])), 401)
    with redis_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RevokedToken)) == 0
        from erp_admin.kv import redis_client, redis_key

        ttl = redis_client().ttl(redis_key("revoked", __import__("jwt").decode(
            pair["access_token"], options={"verify_signature": False})["jti"]))
        assert 0 < ttl <= 15 * 60 + 1  # kept only as long as the token could live


def test_throttle_counts_in_redis(redis_app):
    from sqlalchemy import func, select

    from erp_admin.extensions import db
    from erp_admin.models import ThrottleCounter

    client = redis_app.test_client()
    for _ in range(3):
        assert_problem(client.post("/api/auth/login", json={"username": "zed", "password": "bad"}), 401)
    response = client.post("/api/auth/login", json={"username": "zed", "password": "bad"})
    assert_problem(response, 429)
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    with redis_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ThrottleCounter)) == 0


def test_redis_down_fails_closed(database_url, instance_path):
    """An unreachable Redis refuses tokens (401: fails closed); logins fall back to the database counters."""
    from erp_admin import create_app

    app = create_app(make_config(database_url, instance_path, REDIS_URL="redis://127.0.0.1:1/0"))
    try:
        client = app.test_client()
        pair = _user_tokens(app)
        refused = client.get("/api/auth/me", headers=bearer(pair["access_token"]))
        assert_problem(refused, 401)
        assert refused.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'  # a token was sent
        assert client.post("/api/auth/login", json={"username": "rosa", "password": "password123"}).status_code == 200
    finally:
        empty_database(app)
