"""Outages of the database and of Redis, simulated with a TCP proxy the test cuts.

The shared PostgreSQL and Redis are never stopped: the app under test talks
to them through tests/support/tcp_proxy.py, and `cut()` drops every
connection and refuses new ones until `restore()`.
"""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from tests.admin.conftest import Panel
from tests.api.conftest import assert_problem, bearer
from tests.conftest import TokenFactory, api_login, empty_database, require
from tests.conftest import test_config as make_config
from tests.production.servers import (
    PG_ADMIN_URL, REDIS_URL, delete_redis_prefix, migrate, private_postgres_database, redis_available,
    unique_prefix,
)
from tests.support.clock import shift_clock
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.slow  # private PostgreSQL databases behind a TCP proxy


def _no_traceback(response):
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "psycopg" not in text and "OperationalError" not in text


# --- the database ---------------------------------------------------------------------------

@pytest.fixture
def pg_behind_proxy(instance_path, request):
    """An app on a private PostgreSQL database reached through a TcpProxy: (app, proxy).

    Its DB_PING_IDLE_AFTER is 0.2 s, or the test's indirect parameter.
    """
    require(bool(PG_ADMIN_URL), "ERP_TEST_PG_ADMIN_URL is not set (a PostgreSQL admin connection, CI sets it)")
    from erp_admin import create_app

    with private_postgres_database() as url:
        migrate(url.render_as_string(hide_password=False), instance_path)
        proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        # The app's own stale-connection handling (no pool_pre_ping), with a short idle time.
        app = create_app(make_config(proxied, instance_path, DB_PING_IDLE_AFTER=getattr(request, "param", 0.2),
                                     SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 3}}))
        try:
            yield app, proxy
        finally:
            proxy.close()
            from erp_admin.extensions import db

            with app.app_context():
                db.engine.dispose()


def test_database_down_is_503_everywhere_and_the_app_recovers(pg_behind_proxy):
    app, proxy = pg_behind_proxy
    admin = TokenFactory(app).pair("admin", "admin")
    client = app.test_client()
    panel = Panel(app.test_client())
    assert panel.login("admin").status_code == 302
    assert client.get("/api/health").get_json() == {"status": "ok"}
    assert client.get("/api/products", headers=bearer(admin["access_token"])).status_code == 200
    assert panel.client.get("/admin/products/").status_code == 200

    proxy.cut()
    health = client.get("/api/health")
    assert assert_problem(health, 503)["status"] == 503
    _no_traceback(health)
    requests = [
        client.get("/api/products", headers=bearer(admin["access_token"])),
        client.get("/api/customers/1", headers=bearer(admin["access_token"])),
        client.post("/api/products", json={"name": "Lamp", "price": "1.00"}, headers=bearer(admin["access_token"])),
        api_login(client, "admin", "password123"),
        client.get("/api/stats", headers=bearer(admin["access_token"])),
    ]
    for response in requests:
        assert assert_problem(response, 503)["detail"]
        assert response.headers["Retry-After"]
        _no_traceback(response)
    page = panel.client.get("/admin/products/")
    assert page.status_code == 503 and page.mimetype == "text/html"
    _no_traceback(page)

    proxy.restore()  # the same app, no restart: the failed requests discarded the dead connections
    assert client.get("/api/health").get_json() == {"status": "ok"}
    assert client.get("/api/products", headers=bearer(admin["access_token"])).status_code == 200
    assert panel.client.get("/admin/products/").status_code == 200
    assert api_login(client, "admin", "password123").status_code == 200


def test_an_idle_connection_to_a_restarted_database_is_replaced_before_use(pg_behind_proxy, monkeypatch):
    from erp_admin.db import connection_health as stale_connections

    clock = shift_clock(monkeypatch, stale_connections)
    app, proxy = pg_behind_proxy
    admin = TokenFactory(app).pair("admin", "admin")
    client = app.test_client()
    assert client.get("/api/products", headers=bearer(admin["access_token"])).status_code == 200
    proxy.cut()  # the pooled connection dies while nobody uses it
    proxy.restore()
    clock.advance(0.3)  # idle longer than DB_PING_IDLE_AFTER: pinged at checkout, found dead, replaced
    assert client.get("/api/products", headers=bearer(admin["access_token"])).status_code == 200


@pytest.mark.parametrize("pg_behind_proxy", [3600], indirect=True)  # never idle long enough to be pinged
def test_a_connection_that_died_while_busy_costs_one_503_then_the_pool_is_renewed(pg_behind_proxy):
    app, proxy = pg_behind_proxy
    admin = TokenFactory(app).pair("admin", "admin")
    client = app.test_client()
    headers = bearer(admin["access_token"])
    assert client.get("/api/products", headers=headers).status_code == 200
    proxy.cut()
    proxy.restore()
    # Used a moment ago, so not pinged: the request meets the dead connection and answers 503 ...
    first = client.get("/api/products", headers=headers)
    assert assert_problem(first, 503)["detail"]
    _no_traceback(first)
    # ... which discards the pool: the next request runs on a new connection.
    assert client.get("/api/products", headers=headers).status_code == 200


# --- Redis ----------------------------------------------------------------------------------

@pytest.fixture
def redis_behind_proxy(database_url, instance_path):
    """An app whose REDIS_URL goes through a TcpProxy to the test Redis: (app, proxy)."""
    require(redis_available(), f"Redis is not reachable at {REDIS_URL} (apt-get install redis-server)")
    from redis.connection import parse_url

    from erp_admin import create_app

    target = parse_url(REDIS_URL)
    proxy = TcpProxy(target.get("host", "127.0.0.1"), target.get("port", 6379))
    prefix = unique_prefix("outage")
    # REDIS_RECHECK_INTERVAL=0: Redis is tried on every request, so restore() takes effect at once.
    app = create_app(make_config(database_url, instance_path, REDIS_KEY_PREFIX=prefix, LOGIN_RATE_LIMIT=3,
                                 REDIS_RECHECK_INTERVAL=0,
                                 REDIS_URL=f"redis://127.0.0.1:{proxy.port}/{target.get('db', 0)}"))
    try:
        yield app, proxy
    finally:
        proxy.close()
        delete_redis_prefix(prefix)
        empty_database(app)


def _redis_warnings(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "Redis" in r.getMessage()]


def _counters(app):
    from erp_admin.extensions import db
    from erp_admin.models import ThrottleCounter

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ThrottleCounter))


def test_redis_down_refuses_tokens_with_401_and_throttles_in_the_database(redis_behind_proxy, caplog):
    app, proxy = redis_behind_proxy
    client = app.test_client()
    pair = TokenFactory(app).pair("user", "rosa")
    me = bearer(pair["access_token"])
    assert client.get("/api/auth/me", headers=me).status_code == 200

    proxy.cut()
    caplog.set_level(logging.WARNING)
    for _ in range(3):  # fails closed: the token may have been revoked, so it is refused
        refused = client.get("/api/auth/me", headers=me)
        assert_problem(refused, 401)
        assert refused.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'  # a token was sent
    # Logins still work, and still count failures: in the database while Redis is away.
    for _ in range(3):
        assert_problem(api_login(client, "rosa", "wrong"), 401)
    assert _counters(app) == 2  # per address and per username
    throttled = api_login(client, "rosa", "password123")
    assert_problem(throttled, 429)
    assert int(throttled.headers["Retry-After"]) >= 1
    warnings = _redis_warnings(caplog)
    assert len(warnings) == 1, warnings  # once per outage, not per request
    assert "fails closed" in warnings[0] and "falls back to the database" in warnings[0]

    proxy.restore()
    assert client.get("/api/auth/me", headers=me).status_code == 200
    assert any("reachable again" in w for w in _redis_warnings(caplog))


def test_redis_down_login_falls_back_and_says_so(redis_behind_proxy, caplog):
    app, proxy = redis_behind_proxy
    client = app.test_client()
    TokenFactory(app).pair("user", "rosa")
    proxy.cut()
    caplog.set_level(logging.WARNING)
    ok = api_login(client, "rosa", "password123")
    assert ok.status_code == 200 and ok.get_json()["access_token"]
    assert any("falls back to the database" in w for w in _redis_warnings(caplog))


def test_logout_while_redis_is_down_is_503_and_revokes_nothing(redis_behind_proxy):
    app, proxy = redis_behind_proxy
    client = app.test_client()
    pair = TokenFactory(app).pair("user", "rosa")
    proxy.cut()
    response = client.post("/api/auth/logout", headers=bearer(pair["access_token"]))
    assert "cannot be stored" in assert_problem(response, 503)["detail"]
    assert response.headers["Retry-After"]
    proxy.restore()  # the client was told: it can sign out again now
    assert client.post("/api/auth/logout", headers=bearer(pair["access_token"])).status_code == 204
    assert_problem(client.get("/api/auth/me", headers=bearer(pair["access_token"])), 401)


def test_panel_login_works_while_redis_is_down(redis_behind_proxy):
    app, proxy = redis_behind_proxy
    from tests.factories import create_user

    with app.app_context():
        create_user("manager", role="manager", password="password123")
    panel = Panel(app.test_client())
    proxy.cut()
    assert panel.login("manager", password="not-it").status_code == 200  # the form again, no 500
    signed_in = panel.login("manager")
    assert signed_in.status_code == 302
    assert panel.client.get("/admin/products/").status_code == 200


class HungRedis:
    """A listener that accepts connections and never answers: Redis hung, not refused. Counts connections."""

    def __init__(self):
        import socket
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.accepted:
            conn.close()


def test_a_hung_redis_is_not_retried_on_every_request(database_url, instance_path, caplog):
    """After a failed call Redis is left alone for REDIS_RECHECK_INTERVAL: one timeout, not one per request."""
    from erp_admin import create_app

    hung = HungRedis()
    app = create_app(make_config(database_url, instance_path, REDIS_URL=f"redis://127.0.0.1:{hung.port}/0",
                                 REDIS_TIMEOUT=0.2, REDIS_RECHECK_INTERVAL=3600))
    try:
        client = app.test_client()
        pair = TokenFactory(app).pair("user", "rosa")
        caplog.set_level(logging.WARNING)
        assert_problem(client.get("/api/auth/me", headers=bearer(pair["access_token"])), 401)
        tried = len(hung.accepted)
        assert tried >= 1
        for _ in range(5):
            assert_problem(client.get("/api/auth/me", headers=bearer(pair["access_token"])), 401)
        assert api_login(client, "rosa", "password123").status_code == 200
        assert len(hung.accepted) == tried  # not contacted again within the interval
        assert len(_redis_warnings(caplog)) == 1
        app.config["REDIS_RECHECK_INTERVAL"] = 0
        assert_problem(client.get("/api/auth/me", headers=bearer(pair["access_token"])), 401)
        assert len(hung.accepted) > tried  # the interval over: tried again
    finally:
        hung.close()
        empty_database(app)
