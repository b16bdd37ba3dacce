"""Configuration: package defaults, instance/config.py, environment, then the test mapping.

Nothing secret lives here. Development generates secrets once into
instance/secrets.json; production must be given them and refuses weak ones.
"""
from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.helpers import get_debug_flag

MiB = 1024 * 1024


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the app refuses to start."""


class Defaults:
    ENV = "development"  # ERP_ENV=production switches on the production rules
    SQLALCHEMY_DATABASE_URI: str | None = None  # None: SQLite file in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # Pooled connections idle longer than this (seconds) are pinged before use (stale_connections).
    DB_PING_IDLE_AFTER = 1.0
    SQLITE_BUSY_TIMEOUT_MS = 30_000
    # Queue SQLite writers on a lock file beside the database (woken at once, FIFO-ish)
    # before SQLite's own busy handler, which sleeps with a growing back-off.
    SQLITE_WRITE_LOCK = True
    AUTO_MIGRATE = None  # None: on in development, off in production
    REDIS_URL: str | None = None
    # run_in_transaction: tries for a unit of work that hits a serialization failure,
    # a deadlock or a busy SQLite file, and the first back-off (doubled per try, jittered).
    DB_RETRY_ATTEMPTS = 5
    DB_RETRY_BACKOFF_MS = 20
    REDIS_KEY_PREFIX = "erp:"  # every Redis key this app writes starts with it
    REDIS_TIMEOUT = 2.0  # seconds to connect to / hear from Redis before a call fails
    REDIS_RECHECK_INTERVAL = 5.0  # seconds after a failed Redis call before Redis is tried again

    # Tokens are read from the Authorization header only, checked with this one algorithm
    # (JWT_TOKEN_LOCATION and JWT_DECODE_ALGORITHMS are fixed by that: see _check_jwt_settings).
    JWT_ALGORITHM = "HS256"
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=15)
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=7)

    # Largest request body anywhere (CSV imports); JSON bodies are held to API_MAX_BODY.
    MAX_CONTENT_LENGTH = 10 * MiB
    API_MAX_BODY = 1 * MiB
    FORM_MAX_BODY = 1 * MiB  # panel and login forms (multipart uploads: MAX_CONTENT_LENGTH)
    IMPORT_MAX_BYTES = 10 * MiB
    IMPORT_MAX_ROWS = 100_000
    API_DEFAULT_LIMIT = 1000
    API_MAX_LIMIT = 1000
    API_MAX_JSON_DEPTH = 32  # nesting levels of a JSON request body
    IDEMPOTENCY_TTL = 24 * 60 * 60  # seconds an Idempotency-Key is remembered

    CORS_ORIGINS: list[str] | str | None = None  # None: DEV_CORS_ORIGINS in development, none in production
    LOGIN_RATE_LIMIT = 10  # failed logins per window, per client address and per username
    LOGIN_RATE_WINDOW = 60  # seconds
    TRUSTED_PROXIES = 0  # how many proxies in front of the app may set X-Forwarded-For

    # argon2id: OWASP Password Storage Cheat Sheet minimum is m=19 MiB, t=2, p=1.
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST = 19 * 1024  # KiB
    ARGON2_PARALLELISM = 1
    PASSWORD_HASH_CONCURRENCY = 4  # hashes running at once per process

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None

    # Admin panel: a signed-in session ends after this long at the latest (also ended by logout).
    PANEL_SESSION_LIFETIME = timedelta(hours=12)
    # List pages count matches exactly up to this many, then show "more than" with a simple pager.
    PANEL_LIST_COUNT_CAP = 10_000


# The SPA's dev server (Vite), under both names a browser may use for it.
DEV_CORS_ORIGINS = ["http://localhost:5173", "http://127.0.0.1:5173"]

# Values seen in tutorials and .env samples: never acceptable in production.
KNOWN_DEFAULT_SECRETS = {
    "dev", "development", "secret", "secret-key", "secret_key", "secretkey", "changeme",
    "change-me", "change_me", "changethis", "your-secret-key", "your-secret-key-here",
    "your_secret_key", "super-secret", "supersecret", "super-secret-key", "jwt-secret",
    "jwt-secret-key", "jwt_secret_key", "test", "testing", "password", "default",
}

# Variables read without the ERP_ prefix because every hosting platform uses these names.
CONVENTIONAL_ENV = {"DATABASE_URL": "SQLALCHEMY_DATABASE_URI", "REDIS_URL": "REDIS_URL"}


def load_config(app: Flask, test_config: dict | None = None) -> None:
    """Fill app.config from every layer, then check it."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    for env_name, key in CONVENTIONAL_ENV.items():
        if os.environ.get(env_name):
            app.config[key] = os.environ[env_name]
    app.config.from_prefixed_env(prefix="ERP")
    if test_config:
        app.config.update(test_config)

    _normalise(app)
    _check_jwt_settings(app.config)
    if is_production(app):
        check_production_secrets(app.config)
        check_production_settings(app.config)
        if get_debug_flag() or app.config.get("DEBUG"):
            # `flask run --debug` would serve the Werkzeug debugger: a remote shell.
            raise ConfigError("debug mode (FLASK_DEBUG / --debug) is never allowed in production.")
    else:
        _ensure_dev_secrets(app)


def is_production(app: Flask) -> bool:
    return str(app.config.get("ENV", "")).lower() == "production"


def _normalise(app: Flask) -> None:
    cfg = app.config
    uri = cfg.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        uri = "sqlite:///" + str(Path(app.instance_path) / "erp_admin.db")
    elif uri.startswith("postgres://") or uri.startswith("postgresql://"):
        # Hosting platforms hand out postgres:// URLs; we use the psycopg 3 driver.
        uri = "postgresql+psycopg://" + uri.split("://", 1)[1]
    cfg["SQLALCHEMY_DATABASE_URI"] = uri
    if uri.startswith("sqlite"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        options = dict(cfg.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect_args = dict(options.get("connect_args") or {})
        # pysqlite's timeout is SQLite's busy timeout: writers queue instead of failing.
        connect_args.setdefault("timeout", cfg["SQLITE_BUSY_TIMEOUT_MS"] / 1000)
        options["connect_args"] = connect_args
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if cfg.get("AUTO_MIGRATE") is None:
        cfg["AUTO_MIGRATE"] = not is_production(app)
    for key in ("JWT_ACCESS_TOKEN_EXPIRES", "JWT_REFRESH_TOKEN_EXPIRES", "PANEL_SESSION_LIFETIME"):
        if isinstance(cfg[key], (int, float)):  # seconds, as given in the environment
            cfg[key] = timedelta(seconds=cfg[key])
    ping_after = cfg.get("DB_PING_IDLE_AFTER")
    if isinstance(ping_after, bool) or not isinstance(ping_after, (int, float)) or ping_after < 0:
        raise ConfigError(f"DB_PING_IDLE_AFTER must be a number of seconds (0 or more), not {ping_after!r}.")
    if cfg.get("CORS_ORIGINS") is None:
        cfg["CORS_ORIGINS"] = [] if is_production(app) else list(DEV_CORS_ORIGINS)
    if isinstance(cfg.get("CORS_ORIGINS"), str):
        cfg["CORS_ORIGINS"] = [o.strip() for o in cfg["CORS_ORIGINS"].split(",") if o.strip()]
    if is_production(app):
        cfg["SESSION_COOKIE_SECURE"] = True
        cfg["REMEMBER_COOKIE_SECURE"] = True


# HMAC algorithms (the only kind supported: one shared secret) and their key size in bytes (RFC 7518 3.2).
JWT_HMAC_KEY_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}


def _check_jwt_settings(cfg) -> None:
    """Raise ConfigError for a token setting the app does not support, instead of silently ignoring it."""
    algorithm = cfg.get("JWT_ALGORITHM")
    if algorithm not in JWT_HMAC_KEY_BYTES:
        raise ConfigError(f"JWT_ALGORITHM is {algorithm!r}: supported are {', '.join(JWT_HMAC_KEY_BYTES)}.")
    # flask-jwt-extended settings an operator may carry over from elsewhere: only one value works here.
    fixed = {"JWT_TOKEN_LOCATION": (["headers"], "tokens are read from the Authorization header only"),
             "JWT_DECODE_ALGORITHMS": ([algorithm], "tokens are checked with JWT_ALGORITHM only")}
    for key, (supported, why) in fixed.items():
        value = cfg.get(key, supported)
        if (list(value) if isinstance(value, (list, tuple)) else [value]) != supported:
            raise ConfigError(f"{key} is not supported ({why}): remove ERP_{key}.")


def check_production_secrets(cfg) -> None:
    """Raise ConfigError unless SECRET_KEY and JWT_SECRET_KEY are strong and distinct."""
    keys = {}
    for name in ("SECRET_KEY", "JWT_SECRET_KEY"):
        value = cfg.get(name)
        if not value:
            raise ConfigError(f"{name} is not set: production needs ERP_{name} (at least 32 random bytes).")
        raw = value.encode() if isinstance(value, str) else bytes(value)
        if raw.decode(errors="ignore").strip().lower() in KNOWN_DEFAULT_SECRETS:
            raise ConfigError(f"{name} is a well-known default value: set ERP_{name} to a random secret.")
        if len(raw) < 32:
            raise ConfigError(f"{name} is only {len(raw)} bytes: production needs at least 32 random bytes.")
        keys[name] = raw
    needed = JWT_HMAC_KEY_BYTES.get(cfg.get("JWT_ALGORITHM"), 32)
    if len(keys["JWT_SECRET_KEY"]) < needed:
        raise ConfigError(f"JWT_SECRET_KEY is {len(keys['JWT_SECRET_KEY'])} bytes: {cfg['JWT_ALGORITHM']} needs at least {needed}.")
    if keys["SECRET_KEY"] == keys["JWT_SECRET_KEY"]:
        raise ConfigError("SECRET_KEY and JWT_SECRET_KEY are equal: give each its own random secret.")


# OWASP Password Storage Cheat Sheet minimum for argon2id: tests may go lower, production never.
ARGON2_MINIMUM = {"ARGON2_MEMORY_COST": 19 * 1024, "ARGON2_TIME_COST": 2, "ARGON2_PARALLELISM": 1}


def check_production_settings(cfg) -> None:
    """Raise ConfigError for settings that are only acceptable in development or tests."""
    if cfg.get("AUTO_MIGRATE"):
        # Several workers would race on the DDL: production migrates as a deploy step.
        raise ConfigError("AUTO_MIGRATE is not allowed in production: run `flask --app wsgi db upgrade` when deploying.")
    for key, minimum in ARGON2_MINIMUM.items():
        if int(cfg.get(key) or 0) < minimum:
            raise ConfigError(f"{key} is {cfg.get(key)}: production needs at least {minimum} (OWASP minimum for argon2id).")


def _ensure_dev_secrets(app: Flask) -> None:
    """Give development a persistent random secret for each missing key."""
    missing = [k for k in ("SECRET_KEY", "JWT_SECRET_KEY") if not app.config.get(k)]
    if not missing:
        return
    path = Path(app.instance_path) / "secrets.json"
    stored: dict = {}
    if path.exists():
        stored = json.loads(path.read_text())
    changed = False
    for key in missing:
        if key not in stored:
            stored[key] = secrets.token_urlsafe(48)
            changed = True
        app.config[key] = stored[key]
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(stored, fh)
