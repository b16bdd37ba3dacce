"""Configuration layers, development secrets and the production refusals."""
import json
import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from erp_admin import ConfigError, create_app
from erp_admin.config import KNOWN_DEFAULT_SECRETS, Defaults

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STRONG = "s" * 40
STRONG_JWT = "j" * 40


def make_app(instance: Path, **overrides):
    """An app on a throwaway SQLite file with only the given test settings."""
    config = {"TESTING": True, "INSTANCE_PATH": str(instance), "AUTO_MIGRATE": False}
    config.update(overrides)
    return create_app(config)


def production(**overrides):
    config = {"ENV": "production", "SECRET_KEY": STRONG, "JWT_SECRET_KEY": STRONG_JWT}
    config.update(overrides)
    return config


def test_each_layer_overrides_the_previous(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text(
        "LOGIN_RATE_LIMIT = 5\nLOGIN_RATE_WINDOW = 30\nAPI_MAX_LIMIT = 500\nTRUSTED_PROXIES = 1\n"
    )
    monkeypatch.setenv("ERP_LOGIN_RATE_WINDOW", "45")
    monkeypatch.setenv("ERP_API_MAX_LIMIT", "600")
    app = make_app(tmp_path, API_MAX_LIMIT=700)
    assert app.config["API_DEFAULT_LIMIT"] == 1000  # package default
    assert app.config["LOGIN_RATE_LIMIT"] == 5  # instance/config.py over the default (10)
    assert app.config["TRUSTED_PROXIES"] == 1
    assert app.config["LOGIN_RATE_WINDOW"] == 45  # environment over instance/config.py
    assert app.config["API_MAX_LIMIT"] == 700  # test mapping over the environment


def test_default_database_is_a_sqlite_file_in_the_instance_folder(tmp_path):
    instance = tmp_path / "fresh" / "instance"
    app = make_app(instance)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance}/erp_admin.db"
    assert instance.is_dir()  # created on demand


@pytest.mark.parametrize("given, expected", [
    ("postgres://erp:pw@db.example:5432/erp", "postgresql+psycopg://erp:pw@db.example:5432/erp"),
    ("postgresql://erp@db.example/erp", "postgresql+psycopg://erp@db.example/erp"),
    ("postgresql+psycopg://erp@db.example/erp", "postgresql+psycopg://erp@db.example/erp"),
])
def test_database_url_from_the_environment(tmp_path, monkeypatch, given, expected):
    monkeypatch.setenv("DATABASE_URL", given)
    app = make_app(tmp_path)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected


def test_database_url_layers(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text("SQLALCHEMY_DATABASE_URI = 'sqlite:////srv/from-instance.db'\n")
    assert make_app(tmp_path).config["SQLALCHEMY_DATABASE_URI"] == "sqlite:////srv/from-instance.db"
    monkeypatch.setenv("DATABASE_URL", "postgres://erp@env.example/erp")
    assert make_app(tmp_path).config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://erp@env.example/erp"
    monkeypatch.setenv("ERP_SQLALCHEMY_DATABASE_URI", "postgresql://erp@prefixed.example/erp")
    assert make_app(tmp_path).config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://erp@prefixed.example/erp"
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI="sqlite:////srv/from-test.db")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:////srv/from-test.db"


def test_redis_url_and_prefixed_values_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://cache.example:6379/2")
    monkeypatch.setenv("ERP_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("ERP_JWT_ACCESS_TOKEN_EXPIRES", "600")
    app = make_app(tmp_path)
    assert app.config["REDIS_URL"] == "redis://cache.example:6379/2"
    assert app.config["CORS_ORIGINS"] == ["https://a.example", "https://b.example"]
    assert app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds() == 600


def test_development_secrets_are_generated_once_with_mode_0600(tmp_path):
    first = make_app(tmp_path)
    path = tmp_path / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert stored == {"SECRET_KEY": first.config["SECRET_KEY"], "JWT_SECRET_KEY": first.config["JWT_SECRET_KEY"]}
    assert len(stored["SECRET_KEY"]) >= 32 and stored["SECRET_KEY"] != stored["JWT_SECRET_KEY"]
    second = make_app(tmp_path)
    assert (second.config["SECRET_KEY"], second.config["JWT_SECRET_KEY"]) == (stored["SECRET_KEY"], stored["JWT_SECRET_KEY"])
    assert json.loads(path.read_text()) == stored


def test_given_secrets_are_used_and_not_written(tmp_path, monkeypatch):
    monkeypatch.setenv("ERP_SECRET_KEY", STRONG)
    app = make_app(tmp_path)
    assert app.config["SECRET_KEY"] == STRONG
    assert set(json.loads((tmp_path / "secrets.json").read_text())) == {"JWT_SECRET_KEY"}


@pytest.mark.parametrize("secret, jwt_secret, message", [
    (None, STRONG_JWT, "SECRET_KEY is not set: production needs ERP_SECRET_KEY (at least 32 random bytes)."),
    (STRONG, None, "JWT_SECRET_KEY is not set: production needs ERP_JWT_SECRET_KEY (at least 32 random bytes)."),
    ("short-but-random-x9", STRONG_JWT, "SECRET_KEY is only 19 bytes: production needs at least 32 random bytes."),
    (STRONG, "0123456789abcdef0123456789abcde", "JWT_SECRET_KEY is only 31 bytes: production needs at least 32 random bytes."),
    (STRONG, STRONG, "SECRET_KEY and JWT_SECRET_KEY are equal: give each its own random secret."),
    ("changeme", STRONG_JWT, "SECRET_KEY is a well-known default value: set ERP_SECRET_KEY to a random secret."),
    (STRONG, "Super-Secret", "JWT_SECRET_KEY is a well-known default value: set ERP_JWT_SECRET_KEY to a random secret."),
])
def test_production_refuses_weak_secrets(tmp_path, secret, jwt_secret, message):
    with pytest.raises(ConfigError) as excinfo:
        make_app(tmp_path, **production(SECRET_KEY=secret, JWT_SECRET_KEY=jwt_secret))
    assert str(excinfo.value) == message
    assert not (tmp_path / "secrets.json").exists()


def test_production_wants_a_key_as_long_as_the_jwt_algorithm_hash(tmp_path):
    with pytest.raises(ConfigError, match="JWT_SECRET_KEY is 40 bytes: HS512 needs at least 64."):
        make_app(tmp_path, **production(JWT_ALGORITHM="HS512"))
    make_app(tmp_path, **production(JWT_ALGORITHM="HS512", JWT_SECRET_KEY="j" * 64))


def test_every_known_default_is_refused(tmp_path):
    for value in KNOWN_DEFAULT_SECRETS:
        with pytest.raises(ConfigError, match="well-known default"):
            make_app(tmp_path, **production(SECRET_KEY=value))


def test_production_is_switched_on_by_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ERP_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        make_app(tmp_path)
    monkeypatch.setenv("ERP_SECRET_KEY", STRONG)
    monkeypatch.setenv("ERP_JWT_SECRET_KEY", STRONG_JWT)
    app = make_app(tmp_path, AUTO_MIGRATE=None)
    assert app.config["ENV"] == "production"
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["AUTO_MIGRATE"] is False


@pytest.mark.parametrize("overrides, message", [
    ({"AUTO_MIGRATE": True}, "AUTO_MIGRATE is not allowed in production: run `flask --app wsgi db upgrade` when deploying."),
    ({"ARGON2_MEMORY_COST": 8}, "ARGON2_MEMORY_COST is 8: production needs at least 19456 (OWASP minimum for argon2id)."),
    ({"ARGON2_TIME_COST": 1}, "ARGON2_TIME_COST is 1: production needs at least 2 (OWASP minimum for argon2id)."),
])
def test_production_refuses_development_only_settings(tmp_path, overrides, message):
    with pytest.raises(ConfigError) as excinfo:
        make_app(tmp_path, **production(**overrides))
    assert str(excinfo.value) == message


def _clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ERP_", "FLASK_")) and k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(extra)
    return env


@pytest.mark.slow  # wsgi.py in a fresh process
def test_wsgi_refuses_to_start_with_one_line(tmp_path):
    env = _clean_env(ERP_ENV="production", ERP_INSTANCE_PATH=str(tmp_path))
    result = subprocess.run([sys.executable, "wsgi.py"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr == (
        "ERP Admin refuses to start: SECRET_KEY is not set: production needs ERP_SECRET_KEY (at least 32 random bytes).\n"
    )


# Every Defaults key, set through the environment as docs/configuration.md says: ERP_<KEY>,
# JSON when it parses, else text. A value unlike the default, of the setting's own type.
OTHER_VALUES = {
    "ENV": "staging",  # text (not JSON): any name but production keeps the development rules
    "SQLALCHEMY_DATABASE_URI": "sqlite:////srv/erp/from-env.db",
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 300},
    "AUTO_MIGRATE": False,
    "REDIS_URL": "redis://cache.example:6379/3",
    "JWT_ALGORITHM": "HS512",
    "CORS_ORIGINS": ["https://spa.example"],
    "SESSION_COOKIE_SAMESITE": "Strict",
    "REDIS_KEY_PREFIX": "erp-staging:",
    "WTF_CSRF_TIME_LIMIT": 600,
    "SECRET_KEY": STRONG,  # not in Defaults (generated in development), read the same way
    "JWT_SECRET_KEY": STRONG_JWT,
}
SETTINGS = sorted({k for k in vars(Defaults) if k.isupper()} | {"SECRET_KEY", "JWT_SECRET_KEY"})


def _other_value(key: str):
    """A value of key's type that differs from its default."""
    if key in OTHER_VALUES:
        return OTHER_VALUES[key]
    default = getattr(Defaults, key)
    if isinstance(default, bool):
        return not default
    if isinstance(default, (int, float)):
        return default * 2 + 1
    if isinstance(default, timedelta):
        return int(default.total_seconds()) + 1
    raise AssertionError(f"give {key} a non-default value in OTHER_VALUES")


@pytest.mark.parametrize("key", SETTINGS)
def test_every_setting_is_read_from_the_environment(tmp_path, monkeypatch, key):
    value = _other_value(key)
    monkeypatch.setenv("ERP_AUTO_MIGRATE", "false")  # a throwaway instance folder: nothing to migrate
    monkeypatch.setenv(f"ERP_{key}", value if isinstance(value, str) else json.dumps(value))
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path)})
    read = app.config[key]
    if isinstance(getattr(Defaults, key, None), timedelta):
        assert read == timedelta(seconds=value)
    elif isinstance(value, dict):
        assert value.items() <= read.items()  # SQLite adds its connect_args
    else:
        assert read == value and type(read) is type(value)


def test_development_cors_origins_cover_both_names_of_the_spa_dev_server(tmp_path):
    """Vite's dev server is reached as localhost or 127.0.0.1; both are allowed in development."""
    assert make_app(tmp_path).config["CORS_ORIGINS"] == ["http://localhost:5173", "http://127.0.0.1:5173"]


def test_production_cors_origins_are_only_what_is_configured(tmp_path):
    assert make_app(tmp_path, **production(AUTO_MIGRATE=False)).config["CORS_ORIGINS"] == []
    configured = make_app(tmp_path, **production(AUTO_MIGRATE=False, CORS_ORIGINS="https://spa.example"))
    assert configured.config["CORS_ORIGINS"] == ["https://spa.example"]
