"""Concurrent creates against a real `gunicorn -w 4` (SQLite file, or PostgreSQL in the PostgreSQL pass).

Clients that send no SKU (the API or a CSV import) each get a product with a
SKU of its own, however many create at once; retries of one keyed create,
sent at once, all get the first answer.
"""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from erp_admin.extensions import db
from erp_admin.models import IdempotencyRecord, Product
from tests.concurrency.conftest import fire
from tests.concurrency.test_http_stock import assert_clean_log, report
from tests.factories import create_product

GENERATED = re.compile(r"^P-\d{6,}$")


def test_24_concurrent_creates_without_sku_each_get_their_own(app, server, bearer, database_url):
    with app.app_context():
        # SKUs a client chose that look like the server's next ones: generation steps over them.
        taken = [create_product(sku=sku, name="Chosen by a client").sku for sku in ("P-000005", "P-000010")]
    headers = bearer("user")
    url = f"{server.base}/api/products"
    results = fire([("POST", url, {"json": {"name": f"Item {i}", "price": 1}, "headers": headers})
                    for i in range(24)], threads=24)
    report("24 x create without SKU", database_url, 24)

    assert [status for status, _ in results] == [201] * 24, results
    created = [json.loads(body) for _, body in results]
    skus = [p["sku"] for p in created]
    assert len(set(skus)) == 24 and len({p["id"] for p in created}) == 24
    assert all(GENERATED.match(sku) for sku in skus), skus
    assert not set(taken) & set(skus)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Product)) == 26
    assert_clean_log(server)


@pytest.mark.parametrize("body", [{"name": "Keyed", "price": 3},
                                  {"sku": "KEYED-1", "name": "Keyed", "price": 3, "quantity": 2}],
                         ids=["generated-sku", "own-sku"])
def test_10_concurrent_creates_with_one_idempotency_key(app, server, bearer, database_url, body):
    """The same keyed create sent 10 times at once: one product, every answer is the first one."""
    headers = {**bearer("user"), "Idempotency-Key": "create-once"}
    url = f"{server.base}/api/products"
    results = fire([("POST", url, {"json": body, "headers": headers})] * 10, threads=10)
    report("10 x create with one Idempotency-Key", database_url, 10)

    assert [status for status, _ in results] == [201] * 10, results
    assert len({text for _, text in results}) == 1, results
    with app.app_context():
        stored = db.session.scalars(select(Product)).all()
        assert [p.id for p in stored] == [json.loads(results[0][1])["id"]]
        assert db.session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1
    assert_clean_log(server)


def test_6_concurrent_csv_imports_without_sku_each_get_their_own(app, server, bearer, database_url):
    headers = {**bearer("user"), "Content-Type": "text/csv"}
    url = f"{server.base}/api/products/import"
    files = ["name,price\n" + "".join(f"File {f} row {r},1\n" for r in range(5)) for f in range(6)]
    results = fire([("POST", url, {"data": data.encode(), "headers": headers}) for data in files], threads=6)
    report("6 x CSV import of 5 rows without SKU", database_url, 6)

    assert [status for status, _ in results] == [200] * 6, results
    assert all(json.loads(body)["created"] == 5 for _, body in results)
    with app.app_context():
        skus = db.session.scalars(select(Product.sku)).all()
    assert len(skus) == len(set(skus)) == 30 and all(GENERATED.match(sku) for sku in skus), skus
    assert_clean_log(server)
