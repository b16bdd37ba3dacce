"""The panel in a real headless Chromium (Playwright): a manager's round trip, a plain user's limits, no XSS.

A live server runs the app in a thread on a free port against the test database.
Screenshots go to tests/artifacts/screenshots/ (CI artifacts).
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.api.live import live_server as serve
from tests.support.browser import chromium

pytestmark = pytest.mark.slow  # a live server driven by Chromium

SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def live_server(app):
    with serve(app) as url:
        yield url


@pytest.fixture
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def sign_in(page, base, username, password):
    page.goto(f"{base}/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_manager_round_trip(app, live_server, page):
    from erp_admin.services.demo import load_demo_data

    with app.app_context():
        from sqlalchemy import select

        from erp_admin.extensions import db
        from erp_admin.inventory.stock import adjust_stock
        from erp_admin.models import Product

        load_demo_data()  # admin / manager / johndoe and a few products: a dashboard worth a look
        ids = dict(db.session.execute(select(Product.sku, Product.id)).all())
        adjust_stock(ids["MOU-001"], 25, "delivery")
        adjust_stock(ids["LAP-001"], -2, "sale")
        db.session.commit()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))

    sign_in(page, live_server, "manager", "manager123")
    assert page.url == f"{live_server}/admin/"
    chart = page.locator("svg[data-testid=value-chart]")
    chart.wait_for(state="visible")
    assert chart.locator("rect.bar-rect").count() >= 2
    assert chart.bounding_box()["width"] > 200  # actually laid out and drawn
    assert "delivery" in page.locator("[data-testid=movements]").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)

    # Create a product through the form.
    page.click("nav >> text=Products")
    page.click("a.nav-link:has-text('Create')")
    page.fill("input[name=name]", "Browser Test Kettle")
    page.fill("input[name=category]", "Kitchen")
    page.fill("input[name=price]", "24.50")
    page.fill("input[name=quantity]", "3")
    page.fill("input[name=reorder_level]", "5")
    page.click("input[type=submit][value=Save]")
    expect(page.locator("body")).to_contain_text("Record was successfully created")
    page.screenshot(path=str(SCREENSHOTS / "products.png"), full_page=True)

    # Find it by search.
    page.fill("input[name=search]", "kettle")
    with page.expect_navigation():
        page.press("input[name=search]", "Enter")
    rows = page.locator("table.model-list tbody tr")
    assert rows.count() == 1
    assert "Browser Test Kettle" in rows.first.inner_text() and "Low stock" in rows.first.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "products-search.png"), full_page=True)

    # Adjust its stock.
    rows.first.locator("a[title='Adjust stock']").click()
    page.fill("input[name=delta]", "7")
    page.fill("input[name=reason]", "delivery")
    page.click("button:has-text('Apply')")
    expect(page.locator("body")).to_contain_text("is now 10")

    # Edit it.
    page.fill("input[name=search]", "kettle")
    with page.expect_navigation():
        page.press("input[name=search]", "Enter")
    page.locator("table.model-list tbody tr").first.locator("a[title='Edit Record']").click()
    page.fill("input[name=name]", "Browser Test Kettle XL")
    page.click("input[type=submit][value=Save]")
    expect(page.locator("body")).to_contain_text("Record was successfully saved")
    expect(page.locator("body")).to_contain_text("Browser Test Kettle XL")

    # Delete it (confirming the dialog).
    page.fill("input[name=search]", "kettle")
    with page.expect_navigation():
        page.press("input[name=search]", "Enter")
    page.locator("table.model-list tbody tr").first.locator("button[title='Delete Record']").click()
    page.wait_for_load_state("domcontentloaded")
    expect(page.locator("body")).to_contain_text("Record was successfully deleted")
    assert dialogs == ["Are you sure you want to delete this record?"]
    with app.app_context():
        from sqlalchemy import select

        from erp_admin.extensions import db
        from erp_admin.models import Product, StockMovement

        assert db.session.scalar(select(Product).where(Product.name.like("Browser Test%"))) is None
        assert db.session.scalar(select(StockMovement).where(StockMovement.reason == "delivery")) is not None


def test_plain_user_cannot_reach_users(make_user, live_server, page):
    make_user("plain", role="user", password="plain-password")
    sign_in(page, live_server, "plain", "plain-password")
    assert page.url == f"{live_server}/admin/"
    assert page.locator("nav a:has-text('Users')").count() == 0
    assert page.locator("nav a:has-text('Products')").count() == 1
    response = page.goto(f"{live_server}/admin/users/")
    assert response.status == 403
    assert page.locator("[data-testid=forbidden]").is_visible()


def test_script_in_a_product_name_never_runs(app, make_user, live_server, page):
    from erp_admin.extensions import db
    from erp_admin.inventory.stock import adjust_stock
    from tests.factories import create_customer, create_product

    with app.app_context():
        product = create_product(sku="XSS-1", name=XSS, category=XSS, description=XSS,
                                 price=Decimal("5"), quantity=1, reorder_level=4)
        adjust_stock(product.id, 1, XSS)
        create_customer(name=XSS, email="xss@example.com", company=XSS)
        from erp_admin.audit.log import record

        record("update", "product", product.id, {"name": ["Kettle", XSS]})
        db.session.commit()
    make_user("admin", role="admin", password="admin-password")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, live_server, "admin", "admin-password")
    for path in ["/admin/", "/admin/products/", f"/admin/products/details/?id={product.id}",
                 f"/admin/products/edit/?id={product.id}", f"/admin/products/adjust/?id={product.id}",
                 "/admin/products/?search=%3Cimg", "/admin/customers/", "/admin/movements/", "/admin/audit-log/"]:
        page.goto(live_server + path)
        page.wait_for_load_state("load")
        if "/edit/" in path:
            assert page.input_value("input[name=name]") == XSS  # kept as the field's text...
        else:
            assert XSS in page.inner_text("body"), path  # ...or shown as text...
        assert page.locator("img[src=x]").count() == 0, path  # ...never as an element
    assert dialogs == []
