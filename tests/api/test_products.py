"""Products through the API: shapes, validation, read-only and unknown fields, ETag/If-Match."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.api.conftest import assert_problem
from tests.factories import create_product

PRODUCT_KEYS = ["id", "sku", "name", "description", "category", "price", "quantity", "reorder_level",
                "low_stock", "created_at", "updated_at", "version"]


@pytest.fixture
def h(tokens):
    return tokens("user")


def test_create_returns_201_with_location_etag_and_shape(client, h):
    response = client.post("/api/products", json={"name": "Lamp", "price": 19.99, "quantity": 2, "reorder_level": 5}, headers=h)
    assert response.status_code == 201
    body = response.get_json()
    assert list(body) == PRODUCT_KEYS
    assert body["sku"].startswith("P-") and body["price"] == 19.99 and body["low_stock"] is True
    assert body["created_at"].endswith("Z") and body["version"] == 1
    assert response.headers["Location"].endswith(f"/api/products/{body['id']}")
    assert response.headers["ETag"] == '"1"'
    assert client.get(response.headers["Location"], headers=h).get_json() == body


def test_price_is_stored_exactly(app, client, h):
    response = client.post("/api/products", json={"name": "Pen", "price": "0.10", "sku": "PEN-1"}, headers=h)
    from erp_admin.extensions import db
    from erp_admin.models import Product

    with app.app_context():
        assert db.session.get(Product, response.get_json()["id"]).price == Decimal("0.10")


@pytest.mark.parametrize("payload,fields", [
    ({"price": 1}, ["name"]),
    ({"name": "", "price": -1}, ["name", "price"]),
    ({"name": "x", "price": 1.234}, ["price"]),
    ({"name": "x", "price": 1, "sku": ""}, ["sku"]),
    ({"name": "x", "price": 1, "sku": "bad sku!"}, ["sku"]),
    ({"name": "x", "price": 1, "quantity": -1}, ["quantity"]),
    ({"name": "x", "price": 1, "quantity": 1.5}, ["quantity"]),
    ({"name": "x", "price": 1, "quantity": 10**30}, ["quantity"]),
    ({"name": "x", "price": 1e308}, ["price"]),
    ({"name": "x" * 101, "price": 1}, ["name"]),
    ({"name": "x", "price": 1, "password_hash": "x", "tokn": 1}, ["password_hash", "tokn"]),
    ({"name": "a\u0000b", "price": 1}, ["name"]),
])
def test_create_validation_lists_every_failing_field(client, h, payload, fields):
    body = assert_problem(client.post("/api/products", json=payload, headers=h), 422)
    assert sorted(e["field"] for e in body["errors"]) == sorted(fields)


def test_read_only_fields_are_ignored(client, h):
    created = client.post("/api/products", json={"name": "Grid", "price": 1}, headers=h).get_json()
    row = dict(created, name="Grid 2", id=999, version=99, low_stock=False, created_at="2000-01-01T00:00:00Z")
    response = client.put(f"/api/products/{created['id']}", json=row, headers=h)
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == created["id"] and body["name"] == "Grid 2" and body["version"] == 2
    assert body["created_at"] == created["created_at"]


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_partial_update_keeps_omitted_fields(client, h, method):
    created = client.post("/api/products", json={"name": "Keep", "price": 5, "category": "Tools"}, headers=h).get_json()
    response = client.open(f"/api/products/{created['id']}", method=method, json={"quantity": 7}, headers=h)
    body = response.get_json()
    assert response.status_code == 200 and body["quantity"] == 7
    assert body["name"] == "Keep" and body["category"] == "Tools" and body["price"] == 5
    assert response.headers["ETag"] == '"2"'


def test_duplicate_sku_is_409(client, h):
    client.post("/api/products", json={"name": "A", "price": 1, "sku": "DUP"}, headers=h)
    body = assert_problem(client.post("/api/products", json={"name": "B", "price": 1, "sku": "DUP"}, headers=h), 409)
    assert body["errors"][0]["field"] == "sku"


def test_if_match_stale_is_412_and_writes_nothing(client, h):
    created = client.post("/api/products", json={"name": "V", "price": 1}, headers=h).get_json()
    url = f"/api/products/{created['id']}"
    assert client.patch(url, json={"name": "V2"}, headers={**h, "If-Match": '"1"'}).status_code == 200
    assert_problem(client.patch(url, json={"name": "V3"}, headers={**h, "If-Match": '"1"'}), 412)
    assert_problem(client.put(url, json={"name": "V3"}, headers={**h, "If-Match": 'W/"2"'}), 412)
    assert_problem(client.delete(url, headers={**h, "If-Match": '"1"'}), 412)
    current = client.get(url, headers=h)
    assert current.get_json()["name"] == "V2" and current.headers["ETag"] == '"2"'
    assert client.patch(url, json={"name": "V4"}, headers={**h, "If-Match": '"9", "2"'}).status_code == 200
    assert client.patch(url, json={"name": "V5"}, headers={**h, "If-Match": "*"}).status_code == 200
    assert client.delete(url, headers={**h, "If-Match": '"4"'}).status_code == 204
    assert_problem(client.get(url, headers=h), 404)


def test_delete_keeps_movements(app, client, h):
    from sqlalchemy import select

    from erp_admin.extensions import db
    from erp_admin.models import StockMovement

    created = client.post("/api/products", json={"name": "Gone", "price": 1, "quantity": 4, "sku": "GONE"}, headers=h).get_json()
    with app.app_context():
        from erp_admin.inventory.stock import adjust_stock

        adjust_stock(created["id"], 2, "restock")
        db.session.commit()
    assert client.delete(f"/api/products/{created['id']}", headers=h).status_code == 204
    with app.app_context():
        movement = db.session.scalars(select(StockMovement)).first()
        assert movement.product_id is None and movement.sku == "GONE"


def test_unknown_and_huge_ids_are_404(client, h, app):
    with app.app_context():
        create_product()
    for path in ("/api/products/999", "/api/products/0", f"/api/products/{2**64 + 1}", f"/api/products/{10**40}"):
        assert_problem(client.get(path, headers=h), 404)
        assert_problem(client.delete(path, headers=h), 404)
    assert_problem(client.get("/api/products/-1", headers=h), 404)
    assert_problem(client.get("/api/products/abc", headers=h), 404)


@pytest.mark.parametrize("price", [-0, -0.0, "-0", "-0.00", " -0.0 "])
def test_negative_zero_price_is_stored_and_returned_as_zero(app, client, h, price):
    response = client.post("/api/products", json={"name": "Free", "price": price}, headers=h)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert re.search(r'"price":\s*-', response.get_data(as_text=True)) is None
    again = client.get(response.headers["Location"], headers=h)
    assert re.search(r'"price":\s*-', again.get_data(as_text=True)) is None and again.get_json()["price"] == 0
    with app.app_context():
        from erp_admin.extensions import db
        from erp_admin.models import Product

        assert str(db.session.get(Product, response.get_json()["id"]).price) == "0.00"
