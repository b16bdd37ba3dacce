"""Every panel URL against the role matrix: visitors go to the login page, roles get what the matrix says."""
from __future__ import annotations

import pytest

from erp_admin.auth.roles import can
from tests.admin.conftest import Panel

ROLES = ("user", "manager", "admin")
VIEWS = {"products": "products", "customers": "customers", "users": "users", "movements": "movements", "audit_log": "audit-log"}


def endpoints(resource: str, ids: dict[str, int]):
    """(method, url, form data, verb) for every endpoint of a resource's view."""
    base = f"/admin/{VIEWS[resource]}"
    rid = ids[resource]
    editable = {"products": "name", "customers": "name", "users": "full_name"}.get(resource, "name")
    rows = [
        ("GET", f"{base}/", None, "read"),
        ("GET", f"{base}/details/?id={rid}", None, "read"),
        ("GET", f"{base}/new/", None, "create"),
        ("POST", f"{base}/new/", {}, "create"),
        ("GET", f"{base}/edit/?id={rid}", None, "update"),
        ("POST", f"{base}/edit/?id={rid}", {}, "update"),
        ("POST", f"{base}/ajax/update/", {"list_form_pk": str(rid), editable: "Changed"}, "update"),
        ("POST", f"{base}/delete/", {"id": str(rid)}, "delete"),
        ("POST", f"{base}/action/", {"action": "delete", "rowid": str(rid)}, "delete"),
        ("GET", f"{base}/export/csv/", None, "export"),
    ]
    if resource == "products":
        rows += [
            ("GET", f"{base}/adjust/?id={rid}", None, "adjust_stock"),
            ("POST", f"{base}/adjust/?id={rid}", {"delta": "1", "reason": "count"}, "adjust_stock"),
        ]
    return rows


@pytest.fixture
def records(app):
    """One record of every resource; returns their ids."""
    from erp_admin.audit.log import record
    from erp_admin.extensions import db
    from erp_admin.inventory.stock import adjust_stock
    from tests.factories import create_customer, create_product, create_user

    with app.app_context():
        product = create_product(name="Lamp", quantity=5)
        customer = create_customer()
        target = create_user("target", role="user")
        adjust_stock(product.id, 2, "delivery")
        entry = record("update", "product", product.id, {"name": ["a", "b"]})
        db.session.commit()
        from sqlalchemy import select

        from erp_admin.models import StockMovement

        movement = db.session.scalar(select(StockMovement.id))
        return {"products": product.id, "customers": customer.id, "users": target.id,
                "movements": movement, "audit_log": entry.id}


def _call(panel: Panel, method, url, data):
    if method == "GET":
        return panel.client.get(url)
    return panel.post(url, data)


@pytest.mark.parametrize("resource", VIEWS)
def test_visitor_is_sent_to_login(app, records, resource):
    panel = Panel(app.test_client())
    for method, url, data, _ in endpoints(resource, records):
        response = _call(panel, method, url, data)
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/admin/login/"), (method, url)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", VIEWS)
def test_role_matrix_on_every_endpoint(app, records, signed_in, role, resource):
    """Reads first, deletes last: each endpoint answers as can(role, resource, verb) says."""
    panel = signed_in(role, username=f"{role}-tester")
    for method, url, data, verb in endpoints(resource, records):
        response = _call(panel, method, url, data)
        if can(role, resource, "read") and can(role, resource, verb):
            assert response.status_code != 403, f"{role} may {verb} {resource}: {method} {url}"
            assert response.status_code < 500, f"{method} {url}"
        else:
            assert response.status_code == 403, f"{role} may not {verb} {resource}: {method} {url}"


@pytest.mark.parametrize("role", ROLES)
def test_menu_shows_only_readable_views(signed_in, role):
    panel = signed_in(role)
    html = panel.client.get("/admin/").get_data(as_text=True)
    for resource, label in [("products", "Products"), ("customers", "Customers"), ("users", "Users"),
                            ("movements", "Stock Movements"), ("audit_log", "Audit Log")]:
        link = f'href="/admin/{VIEWS[resource]}/"'
        assert (link in html) == can(role, resource, "read"), (role, label)
    assert "Log out" in html


def test_plain_user_cannot_reach_users(signed_in, records):
    panel = signed_in("user", username="plain")
    assert panel.client.get("/admin/users/").status_code == 403
    assert panel.client.get(f"/admin/users/details/?id={records['users']}").status_code == 403
    assert panel.client.get("/admin/audit-log/").status_code == 403


def test_manager_sees_users_read_only(signed_in, records):
    panel = signed_in("manager", username="boss")
    html = panel.client.get("/admin/users/").get_data(as_text=True)
    assert "target" in html
    assert "/admin/users/new/" not in html
    assert "/admin/users/edit/" not in html
    assert "/admin/users/delete/" not in html
    assert 'data-role="x-editable' not in html  # no inline editing either


def test_write_refused_changes_nothing(app, signed_in, records):
    from erp_admin.extensions import db
    from erp_admin.models import User

    panel = signed_in("manager", username="boss")
    uid = records["users"]
    assert panel.post("/admin/users/ajax/update/", {"list_form_pk": str(uid), "full_name": "Hacked"}).status_code == 403
    assert panel.post("/admin/users/delete/", {"id": str(uid)}).status_code == 403
    assert panel.post("/admin/users/action/", {"action": "delete", "rowid": str(uid)}).status_code == 403
    with app.app_context():
        user = db.session.get(User, uid)
        assert user is not None and user.full_name is None


def test_unknown_action_is_refused(signed_in, records):
    panel = signed_in("admin", username="root")
    response = panel.post("/admin/products/action/", {"action": "drop_everything", "rowid": str(records["products"])})
    assert response.status_code == 403
