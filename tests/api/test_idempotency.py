"""Idempotency-Key on POST creates: replay the first response, write nothing, 422 for another body."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.api.conftest import assert_problem


def count(app, model):
    from erp_admin.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_same_key_same_body_replays_and_writes_nothing(app, client, tokens):
    from erp_admin.models import IdempotencyRecord, Product

    h = {**tokens("user"), "Idempotency-Key": "create-1"}
    first = client.post("/api/products", json={"name": "Once", "price": 1}, headers=h)
    assert first.status_code == 201
    # The same object in another key order and spacing is the same request.
    again = client.post("/api/products", data='{ "price": 1, "name": "Once" }', content_type="application/json", headers=h)
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(app, Product) == 1 and count(app, IdempotencyRecord) == 1


def test_same_key_other_body_is_422(app, client, tokens):
    from erp_admin.models import Product

    h = {**tokens("user"), "Idempotency-Key": "create-2"}
    client.post("/api/customers", json={"name": "A", "email": "a@example.com"}, headers=h)
    assert_problem(client.post("/api/customers", json={"name": "B", "email": "b@example.com"}, headers=h), 422)
    assert count(app, Product) == 0


def test_keys_are_scoped_per_user_and_path(app, client, tokens):
    from erp_admin.models import Customer, Product

    key = {"Idempotency-Key": "shared"}
    assert client.post("/api/products", json={"name": "U", "price": 1}, headers={**tokens("user"), **key}).status_code == 201
    assert client.post("/api/products", json={"name": "U", "price": 1}, headers={**tokens("manager"), **key}).status_code == 201
    assert client.post("/api/customers", json={"name": "C", "email": "c@example.com"},
                       headers={**tokens("user"), **key}).status_code == 201
    assert count(app, Product) == 2 and count(app, Customer) == 1


def test_failed_request_is_not_stored_and_may_be_retried(app, client, tokens):
    from erp_admin.models import IdempotencyRecord

    h = {**tokens("user"), "Idempotency-Key": "retry-me"}
    assert_problem(client.post("/api/products", json={"name": "X"}, headers=h), 422)
    assert count(app, IdempotencyRecord) == 0
    assert client.post("/api/products", json={"name": "X", "price": 2}, headers=h).status_code == 201


def test_record_is_committed_with_the_change(app, client, tokens, monkeypatch):
    """If the commit fails, neither the product nor the key is stored (one transaction)."""
    from erp_admin.extensions import db
    from erp_admin.models import IdempotencyRecord, Product

    h = {**tokens("user"), "Idempotency-Key": "atomic"}
    original_commit = db.session.commit

    def failing_commit():
        raise RuntimeError("disk full")

    monkeypatch.setattr(db.session, "commit", failing_commit, raising=False)
    assert_problem(client.post("/api/products", json={"name": "A", "price": 1}, headers=h), 500)
    monkeypatch.setattr(db.session, "commit", original_commit, raising=False)
    assert count(app, Product) == 0 and count(app, IdempotencyRecord) == 0


def test_keys_expire_after_the_ttl(app, client, tokens):
    from erp_admin.extensions import db
    from erp_admin.models import IdempotencyRecord, Product

    h = {**tokens("user"), "Idempotency-Key": "old"}
    client.post("/api/products", json={"name": "Old", "price": 1}, headers=h)
    with app.app_context():
        record = db.session.scalars(select(IdempotencyRecord)).one()
        record.created_at = record.created_at - timedelta(hours=24, seconds=1)
        db.session.commit()
    assert client.post("/api/products", json={"name": "Old", "price": 1}, headers=h).status_code == 201
    assert count(app, Product) == 2 and count(app, IdempotencyRecord) == 1


def test_bad_key_is_400(client, tokens):
    assert_problem(client.post("/api/products", json={"name": "A", "price": 1},
                               headers={**tokens("user"), "Idempotency-Key": "x" * 300}), 400)


def test_concurrent_duplicate_answers_with_the_stored_response(app, client, tokens, monkeypatch):
    """A request that lost the race on the key's unique row replays the winner instead of failing."""
    from erp_admin.api import idempotency
    from erp_admin.models import Product

    h = {**tokens("user"), "Idempotency-Key": "race"}
    first = client.post("/api/products", json={"name": "R", "price": 1}, headers=h)
    # Simulate the second request's lookup running before the first committed.
    real_find = idempotency._find
    calls = {"n": 0}

    def late_find(scope):
        calls["n"] += 1
        return None if calls["n"] == 1 else real_find(scope)

    monkeypatch.setattr(idempotency, "_find", late_find)
    second = client.post("/api/products", json={"name": "R", "price": 1}, headers=h)
    assert second.status_code == 201 and second.get_json() == first.get_json()
    assert count(app, Product) == 1
