"""The panel reads the one role matrix at request time: change it and buttons, menu and URLs follow."""
from __future__ import annotations

from werkzeug.datastructures import MultiDict

from erp_admin.auth import roles
from erp_admin.extensions import db
from erp_admin.models import Customer
from tests.factories import create_customer


def test_taking_customer_delete_from_user(app, signed_in, monkeypatch):
    with app.app_context():
        ada = create_customer()
    panel = signed_in("user")

    # Today users may delete customers: the controls are there.
    html = panel.client.get("/admin/customers/").get_data(as_text=True)
    assert 'action="/admin/customers/delete/"' in html
    assert "modelActions.execute('delete')" in html

    monkeypatch.setitem(roles.ROLE_MATRIX["customers"], "user",
                        tuple(v for v in roles.ROLE_MATRIX["customers"]["user"] if v != "delete"))

    html = panel.client.get("/admin/customers/").get_data(as_text=True)
    assert 'action="/admin/customers/delete/"' not in html
    assert "modelActions.execute('delete')" not in html
    assert "Ada" in html  # reading still allowed
    assert panel.post("/admin/customers/delete/", {"id": str(ada.id)}).status_code == 403
    response = panel.client.post("/admin/customers/action/", data=MultiDict(
        [("csrf_token", panel.token()), ("action", "delete"), ("rowid", str(ada.id))]))
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Customer, ada.id) is not None

    # Managers keep their rights: the change is exactly the matrix entry.
    manager = signed_in("manager")
    assert 'action="/admin/customers/delete/"' in manager.client.get("/admin/customers/").get_data(as_text=True)


def test_taking_read_hides_the_menu_entry(app, signed_in, monkeypatch):
    panel = signed_in("user")
    assert 'href="/admin/customers/"' in panel.client.get("/admin/").get_data(as_text=True)
    monkeypatch.setitem(roles.ROLE_MATRIX["customers"], "user", ())
    assert 'href="/admin/customers/"' not in panel.client.get("/admin/").get_data(as_text=True)
    assert panel.client.get("/admin/customers/").status_code == 403


def test_giving_users_create_to_manager_shows_the_create_control(app, signed_in, monkeypatch):
    panel = signed_in("manager")
    assert "/admin/users/new/" not in panel.client.get("/admin/users/").get_data(as_text=True)
    monkeypatch.setitem(roles.ROLE_MATRIX["users"], "manager", ("read", "create"))
    assert "/admin/users/new/" in panel.client.get("/admin/users/").get_data(as_text=True)
    assert panel.client.get("/admin/users/new/").status_code == 200


def test_api_and_panel_follow_one_matrix(app, client, make_user, signed_in, monkeypatch):
    """Issue 4's proof: one edit of the matrix moves the API's statuses, `me`, and the panel together."""
    from tests.api.conftest import TokenFactory

    with app.app_context():
        ada = create_customer()
        bob = create_customer(name="Bob", email="bob@example.com")
    tokens = TokenFactory(app, make_user)
    panel = signed_in("user")
    me = client.get("/api/auth/me", headers=tokens("user")).get_json()
    assert "delete" in me["permissions"]["customers"]

    monkeypatch.setitem(roles.ROLE_MATRIX["customers"], "user",
                        tuple(v for v in roles.ROLE_MATRIX["customers"]["user"] if v != "delete"))

    me = client.get("/api/auth/me", headers=tokens("user")).get_json()
    assert "delete" not in me["permissions"]["customers"] and "read" in me["permissions"]["customers"]
    assert client.delete(f"/api/customers/{ada.id}", headers=tokens("user")).status_code == 403
    assert client.get(f"/api/customers/{ada.id}", headers=tokens("user")).status_code == 200
    html = panel.client.get("/admin/customers/").get_data(as_text=True)
    assert 'action="/admin/customers/delete/"' not in html
    assert panel.post("/admin/customers/delete/", {"id": str(ada.id)}).status_code == 403
    # The other roles are untouched: a manager still deletes through the API.
    assert client.delete(f"/api/customers/{bob.id}", headers=tokens("manager")).status_code == 204
    with app.app_context():
        assert db.session.get(Customer, ada.id) is not None
        assert db.session.get(Customer, bob.id) is None
