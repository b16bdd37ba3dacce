"""Production mode: the debugger is never reachable, cookies are secure."""
import pytest

from erp_admin import ConfigError, create_app
from tests.conftest import test_config

# Production refuses the suite's cheap password hashing: use the real parameters.
PRODUCTION = {"ENV": "production", "ARGON2_TIME_COST": 2, "ARGON2_MEMORY_COST": 19456}


def test_debug_flag_is_refused_in_production(monkeypatch, database_url, instance_path):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(ConfigError, match="debug mode"):
        create_app(test_config(database_url, instance_path, TESTING=False, **PRODUCTION))


def test_production_cookies_are_secure(database_url, instance_path):
    app = create_app(test_config(database_url, instance_path, **PRODUCTION))
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.debug is False
