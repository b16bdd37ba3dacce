"""run_in_transaction: bounded retries of whole units on serialization failures, deadlocks and busy SQLite."""
import sqlite3
import threading

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from erp_admin import create_app
from erp_admin.extensions import db
from erp_admin.inventory.stock import adjust_stock
from erp_admin.models import Product, StockMovement
from erp_admin.errors import Conflict, ServiceUnavailable
from erp_admin.services.transactions import is_retryable, run_in_transaction
from tests.conftest import test_config as make_config
from tests.factories import create_product


def sqlite_locked():
    return OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))


def pg_error(cls):
    return OperationalError("UPDATE", {}, cls("could not serialize access"))


@pytest.mark.parametrize("exc, retryable", [
    (sqlite_locked(), True),
    (pg_error(psycopg.errors.SerializationFailure), True),
    (pg_error(psycopg.errors.DeadlockDetected), True),
    (pg_error(psycopg.errors.UniqueViolation), False),
    (OperationalError("COMMIT", {}, sqlite3.OperationalError("disk I/O error")), False),
    (IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed")), False),
    (Conflict("no"), False),
    (ValueError("x"), False),
])
def test_what_is_retried(exc, retryable):
    assert is_retryable(exc) is retryable


def test_a_retried_unit_writes_once(app):
    with app.app_context():
        product_id = create_product(quantity=5).id
        calls = []

        def work():
            calls.append(1)
            product = adjust_stock(product_id, 2, "delivery")
            if len(calls) < 3:
                db.session.flush()  # the writes reach the database, then the server aborts the transaction
                raise sqlite_locked()
            return product

        assert run_in_transaction(work).quantity == 7
        assert len(calls) == 3
        assert db.session.scalars(select(StockMovement.delta).order_by(StockMovement.id)).all() == [5, 2]


def test_other_errors_are_not_retried_and_roll_back(app):
    with app.app_context():
        product_id = create_product(quantity=1).id
        calls = []

        def work():
            calls.append(1)
            adjust_stock(product_id, 1, "ok")
            return adjust_stock(product_id, -5, "too many")

        with pytest.raises(Conflict):
            run_in_transaction(work)
        assert len(calls) == 1
        assert db.session.get(Product, product_id).quantity == 1
        assert db.session.scalar(select(func.count()).select_from(StockMovement)) == 1


def test_pending_changes_outside_the_unit_are_refused(app):
    with app.app_context():
        db.session.add(Product(sku="LOOSE", name="Loose", price=1))
        with pytest.raises(RuntimeError):
            run_in_transaction(lambda: None)
        db.session.rollback()


def test_giving_up_is_a_503_not_a_500(app):
    app.config["DB_RETRY_ATTEMPTS"] = 3
    app.config["DB_RETRY_BACKOFF_MS"] = 1
    with app.app_context():
        calls = []

        def work():
            calls.append(1)
            raise pg_error(psycopg.errors.SerializationFailure)

        with pytest.raises(ServiceUnavailable) as info:
            run_in_transaction(work)
        assert len(calls) == 3
        assert info.value.status == 503 and info.value.retry_after >= 1


def test_a_real_retryable_failure_is_retried(database_url, instance_path):
    """PostgreSQL: a serialization failure under REPEATABLE READ. SQLite: "database is locked" past the busy timeout."""
    postgres = database_url.startswith("postgresql")
    overrides = ({"SQLALCHEMY_ENGINE_OPTIONS": {"isolation_level": "REPEATABLE READ"}} if postgres
                 else {"SQLITE_BUSY_TIMEOUT_MS": 10})
    app = create_app(make_config(database_url, instance_path, **overrides))
    try:
        with app.app_context():
            product_id = create_product(quantity=10).id
            db.session.remove()
            attempts, failures = [], []

            def concurrent_adjustment():
                with app.app_context():
                    adjust_stock(product_id, 5, "delivery")
                    db.session.commit()

            blocker = None
            if not postgres:  # another writer holds the SQLite write lock during the first attempt
                blocker = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
                blocker.execute("BEGIN IMMEDIATE")

            def work():
                attempts.append(1)
                if postgres:
                    db.session.scalar(select(Product.quantity).where(Product.id == product_id))  # takes the snapshot
                    if len(attempts) == 1:
                        worker = threading.Thread(target=concurrent_adjustment)
                        worker.start()
                        worker.join()
                elif len(attempts) == 2:
                    blocker.rollback()
                try:
                    return adjust_stock(product_id, -1, "sold")
                except Exception as exc:
                    failures.append(is_retryable(exc))
                    raise

            expected = 14 if postgres else 9
            assert run_in_transaction(work).quantity == expected
            assert (len(attempts), failures) == (2, [True])
            deltas = db.session.scalars(select(StockMovement.delta).order_by(StockMovement.id)).all()
            assert deltas == ([10, 5, -1] if postgres else [10, -1])
            if blocker is not None:
                blocker.close()
    finally:
        from tests.conftest import empty_database
        empty_database(app)
