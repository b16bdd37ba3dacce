"""Products in the panel: forms through the services, search and filters, stock adjustment, stale edits."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from erp_admin.extensions import db
from erp_admin.models import Product
from tests.factories import create_product


@pytest.fixture
def manager(signed_in):
    return signed_in("manager")


def product_by_name(app, name):
    with app.app_context():
        return db.session.scalar(select(Product).where(Product.name == name))


def test_create_through_the_form(app, manager):
    response = manager.post("/admin/products/new/", {
        "sku": "", "name": "Desk Lamp", "description": "LED", "category": "Lighting",
        "price": "19.90", "quantity": "4", "reorder_level": "2",
    })
    assert response.status_code == 302
    product = product_by_name(app, "Desk Lamp")
    assert product.sku.startswith("P-")  # generated like the API does
    assert product.price == Decimal("19.90") and product.quantity == 4 and product.category == "Lighting"


def test_validation_errors_come_from_the_api_rules_and_land_on_fields(app, manager):
    response = manager.post("/admin/products/new/", {
        "sku": "bad sku!", "name": "", "price": "1.234", "quantity": "-1", "reorder_level": "abc",
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "must have at most 2 decimal places" in html
    assert "field required" in html  # name left empty
    assert "String should match pattern" in html
    assert "greater than or equal to 0" in html
    with app.app_context():
        assert db.session.scalar(select(Product.id)) is None


def test_duplicate_sku_is_shown_on_the_field(app, manager):
    with app.app_context():
        create_product(sku="LAMP-1", name="Lamp")
    response = manager.post("/admin/products/new/", {"sku": "LAMP-1", "name": "Other", "price": "1"})
    assert response.status_code == 200
    assert "A product with this sku already exists." in response.get_data(as_text=True)


def test_list_search_filters_badge_and_price(app, manager):
    with app.app_context():
        create_product(sku="CHA-1", name="Chair", category="Furniture", price=Decimal("1234.5"), quantity=1, reorder_level=5)
        create_product(sku="DSK-1", name="Desk", category="Furniture", price=Decimal("300"), quantity=9, reorder_level=2)
        create_product(sku="MOU-1", name="Mouse", category="Electronics", price=Decimal("20"), quantity=50)
    html = manager.client.get("/admin/products/").get_data(as_text=True)
    assert 'name="search"' in html
    assert "1,234.50" in html
    assert html.count("Low stock</span>") == 1

    html = manager.client.get("/admin/products/?search=furn").get_data(as_text=True)
    assert "Chair" in html and "Desk" in html and "Mouse" not in html
    html = manager.client.get("/admin/products/?search=mou-1").get_data(as_text=True)
    assert "Mouse" in html and "Chair" not in html
    html = manager.client.get("/admin/products/?flt0_low_stock_is=1").get_data(as_text=True)
    assert "Chair" in html and "Desk" not in html and "Mouse" not in html
    html = manager.client.get("/admin/products/?flt0_category_equals=Electronics").get_data(as_text=True)
    assert "Mouse" in html and "Chair" not in html


def test_search_is_literal(app, manager):
    with app.app_context():
        create_product(sku="A-1", name="100% cotton")
        create_product(sku="B-1", name="1000 cotton")
    html = manager.client.get("/admin/products/?search=100%25").get_data(as_text=True)
    assert "100% cotton" in html and "1000 cotton" not in html


def test_sort_and_page_size(app, manager):
    with app.app_context():
        for i in range(25):
            create_product(sku=f"S-{i:02d}", name=f"Item {i:02d}")
    html = manager.client.get("/admin/products/?sort=0&desc=1&page_size=50").get_data(as_text=True)
    skus = re.findall(r"S-\d\d", html)
    assert len(set(skus)) == 25
    assert skus[0] == "S-24"
    html = manager.client.get("/admin/products/").get_data(as_text=True)
    assert len(set(re.findall(r"S-\d\d", html))) == 20


def test_count_is_capped_not_a_full_count(app, manager):
    app.config["PANEL_LIST_COUNT_CAP"] = 3
    with app.app_context():
        for i in range(5):
            create_product(sku=f"C-{i}", name=f"Cap {i}")
    html = manager.client.get("/admin/products/").get_data(as_text=True)
    assert "more than 3 matches" in html
    html = manager.client.get("/admin/products/?search=cap%201").get_data(as_text=True)
    assert "more than" not in html and "List (1)" in html


@pytest.mark.parametrize(("search", "expected"), [("cap", None), ("cap 1", 1), ("C-1", 1), ("c-", None),
                                                  ("zzz", 0), ("ap", None)])
def test_a_one_word_search_counts_from_the_index_with_the_same_cap(app, manager, search, expected):
    """A one-word search counts the search index's matches (capped), exactly as the general query would."""
    app.config["PANEL_LIST_COUNT_CAP"] = 3
    with app.app_context():
        for i in range(5):
            create_product(sku=f"C-{i}", name=f"Cap {i}")
    html = manager.client.get("/admin/products/", query_string={"search": search}).get_data(as_text=True)
    if expected is None:
        assert "more than 3 matches" in html
    elif expected == 0:
        assert "No record matches your search." in html and "more than" not in html
    else:
        assert "more than" not in html and f"List ({expected})" in html


def test_a_one_word_search_count_reads_only_the_index_on_sqlite(app, manager):
    from sqlalchemy import event

    with app.app_context():
        create_product(sku="K-1", name="Kettle")
        engine = db.engine
    statements = []
    listener = lambda conn, cursor, sql, params, context, many: statements.append(sql)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert manager.client.get("/admin/products/?search=kettle").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    counts = [sql for sql in statements if "count(" in sql.lower()]
    assert len(counts) == 1
    if engine.dialect.name == "sqlite":
        assert "products_search" in counts[0] and "FROM products " not in counts[0] + " "


def test_adjust_stock(app, manager):
    with app.app_context():
        product = create_product(name="Bolt", quantity=5)
    page = manager.client.get(f"/admin/products/adjust/?id={product.id}")
    assert page.status_code == 200 and 'name="delta"' in page.get_data(as_text=True)
    response = manager.post(f"/admin/products/adjust/?id={product.id}", {"delta": "-3", "reason": "sold"})
    assert response.status_code == 302
    assert product_by_name(app, "Bolt").quantity == 2
    with app.app_context():
        from erp_admin.models import StockMovement

        movements = db.session.scalars(select(StockMovement).order_by(StockMovement.id)).all()
        assert [(m.delta, m.reason, m.username) for m in movements] == [(5, "create", None), (-3, "sold", "manager")]


def test_adjust_stock_below_zero_is_refused_with_a_message(app, manager):
    with app.app_context():
        product = create_product(name="Bolt", quantity=1)
    response = manager.post(f"/admin/products/adjust/?id={product.id}", {"delta": "-5", "reason": "sold"})
    assert response.status_code == 409
    assert "Stock would go below zero" in response.get_data(as_text=True)
    assert product_by_name(app, "Bolt").quantity == 1


@pytest.mark.parametrize("delta,reason,message", [
    ("abc", "x", "non-zero integer"), ("0", "x", "non-zero integer"), ("2", "", "non-empty text"),
])
def test_adjust_stock_bad_input(app, manager, delta, reason, message):
    with app.app_context():
        product = create_product(name="Bolt", quantity=1)
    response = manager.post(f"/admin/products/adjust/?id={product.id}", {"delta": delta, "reason": reason})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_adjust_unknown_product_is_404(manager):
    assert manager.client.get("/admin/products/adjust/?id=999").status_code == 404
    assert manager.client.get("/admin/products/adjust/?id=abc").status_code == 404


def test_edit_form_carries_version_not_as_editable_field(app, manager):
    with app.app_context():
        product = create_product(name="Bolt", quantity=1)
    html = manager.client.get(f"/admin/products/edit/?id={product.id}").get_data(as_text=True)
    assert re.search(r'<input[^>]*type="hidden"[^>]*name="version"|<input[^>]*name="version"[^>]*type="hidden"', html)
    assert not re.search(r'<input(?![^>]*hidden)[^>]*name="version"', html)


def _edit(manager, product_id, version, **fields):
    data = {"sku": fields.pop("sku", "SKU-1"), "name": "Bolt", "description": "", "category": "",
            "price": "9.99", "reorder_level": "0", "version": str(version)}
    data.update(fields)
    return manager.post(f"/admin/products/edit/?id={product_id}", data)


def test_edit_saves_through_the_services(app, manager):
    with app.app_context():
        product = create_product(sku="SKU-1", name="Bolt")
    response = _edit(manager, product.id, product.version, name="Big Bolt", price="12")
    assert response.status_code == 302
    saved = product_by_name(app, "Big Bolt")
    assert saved.price == Decimal("12.00") and saved.version == product.version + 1


def test_stale_edit_overwrites_nothing(app, manager):
    from erp_admin.services.records import update_record

    with app.app_context():
        product = create_product(sku="SKU-1", name="Bolt")
        stored = db.session.get(Product, product.id)
        update_record(stored, {"name": "Changed elsewhere"})  # someone else saves first
        db.session.commit()
    response = _edit(manager, product.id, product.version, name="My change")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "changed by someone else since you opened it" in html
    assert f'href="/admin/products/edit/?id={product.id}" class="alert-link">Reload it</a>' in html
    assert product_by_name(app, "Changed elsewhere") is not None
    assert product_by_name(app, "My change") is None


def test_edit_without_version_is_refused(app, manager):
    with app.app_context():
        product = create_product(sku="SKU-1", name="Bolt")
    data = {"sku": "SKU-1", "name": "No version", "price": "9.99", "reorder_level": "0"}
    response = manager.post(f"/admin/products/edit/?id={product.id}", data)
    assert response.status_code == 200
    assert product_by_name(app, "No version") is None


def test_inline_update_goes_through_validation(app, manager):
    with app.app_context():
        product = create_product(sku="SKU-1", name="Bolt")
    ok = manager.post("/admin/products/ajax/update/", {"list_form_pk": str(product.id), "category": "Hardware"})
    assert ok.status_code == 200
    assert product_by_name(app, "Bolt").category == "Hardware"
    bad = manager.post("/admin/products/ajax/update/", {"list_form_pk": str(product.id), "reorder_level": "-4"})
    assert bad.status_code == 422
    assert "reorder_level: Input should be greater than or equal to 0" in bad.get_data(as_text=True)
    missing = manager.post("/admin/products/ajax/update/", {"list_form_pk": "9999", "category": "X"})
    assert missing.status_code == 404


def test_delete_through_the_services(app, manager):
    with app.app_context():
        product = create_product(sku="SKU-1", name="Bolt")
    response = manager.post("/admin/products/delete/", {"id": str(product.id)})
    assert response.status_code == 302
    assert product_by_name(app, "Bolt") is None


def test_bulk_delete_action(app, manager):
    with app.app_context():
        ids = [create_product(sku=f"B-{i}", name=f"Bulk {i}").id for i in range(3)]
    from werkzeug.datastructures import MultiDict

    response = manager.client.post("/admin/products/action/", data=MultiDict([
        ("csrf_token", manager.token()), ("action", "delete"), *[("rowid", str(i)) for i in ids[:2]],
    ]))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Product.name)).all() == ["Bulk 2"]


def test_adjust_stock_is_retried_when_the_database_is_busy(app, manager, monkeypatch):
    """The form's adjustment is a run_in_transaction unit: a busy database is retried, then a 503, never a 500."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from erp_admin.admin.views import products as view
    from erp_admin.models import StockMovement

    with app.app_context():
        product = create_product(name="Busy bolt", quantity=5)
    real, calls = view.adjust_stock, []

    def busy_once(*args, **kwargs):
        calls.append(1)
        result = real(*args, **kwargs)
        if len(calls) == 1:
            raise OperationalError("UPDATE", {}, sqlite3.OperationalError("database is locked"))
        return result

    monkeypatch.setattr(view, "adjust_stock", busy_once)
    assert manager.post(f"/admin/products/adjust/?id={product.id}", {"delta": "2", "reason": "x"}).status_code == 302
    assert len(calls) == 2 and product_by_name(app, "Busy bolt").quantity == 7
    with app.app_context():
        assert [m.delta for m in db.session.scalars(select(StockMovement).order_by(StockMovement.id))] == [5, 2]

    def always_busy(*args, **kwargs):
        raise OperationalError("UPDATE", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(view, "adjust_stock", always_busy)
    app.config["DB_RETRY_BACKOFF_MS"] = 1
    response = manager.post(f"/admin/products/adjust/?id={product.id}", {"delta": "2", "reason": "x"})
    assert response.status_code == 503 and "busy" in response.get_data(as_text=True)
    assert product_by_name(app, "Busy bolt").quantity == 7
