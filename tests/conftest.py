"""Shared fixtures: one app per session on a migrated test database, emptied after every test.

The database is SQLite in a temporary folder by default; ERP_TEST_DATABASE_URL
points the whole suite at another one (CI uses PostgreSQL). Tests share one
app (building one per test cost more than most tests); after each test the
database is emptied and the app's configuration and caches put back (see
`app`). A test that changes the app itself (registers hooks, needs other
settings at start) is marked `own_app` or builds its own with create_app.
Tests that need PostgreSQL, Redis or Chromium call `require()`, which skips
with what to install, or fails under ERP_TEST_REQUIRE_ALL=1 (as in CI).
Slow tests (live servers, browsers, fuzzing, stress) are marked `slow`:
`pytest -m "not slow" tests` runs the rest in seconds. docs/testing.md says more.
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
    config.addinivalue_line("markers", "slow: live servers, gunicorn, browsers, fuzzing, big data, stress "
                                       "(pytest -m 'not slow' leaves them out)")
    config.addinivalue_line("markers", "own_app: the `app` fixture builds this test an app of its own "
                                       "(for tests that register hooks or routes on it)")
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
    from erp_admin.db.engine import upgrade_database

    url = os.environ.get("ERP_TEST_DATABASE_URL") or "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")
    app = create_app(test_config(url, instance_path))
    upgrade_database(app)
    empty_database(app)  # a reused database may hold rows from an earlier run
    return url


@pytest.fixture(scope="session")
def shared_app(database_url, instance_path):
    """The app most tests share; `app` puts it back as it was after each test."""
    from erp_admin import create_app

    app = create_app(test_config(database_url, instance_path))
    # Registering a hook or a route on the shared app would leak into every later
    # test: Flask refuses it once the app has served a request, so say it has.
    app._got_first_request = True
    app.extensions["erp_test_baseline"] = AppState(app)
    yield app
    with app.app_context():
        db_remove_and_dispose()


class AppState:
    """What a test may change on the shared app, captured once and put back after each test."""

    # Built lazily and the same for every test: kept across tests.
    KEPT_EXTENSIONS = frozenset({"erp_openapi"})

    def __init__(self, app):
        self.config = dict(app.config)
        self.extensions = set(app.extensions) | {"erp_test_baseline"}
        self.json = dict(vars(app.json))
        self.hooks = _hook_counts(app)

    def restore(self, app) -> None:
        app.config.clear()
        app.config.update(self.config)
        for name in set(app.extensions) - self.extensions - self.KEPT_EXTENSIONS:
            # Per-app Redis clients and outage state (kv.py) made under a test's settings.
            del app.extensions[name]
        vars(app.json).clear()
        vars(app.json).update(self.json)
        assert _hook_counts(app) == self.hooks, "a test changed the shared app's hooks or routes: mark it own_app"


def _hook_counts(app) -> tuple:
    return (len(app.view_functions), sum(map(len, app.before_request_funcs.values())),
            sum(map(len, app.after_request_funcs.values())), sum(map(len, app.teardown_request_funcs.values())))


@pytest.fixture
def app(request, database_url, instance_path):
    """The app under test: the shared one, or one of its own for tests marked own_app."""
    if request.node.get_closest_marker("own_app"):
        from erp_admin import create_app

        app = create_app(test_config(database_url, instance_path))
        yield app
        empty_database(app)
        return
    app = request.getfixturevalue("shared_app")
    yield app
    reset_database(app)
    app.extensions["erp_test_baseline"].restore(app)


def reset_database(app) -> None:
    """Delete every row of every table and restart the ids (faster than recreating the schema)."""
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
            elif conn.dialect.name == "sqlite" and conn.scalar(text(
                    "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")):
                # AUTOINCREMENT tables never reuse an id; tests expect ids from 1 again.
                conn.execute(text("DELETE FROM sqlite_sequence"))


def empty_database(app) -> None:
    """Empty the database (reset_database) and close app's pooled connections: for apps a test built."""
    reset_database(app)
    with app.app_context():
        db_remove_and_dispose()


def db_remove_and_dispose() -> None:
    from erp_admin.extensions import db

    db.session.remove()
    db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def user_in(app, username: str = "user1", role: str | None = None, password: str = "password123", **fields):
    """Create a user in app's database; the role defaults to the username when that is a role name."""
    from tests.factories import create_user

    with app.app_context():
        return create_user(username=username, role=role or (username if username in ("admin", "manager", "user") else "user"),
                           password=password, **fields)


@pytest.fixture
def make_user(app):
    """Create a user: make_user("manager") or make_user("x", role="admin", password=...)."""

    def make(username: str = "user1", role: str | None = None, password: str = "password123", **fields):
        return user_in(app, username, role, password, **fields)

    return make


# Signing in: the one place tests get tokens and log in (API and panel helpers build on it).

def bearer(token: str) -> dict:
    """Authorization headers carrying token."""
    return {"Authorization": f"Bearer {token}"}


def issue_for(app, user) -> dict:
    """A fresh access + refresh token pair issued by app for user (a make_user snapshot, a User or an id)."""
    from erp_admin.api.tokens import issue_tokens
    from erp_admin.extensions import db
    from erp_admin.models import User

    with app.app_context():
        return issue_tokens(db.session.get(User, getattr(user, "id", user)))


def api_login(client, username: str, password: str = "password123", **kwargs):
    """POST /api/auth/login with JSON credentials; return the response."""
    return client.post("/api/auth/login", json={"username": username, "password": password}, **kwargs)


class TokenFactory:
    """Create users on demand and hand out their tokens: tokens("admin") -> headers dict.

    TokenFactory(some_app).pair("user", "rosa") does the same for an app a test built itself.
    """

    def __init__(self, app, make_user=None):
        self.app = app
        # Any app, not only the `app` fixture's: apps a test built itself get tokens the same way.
        self.make_user = make_user or (lambda username, role: user_in(app, username, role))
        self.users: dict[str, object] = {}

    def user(self, role: str, username: str | None = None):
        username = username or f"{role}_api"
        if username not in self.users:
            self.users[username] = self.make_user(username, role=role)
        return self.users[username]

    def pair(self, role: str, username: str | None = None) -> dict:
        """A fresh token pair for a user of role (created on first use)."""
        return issue_for(self.app, self.user(role, username))

    def access(self, role: str, username: str | None = None) -> str:
        return self.pair(role, username)["access_token"]

    def __call__(self, role: str | None, username: str | None = None) -> dict:
        """Authorization headers for role (None: anonymous, no header)."""
        if role is None:
            return {}
        return bearer(self.access(role, username))


@pytest.fixture
def tokens(app, make_user) -> TokenFactory:
    """tokens("manager") -> bearer headers of a user of that role; .pair(), .access(), .user() for more."""
    return TokenFactory(app, make_user)


@pytest.fixture
def auth_headers(tokens) -> TokenFactory:
    """auth_headers("admin") -> bearer headers (the same factory as `tokens`)."""
    return tokens


@pytest.fixture(autouse=True)
def _reset_process_state():
    """Per-process state must not leak into the next test.

    CLI commands and `flask shell` set a process-wide actor; verified tokens are
    cached per process (an id reused after the reset must not meet a stale entry).
    """
    from erp_admin.api.tokens import _VERIFIED
    from erp_admin.audit.context import _process_actor

    token = _process_actor.set(None)
    yield
    _process_actor.reset(token)
    _VERIFIED.clear()
