"""Panel safety: security headers, CSRF on every POST, escaping of user input, bad input as 4xx, Flask-Babel."""
from __future__ import annotations

import sys
import types

import pytest
from sqlalchemy import select

from erp_admin.extensions import db
from erp_admin.models import Customer, Product
from tests.factories import create_customer, create_product

XSS = "<img src=x onerror=alert(1)>"


def test_security_headers_on_signed_in_pages(signed_in):
    panel = signed_in("manager")
    for url in ["/admin/", "/admin/products/", "/admin/products/new/"]:
        response = panel.client.get(url)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Referrer-Policy"]
        assert "no-store" in response.headers["Cache-Control"]


def test_security_headers_on_login_page(client):
    response = client.get("/admin/login/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "no-store" in response.headers["Cache-Control"]


@pytest.fixture
def targets(app):
    with app.app_context():
        product = create_product(sku="CSRF-1", name="Guarded")
        customer = create_customer()
    return product, customer


@pytest.mark.parametrize("url,data", [
    ("/admin/products/new/", {"name": "Sneaky", "price": "1"}),
    ("/admin/products/edit/?id={pid}", {"sku": "CSRF-1", "name": "Sneaky", "price": "1", "reorder_level": "0", "version": "1"}),
    ("/admin/products/delete/", {"id": "{pid}"}),
    ("/admin/products/action/", {"action": "delete", "rowid": "{pid}"}),
    ("/admin/products/ajax/update/", {"list_form_pk": "{pid}", "name": "Sneaky"}),
    ("/admin/products/adjust/?id={pid}", {"delta": "5", "reason": "sneaky"}),
    ("/admin/customers/delete/", {"id": "{cid}"}),
    ("/admin/logout/", {}),
])
@pytest.mark.parametrize("token", ["missing", "wrong"])
def test_posts_without_a_valid_csrf_token_are_refused(app, signed_in, targets, url, data, token):
    product, customer = targets
    panel = signed_in("admin")
    fill = lambda s: s.format(pid=product.id, cid=customer.id)  # noqa: E731
    form = {k: fill(v) for k, v in data.items()}
    if token == "wrong":
        form["csrf_token"] = "not-a-real-token"
    response = panel.client.post(fill(url), data=form)
    assert response.status_code == 400
    assert "expired or did not come from this site" in response.get_data(as_text=True)
    with app.app_context():
        stored = db.session.get(Product, product.id)
        assert stored is not None and stored.name == "Guarded" and stored.quantity == 0
        assert db.session.get(Customer, customer.id) is not None
    assert panel.client.get("/admin/").status_code == 200  # logout did not happen either


def test_html_in_user_fields_is_escaped_everywhere(app, signed_in):
    panel = signed_in("admin")
    with app.app_context():
        product = create_product(sku="XSS-1", name=XSS, category=XSS, description=XSS, quantity=1, reorder_level=5)
        create_customer(name=XSS, email="x@example.com", company=XSS)
        from erp_admin.inventory.stock import adjust_stock

        adjust_stock(product.id, 1, XSS)
        from erp_admin.audit.log import record

        record("update", "product", product.id, {"name": ["old", XSS]})
        db.session.commit()
    urls = [
        "/admin/", "/admin/products/", f"/admin/products/details/?id={product.id}",
        f"/admin/products/edit/?id={product.id}", f"/admin/products/adjust/?id={product.id}",
        "/admin/customers/", "/admin/movements/", "/admin/audit-log/", f"/admin/products/?search={XSS}",
    ]
    for url in urls:
        response = panel.client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert XSS not in html, url
        assert "&lt;img src=x onerror=alert(1)&gt;" in html, url


def test_nul_bytes_are_a_400(signed_in):
    panel = signed_in("manager")
    assert panel.client.get("/admin/products/?search=a%00b").status_code == 400
    assert panel.post("/admin/products/new/", {"name": "a\x00b", "price": "1"}).status_code == 400


@pytest.mark.parametrize("url", [
    "/admin/products/details/?id=abc", "/admin/products/details/?id=99999999999999999999999",
    "/admin/products/?page=-1", "/admin/products/?page_size=abc", "/admin/products/?sort=99",
    "/admin/products/?flt0_low_stock_is=maybe", "/admin/audit-log/?flt0_id_equals=abc",
    "/admin/movements/?flt0_when_between=nonsense",
])
def test_odd_query_strings_are_not_500(signed_in, url):
    panel = signed_in("admin")
    assert panel.client.get(url).status_code < 500


def test_flask_babel_is_initialised_when_installed(app, monkeypatch):
    from erp_admin.admin import ensure_babel

    initialised = []
    fake = types.ModuleType("flask_babel")
    fake.Babel = lambda app: initialised.append(app)
    monkeypatch.setitem(sys.modules, "flask_babel", fake)
    ensure_babel(app)
    assert initialised == [app]


def test_flask_admin_csv_export_is_replaced_by_the_streamed_exporter(app, signed_in):
    """Flask-Admin's export (whole table in memory, formulas verbatim) stays off; its URL streams ours."""
    with app.app_context():
        create_product(sku="F-1", name="=1+1", price="1")
    panel = signed_in("admin")
    html = panel.client.get("/admin/products/").get_data(as_text=True)
    assert 'title="Export"' not in html  # Flask-Admin's own export button
    response = panel.client.get("/admin/products/export/csv/")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed
    assert ",'=1+1," in response.get_data(as_text=True)


def test_products_are_unchanged_after_readonly_view_posts(app, signed_in):
    panel = signed_in("admin")
    with app.app_context():
        before = db.session.scalars(select(Product)).all()
    assert panel.post("/admin/movements/new/", {}).status_code == 403
    assert panel.post("/admin/audit-log/delete/", {"id": "1"}).status_code == 403
    with app.app_context():
        assert db.session.scalars(select(Product)).all() == before


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "javascript:alert(1)", "https://evil.example/x"])
def test_return_urls_of_panel_forms_stay_on_site(app, signed_in, target):
    from urllib.parse import quote

    panel = signed_in("manager")
    response = panel.post(f"/admin/products/new/?url={quote(target, safe='')}", {"name": "Ok", "price": "1"})
    assert response.status_code == 302
    assert "evil" not in response.headers["Location"] and "javascript" not in response.headers["Location"]
    with app.app_context():
        product = db.session.scalar(select(Product).where(Product.name == "Ok"))
    response = panel.post(f"/admin/products/adjust/?id={product.id}&url={quote(target, safe='')}", {"delta": "1", "reason": "x"})
    assert response.status_code == 302 and "evil" not in response.headers["Location"]


def test_expired_panel_sessions_are_pruned_at_login(app, signed_in):
    from datetime import timedelta

    from erp_admin.models import PanelSession

    signed_in("manager")
    with app.app_context():
        row = db.session.scalars(select(PanelSession)).one()
        row.created_at = row.created_at - timedelta(days=30)
        expired_id = row.id
        db.session.commit()
    signed_in("user")
    with app.app_context():
        remaining = db.session.scalars(select(PanelSession.id)).all()
        assert expired_id not in remaining and len(remaining) == 1
