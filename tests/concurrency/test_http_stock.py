"""Acceptance against a real `gunicorn -w 4` (SQLite file, or PostgreSQL in the PostgreSQL pass).

Many client threads at once: no adjustment lost or doubled, stock never below
zero, one winner per If-Match and per SKU, never a 5xx, never "database is locked".
"""
from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import select

from erp_admin.extensions import db
from erp_admin.inventory.ledger import stock_drift
from erp_admin.models import Product, StockMovement
from tests.concurrency.conftest import fire
from tests.factories import create_product

pytestmark = pytest.mark.slow  # gunicorn -w 4 under concurrent requests

THREADS = 16


def report(name, database_url, count):
    """Print a timing line (shown with -s; the figures go into the report, nothing is asserted on time)."""
    kind = database_url.split(":", 1)[0]
    print(f"\n[timing] {name} on {kind}: {count} requests in {fire.last_duration:.2f} s "
          f"({count / fire.last_duration:.0f} req/s)")


def assert_clean_log(server):
    log = server.log()
    assert "database is locked" not in log
    assert "Traceback" not in log, log[-5000:]
    assert '"status":5' not in log


def movements(app, product_id):
    with app.app_context():
        return db.session.scalars(select(StockMovement).where(StockMovement.product_id == product_id)
                                  .order_by(StockMovement.id)).all()


def test_600_concurrent_adjustments_lose_nothing(app, server, bearer, database_url):
    with app.app_context():
        product = create_product(sku="HOT-1", name="Hot item", quantity=1000)
    headers = bearer("user")
    rng = random.Random(600)
    deltas = [rng.choice((1, -1)) for _ in range(600)]
    url = f"{server.base}/api/products/{product.id}/adjust-stock"
    results = fire([("POST", url, {"json": {"delta": d, "reason": "hammer"}, "headers": headers}) for d in deltas],
                   threads=THREADS)
    report("600 x ±1 adjust-stock", database_url, len(deltas))

    statuses = [status for status, _ in results]
    assert all(s is not None and s < 500 for s in statuses), [r for r in results if r[0] is None or r[0] >= 500][:5]
    acknowledged = [d for d, (status, _) in zip(deltas, results) if status == 200]
    assert len(acknowledged) == 600  # 1000 in stock: no -1 can be refused
    with app.app_context():
        assert db.session.get(Product, product.id).quantity == 1000 + sum(acknowledged)
        assert db.session.execute(stock_drift()).all() == []
    moves = movements(app, product.id)
    assert len(moves) == 1 + len(acknowledged)  # the creation's movement, then one per acknowledged adjustment
    assert sorted(m.delta for m in moves[1:]) == sorted(acknowledged)
    running = 0
    for move in moves:  # each movement saw exactly the stock the one before it left
        running += move.delta
        assert move.quantity_after == running
    assert sum(m.delta for m in moves) == 1000 + sum(acknowledged)
    assert_clean_log(server)


def test_50_concurrent_decrements_of_10_in_stock(app, server, bearer, database_url):
    with app.app_context():
        product = create_product(sku="LAST-10", name="Last ten", quantity=10)
    headers = bearer("user")
    url = f"{server.base}/api/products/{product.id}/adjust-stock"
    results = fire([("POST", url, {"json": {"delta": -1, "reason": "sale"}, "headers": headers})] * 50, threads=50)
    report("50 x -1 on 10 in stock", database_url, 50)

    statuses = sorted(status for status, _ in results)
    assert statuses.count(200) == 10 and statuses.count(409) == 40, statuses
    with app.app_context():
        assert db.session.get(Product, product.id).quantity == 0
    assert [m.quantity_after for m in movements(app, product.id)] == [10, *range(9, -1, -1)]
    assert_clean_log(server)


def test_10_concurrent_puts_with_the_same_if_match(app, server, bearer, database_url):
    with app.app_context():
        product = create_product(sku="EDIT-1", name="Edited", quantity=3)
    headers = {**bearer("user"), "If-Match": f'"{product.version}"'}
    url = f"{server.base}/api/products/{product.id}"
    results = fire([("PUT", url, {"json": {"name": f"Edit {i}", "quantity": 10 + i}, "headers": headers})
                    for i in range(10)], threads=10)
    report("10 x PUT with one If-Match", database_url, 10)

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [412] * 9, statuses
    winner = json.loads(next(body for status, body in results if status == 200))
    with app.app_context():
        stored = db.session.get(Product, product.id)
        assert (stored.name, stored.quantity, stored.version) == (winner["name"], winner["quantity"], product.version + 1)
    assert [m.delta for m in movements(app, product.id)] == [3, winner["quantity"] - 3]
    assert_clean_log(server)


def test_20_concurrent_creates_with_the_same_sku(app, server, bearer, database_url):
    headers = bearer("user")
    url = f"{server.base}/api/products"
    results = fire([("POST", url, {"json": {"sku": "SAME-SKU", "name": f"Twin {i}", "price": 1, "quantity": 2},
                                    "headers": headers}) for i in range(20)], threads=20)
    report("20 x create with one SKU", database_url, 20)

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 19, statuses
    conflicts = [json.loads(body) for status, body in results if status == 409]
    assert all(problem["errors"][0]["field"] == "sku" for problem in conflicts if problem.get("errors"))
    with app.app_context():
        assert len(db.session.scalars(select(Product).where(Product.sku == "SAME-SKU")).all()) == 1
        assert len(db.session.scalars(select(StockMovement)).all()) == 1
    assert_clean_log(server)


def test_10_concurrent_retries_with_one_idempotency_key(app, server, bearer, database_url):
    """The same keyed request sent 10 times at once: applied once, every answer is the first one."""
    from erp_admin.models import IdempotencyRecord

    with app.app_context():
        product = create_product(sku="ONCE-1", name="Once only", quantity=1)
    headers = {**bearer("user"), "Idempotency-Key": "one-key"}
    url = f"{server.base}/api/products/{product.id}/adjust-stock"
    results = fire([("POST", url, {"json": {"delta": 4, "reason": "delivery"}, "headers": headers})] * 10, threads=10)
    report("10 x one Idempotency-Key", database_url, 10)

    assert {status for status, _ in results} == {200}, results
    assert len({body for _, body in results}) == 1
    assert json.loads(results[0][1])["quantity"] == 5
    with app.app_context():
        assert db.session.get(Product, product.id).quantity == 5
        assert len(db.session.scalars(select(IdempotencyRecord)).all()) == 1
    assert [m.delta for m in movements(app, product.id)] == [1, 4]
    assert_clean_log(server)
