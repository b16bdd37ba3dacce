"""PostgreSQL row counters (erp_admin.db.row_counts, migration 0006): always equal to count(*), read by unfiltered lists.

Each test runs on a PostgreSQL database of its own (both CI passes), since the
counters exist only there.
"""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, event, text

from erp_admin.db.engine import MIGRATIONS_DIR
from erp_admin.resources import declared

COUNTED_TABLES = [r.model.__tablename__ for r in declared() if r.counted]
from tests.api.conftest import bearer
from tests.conftest import issue_for, require
from tests.conftest import test_config as make_config
from tests.production.servers import PG_ADMIN_URL, private_postgres_database

pytestmark = pytest.mark.slow  # private PostgreSQL databases, concurrent writers


_APPS = []


@pytest.fixture
def pg_url():
    require(bool(PG_ADMIN_URL), "ERP_TEST_PG_ADMIN_URL is not set (a PostgreSQL admin connection, CI sets it)")
    with private_postgres_database() as url:
        try:
            yield url.render_as_string(hide_password=False)
        finally:  # close the apps' pooled connections before the database is dropped
            from erp_admin.extensions import db

            while _APPS:
                with _APPS.pop().app_context():
                    db.engine.dispose()


def _app(url, instance_path, revision="head"):
    from flask_migrate import upgrade

    from erp_admin import create_app

    app = create_app(make_config(url, instance_path))
    _APPS.append(app)
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision=revision)
    return app


def _counts(conn) -> dict[str, tuple[int, int]]:
    """{table: (counter, count(*))}."""
    return {table: (conn.execute(text("SELECT row_count FROM row_counts WHERE table_name = :t"), {"t": table}).scalar(),
                    conn.execute(text(f"SELECT count(*) FROM {table}")).scalar())
            for table in COUNTED_TABLES}


def _assert_exact(engine):
    with engine.connect() as conn:
        counts = _counts(conn)
    assert all(counter == real for counter, real in counts.values()), counts
    return {table: real for table, (_, real) in counts.items()}


def _insert_products(conn, n, prefix="P"):
    conn.execute(text("INSERT INTO products (sku, name, price, quantity, reorder_level, version, created_at, updated_at) "
                      "SELECT :p || g, 'Thing ' || g, 1.00, 0, 0, 1, now(), now() FROM generate_series(1, :n) AS g"),
                 {"p": prefix, "n": n})


def test_the_migration_starts_the_counters_at_the_rows_already_there(pg_url, instance_path):
    app = _app(pg_url, instance_path, revision="0005_csv_uploads")
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        _insert_products(conn, 7)
        conn.execute(text("INSERT INTO customers (name, email, version, created_at, updated_at) "
                          "VALUES ('Ada', 'ada@example.com', 1, now(), now())"))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=MIGRATIONS_DIR)
    assert _assert_exact(engine) == {"products": 7, "customers": 1}
    engine.dispose()


def test_the_counters_follow_every_kind_of_write(pg_url, instance_path):
    app = _app(pg_url, instance_path)
    engine = create_engine(pg_url)
    with app.app_context():  # the ORM path: the service layer, a batched flush
        from tests.factories import create_customer, create_product

        for i in range(3):
            create_product(sku=f"ORM-{i}")
        create_customer()
    assert _assert_exact(engine) == {"products": 3, "customers": 1}
    with engine.begin() as conn:
        _insert_products(conn, 500)  # one statement, many rows
    assert _assert_exact(engine)["products"] == 503
    with engine.connect() as conn:  # rolled back: the counter too
        with conn.begin() as tx:
            _insert_products(conn, 10, prefix="RB")
            conn.execute(text("DELETE FROM products WHERE sku LIKE 'P1%'"))
            tx.rollback()
    assert _assert_exact(engine)["products"] == 503
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM products WHERE sku LIKE 'P1%'"))
        conn.execute(text("DELETE FROM products WHERE sku = 'no such sku'"))  # no row: no change
    remaining = _assert_exact(engine)["products"]
    assert 0 < remaining < 503
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE products CASCADE"))
    assert _assert_exact(engine)["products"] == 0
    engine.dispose()


def test_concurrent_writers_leave_the_counters_exact(pg_url, instance_path):
    _app(pg_url, instance_path)
    engine = create_engine(pg_url, pool_size=8, max_overflow=0)
    errors = []

    def writer(n):
        try:
            for i in range(10):
                with engine.begin() as conn:
                    _insert_products(conn, 3, prefix=f"W{n}-{i}-")
                    if i % 3 == 0:
                        conn.execute(text("DELETE FROM products WHERE sku = :s"), {"s": f"W{n}-{i}-1"})
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert _assert_exact(engine)["products"] == 8 * (10 * 3 - 4)
    engine.dispose()


def test_an_unfiltered_list_reads_its_total_from_the_counter(pg_url, instance_path):
    app = _app(pg_url, instance_path)
    with app.app_context():
        from erp_admin.extensions import db
        from tests.factories import create_product, create_user

        for i in range(3):
            create_product(sku=f"LIST-{i}", name="Lamp" if i else "Desk")
        headers = bearer(issue_for(app, create_user("boss", role="admin"))["access_token"])
        engine = db.engine
    statements = []
    event.listen(engine, "before_cursor_execute", lambda conn, cursor, sql, *args: statements.append(sql))
    client = app.test_client()

    response = client.get("/api/products?limit=2", headers=headers)
    assert response.headers["X-Total-Count"] == "3" and len(response.get_json()) == 2
    assert not [s for s in statements if "count(" in s.lower()]  # no count(*): the counter was read
    assert [s for s in statements if "row_counts" in s]

    statements.clear()  # a filter or a search still counts the matching rows
    assert client.get("/api/products?q=Lamp", headers=headers).headers["X-Total-Count"] == "2"
    assert client.get("/api/products?low_stock=true", headers=headers).status_code == 200
    assert len([s for s in statements if "count(" in s.lower()]) == 2
    assert not [s for s in statements if "row_counts" in s]


def test_verify_counts_reports_drift_and_fixes_it(pg_url, instance_path):
    app = _app(pg_url, instance_path)
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        _insert_products(conn, 5)
        conn.execute(text("ALTER TABLE products DISABLE TRIGGER USER"))  # as a restore with triggers off would
        _insert_products(conn, 3, prefix="X")
        conn.execute(text("ALTER TABLE products ENABLE TRIGGER USER"))
    runner = app.test_cli_runner()

    drifted = runner.invoke(args=["erp", "verify-counts"])
    assert drifted.exit_code == 1 and "DRIFT products: counter 5, rows 8" in drifted.output
    fixed = runner.invoke(args=["erp", "verify-counts", "--fix"])
    assert fixed.exit_code == 0 and "FIXED products: counter 5, rows 8" in fixed.output
    assert _assert_exact(engine)["products"] == 8
    ok = runner.invoke(args=["erp", "verify-counts"])
    assert ok.exit_code == 0 and "OK" in ok.output
    engine.dispose()


def test_verify_counts_on_sqlite_says_there_is_nothing_to_check(app):
    result = app.test_cli_runner().invoke(args=["erp", "verify-counts"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        assert result.exit_code == 0 and "No row counters on sqlite" in result.output
    else:  # the PostgreSQL pass: the test database's counters are exact
        assert result.exit_code == 0 and "OK" in result.output
