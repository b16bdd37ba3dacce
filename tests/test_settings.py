"""Documented settings, set in the environment as docs/configuration.md says, change what the app does.

Settings whose effect is proved elsewhere are listed in tests/test_docs.py EFFECT_TESTS.
"""
from __future__ import annotations

import json
import uuid
from datetime import timedelta

import jwt as pyjwt
import pytest
from itsdangerous import BadSignature, TimestampSigner
from sqlalchemy import func, inspect, select, text

from erp_admin import create_app
from erp_admin.extensions import db
from tests.admin.conftest import csrf_from
from tests.api.conftest import assert_problem, bearer
from tests.conftest import empty_database, require
from tests.conftest import test_config as make_config

STRONG = "s" * 40
STRONG_JWT = "j" * 64  # HS512 wants a key at least as long as its digest


@pytest.fixture
def env_app(monkeypatch, database_url, instance_path):
    """env_app({"ERP_X": value}) -> an app on the test database with those variables set.

    Values are written as the docs say an operator writes them: text as is, anything
    else as JSON. Test settings of the same name are left out so the environment rules.
    """
    built = []

    def make(env: dict, drop: tuple = (), **overrides):
        for name, value in env.items():
            monkeypatch.setenv(name, value if isinstance(value, str) else json.dumps(value))
        left_out = {name.removeprefix("ERP_") for name in env} | set(drop)
        config = {k: v for k, v in make_config(database_url, instance_path, **overrides).items() if k not in left_out}
        app = create_app(config)
        built.append(app)
        return app

    yield make
    for app in built:
        if app.config["SQLALCHEMY_DATABASE_URI"] == database_url:
            empty_database(app)  # also disposes the engine's connections
        else:
            with app.app_context():
                db.engine.dispose()


def _user(app, username="rosa", role="user"):
    from tests.factories import create_user

    with app.app_context():
        return create_user(username, role=role)


def _login(app, username="rosa") -> dict:
    response = app.test_client().post("/api/auth/login", json={"username": username, "password": "password123"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _claims(token: str) -> dict:
    return pyjwt.decode(token, options={"verify_signature": False})


def test_database_url_chooses_the_database(env_app, database_url, tmp_path):
    app = env_app({"DATABASE_URL": database_url}, drop=("SQLALCHEMY_DATABASE_URI",), INSTANCE_PATH=str(tmp_path))
    with app.app_context():
        # The migrated test database, not the default (absent) SQLite file of the instance folder.
        assert db.session.scalar(select(func.count()).select_from(text("users"))) == 0
    assert not (tmp_path / "erp_admin.db").exists()


def test_instance_path_holds_config_py_and_the_secrets(monkeypatch, database_url, tmp_path):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "config.py").write_text("LOGIN_RATE_LIMIT = 5\n")
    monkeypatch.setenv("ERP_INSTANCE_PATH", str(folder))
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "AUTO_MIGRATE": False})
    assert app.instance_path == str(folder)
    assert app.config["LOGIN_RATE_LIMIT"] == 5
    assert set(json.loads((folder / "secrets.json").read_text())) == {"SECRET_KEY", "JWT_SECRET_KEY"}


def test_secret_key_signs_the_panel_session(env_app, database_url, instance_path):
    app = env_app({"ERP_SECRET_KEY": STRONG})
    signed = app.session_interface.get_signing_serializer(app).dumps({"_user_id": "1:0"})
    same_key = create_app(make_config(database_url, instance_path, SECRET_KEY=STRONG))
    assert same_key.session_interface.get_signing_serializer(same_key).loads(signed) == {"_user_id": "1:0"}
    other_key = create_app(make_config(database_url, instance_path))
    with pytest.raises(BadSignature):
        other_key.session_interface.get_signing_serializer(other_key).loads(signed)


def test_jwt_secret_key_signs_the_tokens(env_app):
    app = env_app({"ERP_JWT_SECRET_KEY": STRONG_JWT})
    _user(app)
    token = _login(app)["access_token"]
    assert pyjwt.decode(token, STRONG_JWT, algorithms=["HS256"])["type"] == "access"


@pytest.mark.parametrize("value, migrated", [("false", False), ("true", True)])
def test_auto_migrate_decides_whether_startup_migrates(env_app, tmp_path, value, migrated):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    app = env_app({"ERP_AUTO_MIGRATE": value}, SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(tmp_path))
    with app.app_context():
        assert inspect(db.engine).has_table("users") is migrated


def test_engine_options_reach_create_engine(env_app):
    app = env_app({"ERP_SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 1234}})
    with app.app_context():
        assert db.engine.pool._recycle == 1234


@pytest.mark.parametrize("idle_after, pings", [(None, 0), (0, 3)])
def test_ping_idle_after_zero_pings_every_checkout(env_app, monkeypatch, idle_after, pings):
    app = env_app({} if idle_after is None else {"ERP_DB_PING_IDLE_AFTER": idle_after})
    seen = []
    with app.app_context():
        monkeypatch.setattr(db.engine.dialect, "do_ping", lambda dbapi_connection: seen.append(1) or True)
        for _ in range(3):
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
    assert len(seen) == pings  # the default (1 s) leaves connections used a moment ago alone


def test_sqlite_busy_timeout_is_the_connection_pragma(env_app, tmp_path):
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    app = env_app({"ERP_SQLITE_BUSY_TIMEOUT_MS": 1234}, SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(tmp_path))
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 1234


def test_token_lifetimes(env_app):
    app = env_app({"ERP_JWT_ACCESS_TOKEN_EXPIRES": 120, "ERP_JWT_REFRESH_TOKEN_EXPIRES": 3600})
    _user(app)
    pair = _login(app)
    assert pair["expires_in"] == 120
    access, refresh = _claims(pair["access_token"]), _claims(pair["refresh_token"])
    assert access["exp"] - access["iat"] == 120
    assert refresh["exp"] - refresh["iat"] == 3600


def test_jwt_algorithm_signs_and_is_accepted(env_app):
    app = env_app({"ERP_JWT_ALGORITHM": "HS512", "ERP_JWT_SECRET_KEY": STRONG_JWT})
    _user(app)
    token = _login(app)["access_token"]
    assert pyjwt.get_unverified_header(token)["alg"] == "HS512"
    assert app.test_client().get("/api/auth/me", headers=bearer(token)).status_code == 200


def _multipart(size: int) -> bytes:
    return (b'--B\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
            b"Content-Type: text/csv\r\n\r\n" + b"x" * size + b"\r\n--B--\r\n")


def test_max_content_length_caps_uploads(env_app, app):
    small = env_app({"ERP_MAX_CONTENT_LENGTH": 200_000})
    kind = "multipart/form-data; boundary=B"
    assert small.test_client().post("/admin/login/", data=_multipart(300_000), content_type=kind).status_code == 413
    assert app.test_client().post("/admin/login/", data=_multipart(300_000), content_type=kind).status_code != 413


def test_api_max_body_caps_json_bodies(env_app):
    app = env_app({"ERP_API_MAX_BODY": 1000})
    _user(app, "ada", "admin")
    token = _login(app, "ada")["access_token"]
    body = {"name": "x" * 2000, "price": 1}
    assert_problem(app.test_client().post("/api/products", json=body, headers=bearer(token)), 413)


def test_api_default_limit_is_the_page_size(env_app):
    from tests.factories import create_product

    app = env_app({"ERP_API_DEFAULT_LIMIT": 2})
    _user(app)
    with app.app_context():
        for i in range(3):
            create_product(sku=f"L-{i}", name=f"Limit {i}")
    response = app.test_client().get("/api/products", headers=bearer(_login(app)["access_token"]))
    assert len(response.get_json()) == 2 and response.headers["X-Total-Count"] == "3"


def test_login_rate_limit_and_window(env_app):
    app = env_app({"ERP_LOGIN_RATE_LIMIT": 1, "ERP_LOGIN_RATE_WINDOW": 7})
    client = app.test_client()
    assert_problem(client.post("/api/auth/login", json={"username": "zed", "password": "bad"}), 401)
    response = client.post("/api/auth/login", json={"username": "zed", "password": "bad"})
    assert_problem(response, 429)
    assert 1 <= int(response.headers["Retry-After"]) <= 7  # the default window would say up to 60


def test_argon2_parameters_are_those_of_the_stored_hash(env_app):
    from erp_admin.models import User

    app = env_app({"ERP_ARGON2_TIME_COST": 3, "ERP_ARGON2_MEMORY_COST": 16, "ERP_ARGON2_PARALLELISM": 2})
    snap = _user(app)
    with app.app_context():
        assert db.session.get(User, snap.id).password_hash.startswith("$argon2id$v=19$m=16,t=3,p=2$")


def test_session_cookie_attributes(env_app, app):
    custom = env_app({"ERP_SESSION_COOKIE_HTTPONLY": "false", "ERP_SESSION_COOKIE_SAMESITE": "Strict"})
    cookie = custom.test_client().get("/admin/login/").headers["Set-Cookie"]
    assert "SameSite=Strict" in cookie and "HttpOnly" not in cookie
    default = app.test_client().get("/admin/login/").headers["Set-Cookie"]
    assert "SameSite=Lax" in default and "HttpOnly" in default


def test_retry_back_off_grows_from_the_setting(env_app, monkeypatch):
    import psycopg

    from erp_admin.services import transactions
    from erp_admin.errors import ServiceUnavailable
    from tests.inventory.test_transactions import pg_error

    app = env_app({"ERP_DB_RETRY_ATTEMPTS": 3, "ERP_DB_RETRY_BACKOFF_MS": 7})
    slept = []
    monkeypatch.setattr(transactions.random, "uniform", lambda low, high: high)  # the jitter's upper bound
    monkeypatch.setattr(transactions.time, "sleep", slept.append)

    def work():
        raise pg_error(psycopg.errors.SerializationFailure)

    with app.app_context(), pytest.raises(ServiceUnavailable):
        transactions.run_in_transaction(work)
    assert slept == [0.007, 0.014]  # 3 tries: 2 waits, doubling from 7 ms


def test_redis_keys_start_with_the_prefix(env_app):
    import redis

    from tests.api.test_redis import REDIS_URL as url, _redis_available

    require(_redis_available(), f"Redis is not reachable at {url} (apt-get install redis-server)")
    client = redis.Redis.from_url(url)
    prefix = f"erp-test-settings-{uuid.uuid4().hex}:"
    app = env_app({"REDIS_URL": url, "ERP_REDIS_KEY_PREFIX": prefix})
    try:
        app.test_client().post("/api/auth/login", json={"username": "zed", "password": "bad"})
        assert list(client.scan_iter(match=prefix + "*"))  # the failed login's counters
    finally:
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)


def test_redis_timeout_bounds_connect_and_reply(env_app):
    from erp_admin.db.redis_store import redis_client

    app = env_app({"REDIS_URL": "redis://127.0.0.1:1/0", "ERP_REDIS_TIMEOUT": 0.3})
    with app.app_context():
        options = redis_client().connection_pool.connection_kwargs
    assert options["socket_timeout"] == options["socket_connect_timeout"] == 0.3


def test_json_depth_limit(env_app, app):
    nested = {"name": {"a": {"b": {"c": 1}}}, "price": 1}  # four levels
    custom = env_app({"ERP_API_MAX_JSON_DEPTH": 3})
    _user(custom, "ada", "admin")
    headers = bearer(_login(custom, "ada")["access_token"])
    body = assert_problem(custom.test_client().post("/api/products", json=nested, headers=headers), 400)
    assert body["detail"] == "The JSON body is nested too deeply."
    # Within the default depth the same body gets as far as validation.
    assert_problem(app.test_client().post("/api/products", json=nested, headers=headers), 422)


def test_idempotency_ttl_frees_a_key(env_app):
    from erp_admin.models import IdempotencyRecord, Product

    app = env_app({"ERP_IDEMPOTENCY_TTL": 60})
    _user(app)
    client = app.test_client()
    headers = {**bearer(_login(app)["access_token"]), "Idempotency-Key": "k1"}
    assert client.post("/api/products", json={"name": "Once", "price": 1}, headers=headers).status_code == 201
    with app.app_context():
        record = db.session.scalars(select(IdempotencyRecord)).one()
        record.created_at = record.created_at - timedelta(seconds=61)  # the default (24 h) would still replay it
        db.session.commit()
    response = client.post("/api/products", json={"name": "Once", "price": 1}, headers=headers)
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Product)) == 2


@pytest.mark.parametrize("limit, status", [(None, 302), (60, 400)])
def test_csrf_time_limit_expires_a_form(env_app, make_user, monkeypatch, limit, status):
    app = env_app({} if limit is None else {"ERP_WTF_CSRF_TIME_LIMIT": limit})
    make_user("manager")
    client = app.test_client()
    token = csrf_from(client.get("/admin/login/").get_data(as_text=True))
    later = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later(self) + 120)  # two minutes on
    response = client.post("/admin/login/", data={"username": "manager", "password": "password123", "csrf_token": token})
    assert response.status_code == status
