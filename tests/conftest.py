"""Shared fixtures: an app on a migrated test database, emptied after every test.

The database is SQLite in a temporary folder by default; ERP_TEST_DATABASE_URL
points the whole suite at another one (CI uses PostgreSQL). Tests that need
PostgreSQL, Redis or Chromium call `require()`, which skips with what to
install, or fails under ERP_TEST_REQUIRE_ALL=1 (as in CI).
"""
from __future__ import annotations

import os
import shutil

import pytest
from sqlalchemy import text

REQUIRE_ALL = os.environ.get("ERP_TEST_REQUIRE_ALL") == "1"
TEST_SECRET = "test-secret-key-0123456789abcdef0123456789"
TEST_JWT_SECRET = "test-jwt-secret-0123456789abcdef0123456789"


def pytest_configure(config):
    config.addinivalue_line("filterwarnings", "error")
    # A developer's own settings must not leak into the tests.
    for name in list(os.environ):
        if (name.startswith("ERP_") and not name.startswith("ERP_TEST_")) or name in ("DATABASE_URL", "REDIS_URL"):
            del os.environ[name]


def require(condition: bool, what: str) -> None:
    """Skip (or, under ERP_TEST_REQUIRE_ALL=1, fail) unless condition holds; what says what is missing."""
    if condition:
        return
    if REQUIRE_ALL:
        pytest.fail(f"ERP_TEST_REQUIRE_ALL=1 but {what}")
    pytest.skip(what)


def require_chromium() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    require(path is not None, "Chromium is not installed (Debian: apt-get install chromium)")
    return path


def test_config(database_url: str, instance_path: str, **overrides) -> dict:
    """Return the settings every test app starts from."""
    config = {
        "TESTING": True,
        "INSTANCE_PATH": instance_path,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": TEST_SECRET,
        "JWT_SECRET_KEY": TEST_JWT_SECRET,
        "AUTO_MIGRATE": False,
        # Cheap hashes keep the suite fast; production keeps the OWASP parameters.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 8,
        "ARGON2_PARALLELISM": 1,
    }
    config.update(overrides)
    return config


test_config.__test__ = False  # a helper, not a test, wherever it is imported


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("instance"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, instance_path) -> str:
    """The test database, migrated once per session."""
    from erp_admin import create_app
    from erp_admin.database import upgrade_database

    url = os.environ.get("ERP_TEST_DATABASE_URL") or "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")
    app = create_app(test_config(url, instance_path))
    upgrade_database(app)
    empty_database(app)  # a reused database may hold rows from an earlier run
    return url


@pytest.fixture
def app(database_url, instance_path):
    from erp_admin import create_app

    app = create_app(test_config(database_url, instance_path))
    yield app
    empty_database(app)


def empty_database(app) -> None:
    """Delete every row of every table (faster than recreating the schema)."""
    from erp_admin.extensions import db

    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
            if conn.dialect.name == "postgresql":
                # DELETE + restarting the id sequences is several times faster than
                # TRUNCATE (which also waits for an exclusive lock) on small tables.
                with_id = [t.name for t in db.metadata.sorted_tables if "id" in t.c]
                conn.execute(text("SELECT " + ", ".join(
                    f"setval(pg_get_serial_sequence('{name}', 'id'), 1, false)" for name in with_id)))
            elif conn.dialect.name == "sqlite":
                # AUTOINCREMENT ids never go back by themselves: restart them at 1 (a test-only reset).
                conn.execute(text("DELETE FROM sqlite_sequence"))
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create a user: make_user("manager") or make_user("x", role="admin", password=...)."""
    from tests.factories import create_user

    def make(username: str = "user1", role: str | None = None, password: str = "password123", **fields):
        with app.app_context():
            return create_user(username=username, role=role or (username if username in ("admin", "manager", "user") else "user"),
                               password=password, **fields)

    return make


@pytest.fixture(autouse=True)
def _reset_process_actor():
    """CLI commands and `flask shell` set a process-wide actor: keep it from leaking into the next test."""
    from erp_admin.audit.context import _process_actor

    token = _process_actor.set(None)
    yield
    _process_actor.reset(token)
