"""Return addresses (`url=`) the panel follows stay on this site, on every panel view, for every trick a browser falls for."""
from __future__ import annotations

import inspect

import flask_admin
import pytest

from erp_admin.auth import roles
from erp_admin.extensions import db
from erp_admin.models import Product
from tests.admin.conftest import csrf_from
from tests.factories import create_customer, create_product

# Each one leads a browser off the site when followed as a Location.
OFF_SITE = [
    "http:evil.example",
    "https:evil.example",
    "HTTP:evil.example",
    "//evil.example",
    "https://evil.example/x",
    "http:/\\evil.example",
    "javascript:alert(1)",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/\r\n/evil.example",
    "http://localhost@evil.example/",
]
MISSING_ID = "987654"


def stays_on_site(location: str) -> bool:
    """True when a browser following Location stays on http://localhost (the test client's host)."""
    if location.startswith("http://localhost/"):
        location = location[len("http://localhost"):]
    return (
        location.startswith("/")
        and location[1:2] not in ("/", "\\")
        and not any(ch in location for ch in "\\\t\r\n")
        and "evil.example" not in location.split("?", 1)[0]
    )


def test_stays_on_site_judges_like_a_browser():
    assert stays_on_site("/admin/products/") and stays_on_site("http://localhost/admin/")
    for location in OFF_SITE + ["http:///evil.example", "/evil.example"]:
        assert not stays_on_site(location), location


def panel_rules(app):
    """Every URL rule of every Flask-Admin view (a new view is covered without editing this test)."""
    admin = app.extensions["admin"][0]
    blueprints = {view.endpoint for view in admin._views}
    return [rule for rule in app.url_map.iter_rules()
            if rule.endpoint.split(".", 1)[0] in blueprints and not rule.endpoint.endswith(".static")]


@pytest.fixture
def everything_allowed(monkeypatch):
    """Grant every role every verb, so no view answers 403 before reaching its return address."""
    verbs = {verb for resource in roles.ROLE_MATRIX.values() for allowed in resource.values() for verb in allowed}
    verbs |= {"adjust_stock", "import", "export"}
    for resource in roles.ROLE_MATRIX:
        monkeypatch.setitem(roles.ROLE_MATRIX, resource, {r: tuple(verbs) for r in ("user", "manager", "admin")})


def test_the_walk_covers_every_view_that_takes_a_return_address(app):
    endpoints = {rule.endpoint for rule in panel_rules(app)}
    for view in ("products", "customers", "users", "movements", "audit_log"):
        for name in ("details_view", "edit_view", "create_view", "delete_view", "action_view", "index_view"):
            assert f"{view}.{name}" in endpoints
    assert {"products.adjust_view", "products.import_view", "customers.import_confirm_view"} <= endpoints


@pytest.mark.parametrize("target", OFF_SITE)
def test_no_panel_view_follows_an_off_site_return_address(app, signed_in, everything_allowed, target):
    panel = signed_in("admin")
    token = panel.token()
    redirected = set()
    for rule in panel_rules(app):
        path = rule.rule.replace("<export_type>", "csv").replace("<progress_id>", "0" * 32)
        for method in sorted(rule.methods & {"GET", "POST"}):
            query = {"id": MISSING_ID, "url": target}
            if method == "GET":
                response = panel.client.get(path, query_string=query)
            else:
                form = {"id": MISSING_ID, "rowid": MISSING_ID, "url": target, "csrf_token": token,
                        "action": "delete", "list_form_pk": MISSING_ID}
                response = panel.client.post(path, query_string=query, data=form)
            where = f"{method} {path}"
            assert response.status_code < 500, where
            location = response.headers.get("Location")
            if location is not None:
                assert stays_on_site(location), (where, location)
                redirected.add(rule.endpoint)
    # A missing record sends each of these back to a return address: the walk did reach them.
    for view in ("products", "customers", "users", "movements", "audit_log"):
        assert {f"{view}.details_view", f"{view}.edit_view", f"{view}.delete_view"} <= redirected, view


@pytest.fixture
def records(app):
    with app.app_context():
        product = create_product(sku="RET-1", name="Kettle", quantity=5)
        customer = create_customer(name="Ada", email="ada@example.com")
        return product.id, customer.id


def edit_form(panel, url: str) -> dict:
    """The fields an edit page would post back (its inputs' current values)."""
    import re

    html = panel.client.get(url).get_data(as_text=True)
    fields = dict(re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', html))
    fields["csrf_token"] = csrf_from(html)
    return fields


@pytest.mark.parametrize("target", OFF_SITE)
def test_saving_cancelling_and_deleting_return_on_site(app, signed_in, records, target):
    product_id, customer_id = records
    panel = signed_in("admin")
    token = panel.token()
    answers = {}
    # After a save (edit, create, adjust) ...
    form = edit_form(panel, f"/admin/products/edit/?id={product_id}")
    form.update(name="Kettle 2", price="3.50", reorder_level="1")
    answers["edit save"] = panel.client.post("/admin/products/edit/", query_string={"id": product_id, "url": target},
                                             data=form)
    answers["create save"] = panel.client.post(
        "/admin/customers/new/", query_string={"url": target},
        data={"name": "Bob", "email": "bob@example.com", "csrf_token": token})
    answers["adjust save"] = panel.client.post(
        "/admin/products/adjust/", query_string={"id": product_id, "url": target},
        data={"delta": "2", "reason": "delivery", "csrf_token": token})
    # ... a delete (the return address in the form body, as the list's delete button sends it) ...
    answers["delete"] = panel.client.post("/admin/customers/delete/",
                                          data={"id": customer_id, "url": target, "csrf_token": token})
    # ... and a missing record.
    answers["missing"] = panel.client.get("/admin/products/edit/", query_string={"id": MISSING_ID, "url": target})
    for what, response in answers.items():
        assert response.status_code in (302, 303), (what, response.status_code, response.get_data(as_text=True)[:500])
        assert stays_on_site(response.headers["Location"]), (what, response.headers["Location"])
    with app.app_context():
        product = db.session.get(Product, product_id)
        assert product.name == "Kettle 2" and product.quantity == 7  # the saves did happen


@pytest.mark.parametrize("target", OFF_SITE)
def test_cancel_and_list_links_on_pages_stay_on_site(signed_in, records, target):
    product_id, _ = records
    panel = signed_in("admin")
    for path in ("/admin/products/edit/", "/admin/products/details/", "/admin/products/adjust/"):
        response = panel.client.get(path, query_string={"id": product_id, "url": target}, follow_redirects=True)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "evil.example" not in html and "javascript:alert" not in html, path


def test_a_return_address_on_this_site_is_followed(signed_in, records):
    product_id, customer_id = records
    panel = signed_in("admin")
    target = "/admin/customers/?search=ada"
    response = panel.client.get("/admin/products/details/", query_string={"id": MISSING_ID, "url": target})
    assert response.headers["Location"] == target
    response = panel.post("/admin/products/adjust/", {"delta": "1", "reason": "count"},
                          query_string={"id": product_id, "url": target})
    assert response.headers["Location"] == target
    response = panel.post("/admin/customers/delete/", {"id": customer_id, "url": target})
    assert response.headers["Location"] == target


def test_flask_admin_reads_the_return_address_from_url():
    # Pins the Flask-Admin 2.2.1 internals erp_admin.admin.security relies on: its views
    # read the return address with helpers.get_redirect_target(param_name="url").
    # If this fails after an upgrade, re-check how the new version reads it.
    from flask_admin import helpers
    from flask_admin.model import base

    assert flask_admin.__version__ == "2.2.1"
    assert inspect.signature(helpers.get_redirect_target).parameters["param_name"].default == "url"
    assert base.get_redirect_target is helpers.get_redirect_target
