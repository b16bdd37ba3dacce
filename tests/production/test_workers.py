"""Four gunicorn workers share revocations and login throttling, with and without Redis.

A real `gunicorn -w 4` (the repo's gunicorn_conf) serves the test database.
Every request uses a fresh connection, and gunicorn's access log names the
worker pid that answered, so the tests prove that every worker refused the
revoked token and that the 11th failed login is refused whichever worker
gets it.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import require
from tests.production.servers import REDIS_URL, delete_redis_prefix, gunicorn, redis_available, unique_prefix

pytestmark = pytest.mark.slow  # gunicorn workers

WORKERS = 4


@pytest.fixture(scope="module", params=["database", "redis"])
def server(request, database_url, instance_path, tmp_path_factory):
    """gunicorn -w 4 on the test database; the "redis" variant keeps shared state in Redis."""
    redis_url = prefix = None
    if request.param == "redis":
        require(redis_available(), f"Redis is not reachable at {REDIS_URL} (apt-get install redis-server)")
        redis_url, prefix = REDIS_URL, unique_prefix("workers")
    try:
        with gunicorn(database_url, instance_path, tmp_path_factory.mktemp("gunicorn"), workers=WORKERS, redis_url=redis_url,
                      redis_prefix=prefix) as running:
            running.backend, running.redis_prefix = request.param, prefix
            yield running
    finally:
        if prefix:
            delete_redis_prefix(prefix)


@pytest.fixture(autouse=True)
def _fresh_counters(server, app):
    """Each test starts without Redis counters or revocations (the app fixture empties the tables)."""
    yield
    if server.redis_prefix:
        delete_redis_prefix(server.redis_prefix)


def _spread(server, method, path, *, token=None, body=None, count=48):
    """Send count requests from 8 threads at once, so every worker gets some."""
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda _: server.call(method, path, body=body, token=token)[0], range(count)))


def _spread_to_every_worker(server, method, path, status, *, token=None, body=None, rounds=10):
    """_spread in rounds until every worker has answered with status (a loaded machine may leave
    one idle for a round; bounded); return (all statuses, pids that answered with status)."""
    statuses, pids = [], set()
    for _ in range(rounds):
        statuses += _spread(server, method, path, token=token, body=body)
        pids = set(server.worker_pids(method, path, status, count=statuses.count(status)))
        if len(pids) == WORKERS:
            break
    return statuses, pids


def _tables(app):
    from sqlalchemy import func, select

    from erp_admin.extensions import db
    from erp_admin.models import RevokedToken, ThrottleCounter

    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(RevokedToken)),
                db.session.scalar(select(func.count()).select_from(ThrottleCounter)))


def test_a_token_revoked_through_one_worker_is_refused_by_all(server, app, make_user):
    make_user("rosa", role="user", password="rosa-password-1")
    status, _, raw = server.call("POST", "/api/auth/login", {"username": "rosa", "password": "rosa-password-1"})
    assert status == 200
    import json

    token = json.loads(raw)["access_token"]

    statuses, accepted_by = _spread_to_every_worker(server, "GET", "/api/auth/me", 200, token=token)
    assert set(statuses) == {200}
    assert len(accepted_by) == WORKERS  # every worker accepted the token before

    assert server.call("POST", "/api/auth/logout", token=token)[0] == 204
    (logout_worker,) = server.worker_pids("POST", "/api/auth/logout", 204)
    assert logout_worker in accepted_by

    statuses, refused_by = _spread_to_every_worker(server, "GET", "/api/auth/me", 401, token=token)
    assert set(statuses) == {401}
    assert refused_by == accepted_by  # every worker refused it
    revoked_rows, _ = _tables(app)
    assert revoked_rows == 1  # the database is the record, with or without Redis (a copy)


def test_the_login_limit_is_not_multiplied_by_the_worker_count(server, app):
    limit = 10  # LOGIN_RATE_LIMIT's default, which the server runs with
    attempt = {"username": "mallory", "password": "wrong-password"}
    failures = [server.call("POST", "/api/auth/login", attempt)[0] for _ in range(limit)]
    assert failures == [401] * limit

    refused, refused_by = _spread_to_every_worker(server, "POST", "/api/auth/login", 429, body=attempt)
    assert set(refused) == {429}  # the 11th and every later attempt, on every worker
    assert len(refused_by) == WORKERS
    _, counters = _tables(app)
    assert counters == (2 if server.backend == "database" else 0)  # per address and per username
