"""Panel sign-in and sign-out: one message for bad credentials, throttling, safe `next`, server-side logout."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from erp_admin.admin.login import BAD_CREDENTIALS
from erp_admin.extensions import db
from erp_admin.models import AuditEntry, PanelSession
from tests.admin.conftest import Panel, csrf_from


def test_login_page_has_a_csrf_protected_form(client):
    response = client.get("/admin/login/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="username"' in html and 'name="password"' in html
    assert csrf_from(html)


def test_login_without_csrf_token_is_refused(client, make_user):
    make_user("manager")
    response = client.post("/admin/login/", data={"username": "manager", "password": "password123"})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302  # still signed out


def test_visitor_is_sent_to_login_with_next(client):
    response = client.get("/admin/products/?search=x")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login/?next=")


def test_sign_in_and_land_on_dashboard(panel, make_user):
    make_user("manager")
    response = panel.login("manager")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    html = panel.client.get("/admin/").get_data(as_text=True)
    assert "Dashboard" in html and "manager" in html


@pytest.mark.parametrize("case", ["unknown", "wrong", "inactive"])
def test_bad_credentials_share_one_message(app, panel, make_user, case):
    make_user("manager")
    make_user("sleepy", role="user", is_active=False)
    username, password = {"unknown": ("ghost", "password123"), "wrong": ("manager", "nope-nope"),
                           "inactive": ("sleepy", "password123")}[case]
    response = panel.login(username, password)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert BAD_CREDENTIALS in html
    assert panel.client.get("/admin/").status_code == 302


def test_failed_logins_are_throttled(app, panel, make_user):
    make_user("manager")
    limit = app.config["LOGIN_RATE_LIMIT"]
    for _ in range(limit):
        assert panel.login("manager", "wrong-password").status_code == 200
    response = panel.login("manager", "password123")  # even the right password
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert "Too many failed sign-in attempts" in response.get_data(as_text=True)
    assert panel.client.get("/admin/").status_code == 302


@pytest.mark.parametrize("target", ["/admin/customers/", "/admin/products/?search=a%26b"])
def test_next_within_the_site_is_followed(panel, make_user, target):
    make_user("manager")
    from urllib.parse import quote

    response = panel.login("manager", next_url=quote(target, safe=""))
    assert response.status_code == 302
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", [
    "//evil.example", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)", "https://evil.example/",
    "http:evil.example", "/\t/evil.example", "/%09/evil.example".replace("%09", "\t"), "evil.example", "///evil.example",
])
def test_next_off_site_is_refused(panel, make_user, target):
    make_user("manager")
    from urllib.parse import quote

    response = panel.login("manager", next_url=quote(target, safe=""))
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"


def test_signed_in_visit_to_login_refuses_off_site_next(signed_in):
    panel = signed_in("manager")
    response = panel.client.get("/admin/login/?next=//evil.example")
    assert response.headers["Location"] == "/admin/"


def test_session_id_changes_at_login(app, panel, make_user):
    make_user("manager")
    with panel.client.session_transaction() as sess:
        sess["planted"] = "by-attacker"
        sess["panel_sid"] = "chosen-by-attacker"
    panel.login("manager")
    with panel.client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["panel_sid"] != "chosen-by-attacker"
        first = sess["panel_sid"]
    panel.logout()
    panel.login("manager")
    with panel.client.session_transaction() as sess:
        assert sess["panel_sid"] != first


def test_logout_needs_post_and_csrf(signed_in):
    panel = signed_in("manager")
    assert panel.client.get("/admin/logout/").status_code == 405
    assert panel.client.post("/admin/logout/").status_code == 400
    assert panel.client.get("/admin/").status_code == 200  # still signed in


def test_copied_cookie_is_refused_after_logout(app, signed_in):
    panel = signed_in("manager")
    cookie = panel.client.get_cookie("session").value
    response = panel.logout()
    assert response.status_code == 302 and response.headers["Location"] == "/admin/login/"

    replay = app.test_client()
    replay.set_cookie("session", cookie)
    response = replay.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login/")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PanelSession)) == 0


def test_copied_cookie_works_before_logout(app, signed_in):
    # The control for the test above: the same copy is accepted while the session lives.
    panel = signed_in("manager")
    replay = app.test_client()
    replay.set_cookie("session", panel.client.get_cookie("session").value)
    assert replay.get("/admin/").status_code == 200


def test_expired_session_is_refused(app, signed_in):
    panel = signed_in("manager")
    app.config["PANEL_SESSION_LIFETIME"] = app.config["PANEL_SESSION_LIFETIME"] * 0
    assert panel.client.get("/admin/").status_code == 302


def test_logout_is_audited(app, signed_in):
    panel = signed_in("manager")
    panel.logout()
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "logout")).one()
        assert entry.username == "manager" and entry.channel == "admin" and entry.entity == "user"
        assert entry.request_id and entry.client_addr


def test_password_change_ends_panel_sessions(app, signed_in):
    from erp_admin.models import User
    from erp_admin.services.records import update_record

    panel = signed_in("manager")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "manager"))
        update_record(user, {"password": "another-password"})
        db.session.commit()
    assert panel.client.get("/admin/").status_code == 302


def test_panel_sign_in_counts_against_the_shared_throttle(app, make_user):
    # The panel and the API share the counters: an address the panel throttled is throttled on the API too,
    # and the real user at another address still signs in on both (docs/security.md).
    make_user("manager")
    limit = app.config["LOGIN_RATE_LIMIT"]
    attacker = Panel(app.test_client())
    attacker.client.environ_base["REMOTE_ADDR"] = "10.0.0.66"
    for _ in range(limit):
        assert attacker.login("manager", "wrong-password").status_code == 200
    assert attacker.login("manager", "password123").status_code == 429
    api = app.test_client()
    api_login = {"username": "manager", "password": "password123"}
    assert api.post("/api/auth/login", json=api_login, environ_base={"REMOTE_ADDR": "10.0.0.66"}).status_code == 429
    real = Panel(app.test_client())
    real.client.environ_base["REMOTE_ADDR"] = "10.0.0.7"
    assert real.login("manager", "password123").status_code == 302
    assert api.post("/api/auth/login", json=api_login, environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code == 200

