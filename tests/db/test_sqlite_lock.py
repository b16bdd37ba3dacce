"""SQLite's writer queue (erp_admin.db.sqlite_lock): who holds the lock file, when it is freed, who waits for it.

These tests run on their own SQLite file whatever database the suite runs on:
the lock file is SQLite's, PostgreSQL has no use for it.
"""
from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import select, text

from erp_admin import create_app
from erp_admin.db.engine import READ_ONLY_OPTION, upgrade_database
from erp_admin.extensions import db
from erp_admin.inventory.stock import adjust_stock
from erp_admin.models import Product, User
from erp_admin.errors import ServiceUnavailable
from erp_admin.services.transactions import run_in_transaction
from erp_admin.db.sqlite_lock import LOCK_SUFFIX, LockingConnection, WriteLock, WriteLockTimeout, lock_path_for
from tests.conftest import bearer, issue_for, test_config
from tests.factories import create_product, create_user

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# A child process that holds a write transaction through the app's own engine until told to commit.
HOLDER = """
import sys
from erp_admin import create_app
from erp_admin.extensions import db
from sqlalchemy import text
app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sys.argv[1], "INSTANCE_PATH": sys.argv[2],
                  "AUTO_MIGRATE": False, "SECRET_KEY": "x" * 40, "JWT_SECRET_KEY": "y" * 40})
with app.app_context(), db.engine.begin() as conn:
    conn.execute(text("UPDATE products SET quantity = quantity + 1"))
    print("holding", flush=True)
    sys.stdin.readline()
print("committed", flush=True)
"""


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("lockdb")
    url = f"sqlite:///{folder / 'lock.db'}"
    upgrade_database(create_app(test_config(url, str(folder))))
    return url


@pytest.fixture
def lock_app(sqlite_url, tmp_path):
    app = create_app(test_config(sqlite_url, str(tmp_path), SQLITE_BUSY_TIMEOUT_MS=5000))
    yield app
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


def lock_file(url: str) -> str:
    return url.removeprefix("sqlite:///") + LOCK_SUFFIX


def lock_is_free(url: str) -> bool:
    """True when another open file description can take the lock at once (then it gives it back)."""
    fd = os.open(lock_file(url), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def session_lock() -> WriteLock:
    return db.session.connection().connection.dbapi_connection.write_lock


def test_the_engine_connects_with_the_locking_factory(lock_app, sqlite_url):
    with lock_app.app_context():
        dbapi = db.session.connection().connection.dbapi_connection
        assert isinstance(dbapi, LockingConnection) and dbapi.write_lock.path == lock_file(sqlite_url)
        db.session.rollback()


def test_a_write_transaction_holds_the_lock_until_commit(lock_app, sqlite_url):
    with lock_app.app_context():
        assert lock_is_free(sqlite_url)
        product_id = create_product(quantity=1).id
        adjust_stock(product_id, 2, "delivery")
        assert session_lock().held and not lock_is_free(sqlite_url)
        db.session.commit()
        assert lock_is_free(sqlite_url)
        assert db.session.get(Product, product_id).quantity == 3


def test_the_lock_is_freed_by_a_rollback(lock_app, sqlite_url):
    with lock_app.app_context():
        product_id = create_product(quantity=1).id
        adjust_stock(product_id, 2, "delivery")
        assert not lock_is_free(sqlite_url)
        db.session.rollback()
        assert lock_is_free(sqlite_url)
        assert db.session.get(Product, product_id).quantity == 1


def test_the_lock_is_freed_when_a_unit_of_work_raises(lock_app, sqlite_url):
    with lock_app.app_context():
        product_id = create_product(quantity=1).id
        held = []

        def work():
            adjust_stock(product_id, 2, "delivery")
            held.append(not lock_is_free(sqlite_url))
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            run_in_transaction(work)
        assert held == [True] and lock_is_free(sqlite_url)


def test_the_lock_is_freed_when_the_connection_is_invalidated_or_closed(lock_app, sqlite_url):
    with lock_app.app_context():
        conn = db.engine.connect()
        conn.begin()
        assert not lock_is_free(sqlite_url)
        conn.invalidate()
        assert lock_is_free(sqlite_url)
        conn.close()
        raw = db.engine.raw_connection()
        raw.driver_connection.write_lock.acquire()
        raw.close()  # back to the pool: its reset (a rollback) frees it
        assert lock_is_free(sqlite_url)
    direct = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), factory=LockingConnection)
    direct.write_lock.acquire()
    direct.close()
    assert lock_is_free(sqlite_url)


def test_read_transactions_never_take_the_lock(lock_app, sqlite_url):
    with lock_app.app_context():
        create_product()
        db.session.rollback()  # outside a request every transaction writes: reading the snapshot began one
        with db.engine.connect() as conn:
            conn = conn.execution_options(**{READ_ONLY_OPTION: True})
            with conn.begin():
                conn.execute(select(Product.id)).all()
                assert not conn.connection.dbapi_connection.write_lock.held and lock_is_free(sqlite_url)
    with lock_app.test_request_context("/api/products", method="GET"):
        db.session.scalars(select(Product)).all()
        assert not session_lock().held and lock_is_free(sqlite_url)
        db.session.rollback()


@pytest.mark.slow  # writers in several processes
def test_writers_in_different_processes_take_turns(lock_app, sqlite_url, tmp_path):
    """A write transaction of another process blocks ours on the lock file (not on SQLite) until it commits."""
    with lock_app.app_context():
        product_id = create_product(quantity=0).id
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, sqlite_url, str(tmp_path)], cwd=PROJECT_ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    try:
        assert holder.stdout.readline().strip() == "holding"
        assert not lock_is_free(sqlite_url)  # the other process holds it
        with lock_app.app_context():
            done = []

            def write():
                with lock_app.app_context():
                    run_in_transaction(lambda: adjust_stock(product_id, 5, "delivery"))
                    done.append(db.session.get(Product, product_id).quantity)

            writer = threading.Thread(target=write)
            writer.start()
            holder.stdin.write("commit\n")
            holder.stdin.flush()
            assert holder.stdout.readline().strip() == "committed"
            writer.join(timeout=30)
            assert done == [6]  # ours ran after theirs, and saw it
    finally:
        holder.kill()
        holder.communicate()  # reaps it and closes the pipes


def test_a_writer_that_waits_too_long_gets_the_busy_503(sqlite_url, tmp_path):
    app = create_app(test_config(sqlite_url, str(tmp_path), SQLITE_BUSY_TIMEOUT_MS=50,
                                 DB_RETRY_ATTEMPTS=2, DB_RETRY_BACKOFF_MS=1))
    other = WriteLock(lock_file(sqlite_url), timeout=0)
    try:
        with app.app_context():
            admin = create_user("lockadmin", role="admin")
            product_id = create_product(quantity=1).id
        token = issue_for(app, admin)["access_token"]
        other.acquire()  # only the lock file: SQLite itself is free, so this 503 is the queue's
        response = app.test_client().post(f"/api/products/{product_id}/adjust-stock",
                                          json={"delta": 1, "reason": "x"},
                                          headers=bearer(token))
        assert response.status_code == 503 and "busy" in response.get_json()["detail"]
        other.release()
        # The waiter that gave up keeps nothing: its helper thread hands the freed lock back.
        after = WriteLock(lock_file(sqlite_url), timeout=30)
        after.acquire()
        after.close()
        with app.app_context():
            assert db.session.get(Product, product_id).quantity == 1
    finally:
        other.close()
        with app.app_context():
            db.session.remove()
            with db.engine.begin() as conn:
                for table in ("audit_log", "stock_movements", "products", "users"):
                    conn.execute(text(f"DELETE FROM {table}"))
            db.engine.dispose()


@pytest.mark.slow  # the CLI in another process
def test_the_cli_waits_for_the_same_lock(lock_app, sqlite_url, tmp_path):
    with lock_app.app_context():
        create_product(sku="CLI-1", quantity=1)
    other = WriteLock(lock_file(sqlite_url), timeout=0)
    other.acquire()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ERP_", "FLASK_"))}
        env.update({"DATABASE_URL": sqlite_url, "ERP_INSTANCE_PATH": str(tmp_path), "ERP_SQLITE_BUSY_TIMEOUT_MS": "50",
                    "ERP_DB_RETRY_ATTEMPTS": "2", "ERP_AUTO_MIGRATE": "false"})
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "erp", "adjust-stock", "CLI-1", "2",
                                 "--reason", "recount"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
        assert result.returncode != 0 and "busy" in result.stderr
    finally:
        other.close()
    with lock_app.app_context():
        assert db.session.scalar(select(Product.quantity).where(Product.sku == "CLI-1")) == 1


def test_a_waiter_that_gave_up_does_not_keep_the_lock(tmp_path):
    path = str(tmp_path / "x.db") + LOCK_SUFFIX
    first, second, third = (WriteLock(path, timeout=5) for _ in range(3))
    try:
        first.acquire()
        with pytest.raises(WriteLockTimeout):
            second.acquire(timeout=0.01)
        first.release()
        third.acquire()  # second's helper took the freed lock for nobody: it must have handed it back
        assert third.held and not second.held
        third.release()
        second.acquire()  # and second can still wait again
        assert second.held
    finally:
        for lock in (first, second, third):
            lock.close()


def test_a_waiter_gets_the_lock_when_it_is_freed(tmp_path):
    path = str(tmp_path / "x.db") + LOCK_SUFFIX
    first, second = WriteLock(path, timeout=30), WriteLock(path, timeout=30)
    try:
        first.acquire()
        got = threading.Event()
        waiter = threading.Thread(target=lambda: (second.acquire(), got.set()))
        waiter.start()
        assert not got.wait(0.05)
        first.release()
        waiter.join(timeout=30)
        assert got.is_set() and second.held
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("database, uri, expected", [
    ("/srv/erp.db", False, "/srv/erp.db-writelock"),
    (":memory:", False, None),
    ("", False, None),
    ("file:/srv/erp.db?mode=rw", True, "/srv/erp.db-writelock"),
    ("file:mem?mode=memory&cache=shared", True, None),
])
def test_the_lock_file_lies_beside_the_database(database, uri, expected):
    assert lock_path_for(database, uri) == expected


def test_the_lock_can_be_switched_off(sqlite_url, tmp_path):
    app = create_app(test_config(sqlite_url, str(tmp_path), SQLITE_WRITE_LOCK=False))
    with app.app_context():
        assert not isinstance(db.session.connection().connection.dbapi_connection, LockingConnection)
        db.session.rollback()
        db.engine.dispose()


def test_a_write_request_checks_its_token_outside_the_write_lock(sqlite_url, tmp_path):
    """The token checks read in a plain BEGIN: a bad token is refused at once while another writer holds the lock."""
    from sqlalchemy import event

    app = create_app(test_config(sqlite_url, str(tmp_path), SQLITE_BUSY_TIMEOUT_MS=50,
                                 DB_RETRY_ATTEMPTS=1, DB_RETRY_BACKOFF_MS=1))
    other = WriteLock(lock_file(sqlite_url), timeout=0)
    try:
        with app.app_context():
            admin, gone = create_user("lockadmin2", role="admin"), create_user("gone", role="admin")
            product_id = create_product(quantity=1).id
        good, bad = issue_for(app, admin)["access_token"], issue_for(app, gone)["access_token"]
        with app.app_context():
            db.session.get(User, gone.id).is_active = False
            db.session.commit()
            engine = db.engine
        client = app.test_client()
        url = f"/api/products/{product_id}/adjust-stock"
        statements = []
        event.listen(engine, "before_cursor_execute", lambda c, cur, sql, *a: statements.append(sql.split()[0:2]))
        ok = client.post(url, json={"delta": 1, "reason": "x"}, headers=bearer(good))
        assert ok.status_code == 200
        # BEGIN, the token's reads, then BEGIN IMMEDIATE for the change.
        begin_write = statements.index(["BEGIN", "IMMEDIATE"])
        assert statements[0] == ["BEGIN"] and begin_write >= 2
        assert all(sql[0] == "SELECT" for sql in statements[1:begin_write])
        other.acquire()
        refused = client.post(url, json={"delta": 1, "reason": "x"}, headers=bearer(bad))
        assert refused.status_code == 401  # not a 503 after waiting for the lock
    finally:
        other.close()
        with app.app_context():
            db.session.remove()
            with db.engine.begin() as conn:
                for table in ("audit_log", "stock_movements", "products", "users"):
                    conn.execute(text(f"DELETE FROM {table}"))
            db.engine.dispose()
