"""Stock over the API: POST /api/products/<id>/adjust-stock and GET /api/products/<id>/movements."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.api.conftest import assert_problem
from tests.factories import create_product

MOVEMENT_KEYS = ["id", "delta", "quantity_after", "reason", "user", "created_at"]


@pytest.fixture
def h(tokens):
    return tokens("user")


@pytest.fixture
def product(app):
    with app.app_context():
        return create_product(sku="ADJ-1", name="Adjustable", quantity=5)


def count(app, model, **where):
    from erp_admin.extensions import db

    with app.app_context():
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return db.session.scalar(query)


def test_adjust_returns_the_product_with_etag_and_writes_one_movement(app, client, h, product):
    from erp_admin.models import AuditEntry, StockMovement

    response = client.post(f"/api/products/{product.id}/adjust-stock", json={"delta": -3, "reason": " sold "}, headers=h)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["id"] == product.id and body["quantity"] == 2 and body["version"] == product.version + 1
    assert response.headers["ETag"] == f'"{body["version"]}"'
    moves = client.get(f"/api/products/{product.id}/movements", headers=h)
    assert moves.status_code == 200 and moves.headers["X-Total-Count"] == "2"
    newest = moves.get_json()[0]
    assert list(newest) == MOVEMENT_KEYS
    assert (newest["delta"], newest["quantity_after"], newest["reason"], newest["user"]) == (-3, 2, "sold", "user_api")
    assert newest["created_at"].endswith("Z")
    assert count(app, StockMovement, product_id=product.id) == 2
    assert count(app, AuditEntry, entity="product", action="update") == 1


def test_integral_float_delta_is_an_integer(client, h, product):
    response = client.post(f"/api/products/{product.id}/adjust-stock", json={"delta": 2.0, "reason": "x"}, headers=h)
    assert response.status_code == 200 and response.get_json()["quantity"] == 7


def test_below_zero_is_409_and_writes_nothing(app, client, h, product):
    from erp_admin.models import StockMovement

    body = assert_problem(client.post(f"/api/products/{product.id}/adjust-stock", json={"delta": -6, "reason": "x"},
                                      headers=h), 409)
    assert "below zero" in body["detail"]
    assert client.get(f"/api/products/{product.id}", headers=h).get_json()["quantity"] == 5
    assert count(app, StockMovement) == 1


@pytest.mark.parametrize("path", ["/api/products/999999/adjust-stock", "/api/products/3000000000/adjust-stock",
                                  "/api/products/3000000000/movements", "/api/products/99999999999999999999/adjust-stock"])
def test_unknown_product_is_404(client, h, path):
    if path.endswith("/movements"):
        assert_problem(client.get(path, headers=h), 404)
    else:
        assert_problem(client.post(path, json={"delta": 1, "reason": "x"}, headers=h), 404)


@pytest.mark.parametrize("body,fields", [
    ({"delta": 0, "reason": "x"}, {"delta"}),
    ({"delta": 1.5, "reason": "x"}, {"delta"}),
    ({"delta": True, "reason": "x"}, {"delta"}),
    ({"delta": "3", "reason": "x"}, {"delta"}),
    ({"delta": 2**40, "reason": "x"}, {"delta"}),
    ({"delta": 1, "reason": "   "}, {"reason"}),
    ({"delta": 1, "reason": "r" * 201}, {"reason"}),
    ({"delta": 1, "reason": None}, {"reason"}),
    ({"delta": 1}, {"reason"}),
    ({"reason": "x"}, {"delta"}),
    ({"delta": 1, "reason": "x", "quantity": 3}, {"quantity"}),
])
def test_bad_delta_or_reason_is_422_listing_each_field(app, client, h, product, body, fields):
    from erp_admin.models import StockMovement

    problem = assert_problem(client.post(f"/api/products/{product.id}/adjust-stock", json=body, headers=h), 422)
    assert {e["field"] for e in problem["errors"]} == fields
    assert count(app, StockMovement) == 1


@pytest.mark.parametrize("data,content_type,status", [
    ("[1]", "application/json", 400), ("{bad", "application/json", 400), ("delta=1", "text/plain", 415),
])
def test_malformed_bodies_are_4xx(client, h, product, data, content_type, status):
    assert_problem(client.post(f"/api/products/{product.id}/adjust-stock", data=data, content_type=content_type,
                               headers=h), status)


def test_idempotency_key_replays_and_writes_nothing(app, client, h, product):
    from erp_admin.models import IdempotencyRecord, StockMovement

    headers = {**h, "Idempotency-Key": "adj-1"}
    url = f"/api/products/{product.id}/adjust-stock"
    first = client.post(url, json={"delta": 4, "reason": "delivery"}, headers=headers)
    assert first.status_code == 200
    again = client.post(url, data='{"reason": "delivery", "delta": 4}', content_type="application/json", headers=headers)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert again.headers["ETag"] == first.headers["ETag"] and again.headers["Idempotent-Replayed"] == "true"
    assert client.get(f"/api/products/{product.id}", headers=h).get_json()["quantity"] == 9
    assert count(app, StockMovement) == 2 and count(app, IdempotencyRecord) == 1
    assert_problem(client.post(url, json={"delta": 5, "reason": "delivery"}, headers=headers), 422)
    assert count(app, StockMovement) == 2


def test_idempotency_failed_adjustment_is_not_stored(app, client, h, product):
    from erp_admin.models import IdempotencyRecord

    headers = {**h, "Idempotency-Key": "adj-2"}
    url = f"/api/products/{product.id}/adjust-stock"
    assert_problem(client.post(url, json={"delta": -50, "reason": "x"}, headers=headers), 409)
    assert count(app, IdempotencyRecord) == 0
    assert client.post(url, json={"delta": -5, "reason": "x"}, headers=headers).status_code == 200


def test_idempotency_record_is_in_the_adjustments_transaction(app, client, h, product, monkeypatch):
    """A commit that fails keeps neither the adjustment nor the key."""
    from erp_admin.extensions import db
    from erp_admin.models import IdempotencyRecord, StockMovement

    def failing_commit():
        raise RuntimeError("disk full")

    original = db.session.commit
    monkeypatch.setattr(db.session, "commit", failing_commit, raising=False)
    headers = {**h, "Idempotency-Key": "adj-3"}
    assert_problem(client.post(f"/api/products/{product.id}/adjust-stock", json={"delta": 1, "reason": "x"},
                               headers=headers), 500)
    monkeypatch.setattr(db.session, "commit", original, raising=False)
    assert count(app, IdempotencyRecord) == 0 and count(app, StockMovement) == 1
    assert client.get(f"/api/products/{product.id}", headers=h).get_json()["quantity"] == 5


def test_serialization_failure_is_retried_with_the_key(app, client, h, product, monkeypatch):
    """A retryable database error reruns the whole unit: one adjustment, one key, no 500."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from erp_admin.api import stock
    from erp_admin.models import IdempotencyRecord, StockMovement

    calls = []
    real = stock.adjust_stock

    def flaky(*args, **kwargs):
        calls.append(1)
        result = real(*args, **kwargs)
        if len(calls) == 1:
            raise OperationalError("UPDATE", {}, sqlite3.OperationalError("database is locked"))
        return result

    monkeypatch.setattr(stock, "adjust_stock", flaky)
    response = client.post(f"/api/products/{product.id}/adjust-stock", json={"delta": 2, "reason": "x"},
                           headers={**h, "Idempotency-Key": "adj-4"})
    assert response.status_code == 200 and response.get_json()["quantity"] == 7
    assert len(calls) == 2
    assert count(app, IdempotencyRecord) == 1 and count(app, StockMovement) == 2


def test_a_busy_database_that_stays_busy_is_503_not_500(client, h, product, monkeypatch):
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from erp_admin.api import stock

    def busy(*args, **kwargs):
        raise OperationalError("UPDATE", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(stock, "adjust_stock", busy)
    client.application.config["DB_RETRY_BACKOFF_MS"] = 1
    assert_problem(client.post(f"/api/products/{product.id}/adjust-stock", json={"delta": 2, "reason": "x"},
                               headers=h), 503)


def test_movements_are_paged_newest_first(client, h, product):
    url = f"/api/products/{product.id}/adjust-stock"
    for delta in (1, 2, 3, 4):
        assert client.post(url, json={"delta": delta, "reason": f"r{delta}"}, headers=h).status_code == 200
    page = client.get(f"/api/products/{product.id}/movements?limit=2&offset=1", headers=h)
    assert [m["delta"] for m in page.get_json()] == [3, 2]
    assert page.headers["X-Total-Count"] == "5"
    assert 'rel="next"' in page.headers["Link"] and 'rel="prev"' in page.headers["Link"]
    everything = client.get(f"/api/products/{product.id}/movements", headers=h).get_json()
    assert [m["delta"] for m in everything] == [4, 3, 2, 1, 5]
    assert sum(m["delta"] for m in everything) == everything[0]["quantity_after"] == 15


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "offset=-1", "offset=1.5"])
def test_movements_bad_paging_is_400(client, h, product, query):
    assert_problem(client.get(f"/api/products/{product.id}/movements?{query}", headers=h), 400)


def test_movements_of_an_unknown_product_is_404(client, h):
    assert_problem(client.get("/api/products/424242/movements", headers=h), 404)
