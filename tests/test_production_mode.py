"""Production mode: the debugger is never reachable, cookies are secure."""
import pytest

from erp_admin import ConfigError, create_app
from tests.conftest import test_config


def test_debug_flag_is_refused_in_production(monkeypatch, database_url, instance_path):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(ConfigError, match="debug mode"):
        create_app(test_config(database_url, instance_path, ENV="production", TESTING=False))


def test_production_cookies_are_secure(database_url, instance_path):
    app = create_app(test_config(database_url, instance_path, ENV="production"))
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.debug is False
