"""No password, token or password hash reaches any log record (app loggers and the access log).

A login, a failed login, a password change, a token in a query string and a
panel sign-in run with distinctive secrets while every log record is captured
at DEBUG; none of the secrets may appear in any of them.
"""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from tests.admin.conftest import Panel
from tests.api.conftest import bearer
from tests.conftest import api_login

LOGIN_PASSWORD = "Login-Secret-9f3a61"
WRONG_PASSWORD = "Wrong-Guess-7c1e02"
NEW_PASSWORD = "New-Secret-4d2b88"


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name} {text} {record.args!r}")


@pytest.fixture
def captured():
    """Every record of every logger (the access log does not propagate: it is captured directly)."""
    handler = Capture()
    loggers = [logging.getLogger(), logging.getLogger("erp_admin.access")]
    app_logger = logging.getLogger("erp_admin")
    old_level = app_logger.level
    app_logger.setLevel(logging.DEBUG)
    for logger in loggers:
        logger.addHandler(handler)
    yield handler.lines
    for logger in loggers:
        logger.removeHandler(handler)
    app_logger.setLevel(old_level)


def test_no_secret_in_any_log_record(app, client, make_user, captured):
    from erp_admin.extensions import db
    from erp_admin.models import User

    admin = make_user("admin", role="admin", password=LOGIN_PASSWORD)
    make_user("rosa", role="user", password="password123")

    failed = api_login(client, "admin", WRONG_PASSWORD)
    assert failed.status_code == 401
    login = api_login(client, "admin", LOGIN_PASSWORD)
    assert login.status_code == 200
    pair = login.get_json()
    form_login = client.post("/api/auth/login", data={"username": "admin", "password": LOGIN_PASSWORD})
    assert form_login.status_code == 200
    with app.app_context():
        old_hash = db.session.scalar(select(User.password_hash).where(User.id == admin.id))
    changed = client.patch(f"/api/users/{admin.id}", json={"password": NEW_PASSWORD},
                           headers=bearer(pair["access_token"]))
    assert changed.status_code == 200
    with app.app_context():
        new_hash = db.session.scalar(select(User.password_hash).where(User.id == admin.id))
    assert new_hash != old_hash
    # The old token is dead now; a query string carrying it must not be logged either.
    assert client.get(f"/api/auth/me?access_token={pair['access_token']}",
                      headers=bearer(pair["access_token"])).status_code == 401
    panel = Panel(app.test_client())
    assert panel.login("admin", password=WRONG_PASSWORD).status_code == 200
    assert panel.login("admin", password=NEW_PASSWORD).status_code == 302

    text = "\n".join(captured)
    assert '"path":"/api/auth/login"' in text and '"status":401' in text  # the capture works
    secrets = {
        "login password": LOGIN_PASSWORD, "wrong password": WRONG_PASSWORD, "new password": NEW_PASSWORD,
        "access token": pair["access_token"], "refresh token": pair["refresh_token"],
        "form-login token": form_login.get_json()["access_token"],
        "old hash": old_hash, "new hash": new_hash, "session cookie": _session_cookie(panel),
    }
    for name, secret in secrets.items():
        assert secret and secret not in text, f"the {name} is in the log"
    # The token's signature alone (its last part) must not be there either.
    assert pair["access_token"].rsplit(".", 1)[1] not in text


def _session_cookie(panel) -> str:
    cookie = panel.client.get_cookie("session")
    return cookie.value if cookie is not None else "no-session-cookie"
