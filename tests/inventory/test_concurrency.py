"""Several OS processes adjust one product at once: nothing lost, nothing doubled, no errors.

Runs on the suite's database: the SQLite file, or PostgreSQL when
ERP_TEST_DATABASE_URL points there. (The HTTP/gunicorn versions live with the API.)
"""
import multiprocessing
import random

import pytest
from sqlalchemy import select

from erp_admin.extensions import db
from erp_admin.inventory.ledger import stock_drift
from erp_admin.models import Product, StockMovement
from tests.factories import create_product
from tests.inventory.stock_worker import hammer

pytestmark = pytest.mark.slow  # processes and threads hammering one row

# Fresh processes (never a fork of this one, with its open connections), started
# from a fork server that has imported the app once, so each starts in well under a second.
SPAWN = multiprocessing.get_context("forkserver")
SPAWN.set_forkserver_preload(["tests.inventory.stock_worker", "tests.conftest", "erp_admin.admin", "erp_admin.api",
                              "erp_admin.cli", "erp_admin.audit.trail", "erp_admin.inventory.ledger"])


def run_processes(database_url, instance_path, product_id, per_process, overrides=None):
    """per_process: for each process, a list of delta lists (one per thread). Return every result."""
    barrier = SPAWN.Barrier(len(per_process))
    queue = SPAWN.Queue()
    processes = [SPAWN.Process(target=hammer, args=(database_url, instance_path, product_id, chunks, barrier, queue, overrides))
                 for chunks in per_process]
    for process in processes:
        process.start()
    results = []
    try:
        for _ in processes:
            results.extend(queue.get(timeout=120))
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    return results


def check_ledger(app, product_id, start, results):
    errors = [r for r in results if r[0].startswith("error")]
    assert errors == []
    acknowledged = [delta for outcome, delta, _ in results if outcome == "ok"]
    with app.app_context():
        product = db.session.get(Product, product_id)
        assert product.quantity == start + sum(acknowledged)
        moves = db.session.scalars(select(StockMovement).where(StockMovement.product_id == product_id)
                                   .order_by(StockMovement.id)).all()
        assert len(moves) == 1 + len(acknowledged)
        assert sorted(m.delta for m in moves[1:]) == sorted(acknowledged)
        running = 0
        for move in moves:  # each movement saw exactly the stock the one before it left
            running += move.delta
            assert move.quantity_after == running
        assert running == product.quantity
        assert product.version == 1 + len(acknowledged)
        assert db.session.execute(stock_drift()).all() == []
    return acknowledged


def test_four_processes_of_plus_minus_one(app, database_url, instance_path):
    start = 10
    with app.app_context():
        product_id = create_product(sku="HOT-1", quantity=start).id
    rng = random.Random(1234)
    per_process = [[[rng.choice((1, -1)) for _ in range(100)]] for _ in range(4)]
    results = run_processes(database_url, instance_path, product_id, per_process)
    assert len(results) == 400
    check_ledger(app, product_id, start, results)
    # Writers queued (BEGIN IMMEDIATE / row locks): no "database is locked", no retry was ever needed.
    assert {attempts for _, _, attempts in results} == {1}


def test_fifty_concurrent_decrements_on_ten_in_stock(app, database_url, instance_path):
    with app.app_context():
        product_id = create_product(sku="HOT-2", quantity=10).id
    # 5 processes x 10 threads = 50 simultaneous adjustments, at most 4 connections per process.
    per_process = [[[-1] for _ in range(10)] for _ in range(5)]
    results = run_processes(database_url, instance_path, product_id, per_process,
                            overrides={"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 4, "max_overflow": 0}})
    outcomes = [outcome for outcome, _, _ in results]
    assert (outcomes.count("ok"), outcomes.count("conflict"), len(outcomes)) == (10, 40, 50)
    check_ledger(app, product_id, 10, results)
    with app.app_context():
        assert db.session.get(Product, product_id).quantity == 0


def test_contention_failures_are_absorbed_by_retries(app, database_url, instance_path):
    """PostgreSQL under REPEATABLE READ (serialization failures), SQLite with a 1 ms busy timeout ("database is locked")."""
    if database_url.startswith("postgresql"):
        provoke = {"SQLALCHEMY_ENGINE_OPTIONS": {"isolation_level": "REPEATABLE READ", "pool_size": 2, "max_overflow": 0}}
    else:
        provoke = {"SQLITE_BUSY_TIMEOUT_MS": 1}
    with app.app_context():
        product_id = create_product(sku="HOT-3", quantity=100).id
    rng = random.Random(99)
    per_process = [[[rng.choice((1, -1)) for _ in range(25)] for _ in range(2)] for _ in range(4)]
    results = run_processes(database_url, instance_path, product_id, per_process,
                            overrides={**provoke, "DB_RETRY_ATTEMPTS": 100, "DB_RETRY_BACKOFF_MS": 5})
    assert len(results) == 200
    check_ledger(app, product_id, 100, results)
    assert max(attempts for _, _, attempts in results) > 1  # the failures did happen, and were retried
