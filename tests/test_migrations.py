"""Migrations and models never drift, the schema builds from nothing, and upgrades keep every row."""
import os
from datetime import datetime
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, insert, inspect, text

from erp_admin.db.engine import MIGRATIONS_DIR, include_in_migrations, pending_migrations, upgrade_database
from erp_admin.extensions import db
from erp_admin.db.search import is_search_object
from tests import conftest


def test_models_and_migrations_do_not_drift(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": True, "render_as_batch": True, "include_object": include_in_migrations,
        })
        diffs = compare_metadata(context, db.metadata)
    assert diffs == []


def test_the_test_database_is_at_the_newest_migration(app):
    with app.app_context():
        assert pending_migrations() is False


def test_upgrade_builds_every_table_from_nothing(tmp_path):
    from erp_admin import create_app

    url = f"sqlite:///{tmp_path / 'new.db'}"
    app = create_app(conftest.test_config(url, str(tmp_path)))
    assert upgrade_database(app) is True
    assert upgrade_database(app) is False  # already at the head: nothing runs
    engine = create_engine(url)
    try:
        tables = {t for t in inspect(engine).get_table_names() if not is_search_object(t, "table")}
    finally:
        engine.dispose()
    assert tables == {t.name for t in db.metadata.sorted_tables} | {"alembic_version"}


# Tables whose ids the outside world sees (API, panel, audit entity_id, generated SKUs): never reused.
EXPOSED_ID_TABLES = {"users", "products", "customers", "stock_movements", "audit_log"}
WHEN = datetime(2026, 1, 2, 3, 4, 5)


@pytest.fixture
def fresh_url(tmp_path):
    """An empty database of the suite's kind: a SQLite file, or a private PostgreSQL database."""
    if not (os.environ.get("ERP_TEST_DATABASE_URL") or "").startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    from tests.production.servers import PG_ADMIN_URL, private_postgres_database

    conftest.require(bool(PG_ADMIN_URL), "ERP_TEST_PG_ADMIN_URL is not set (a PostgreSQL admin connection)")
    with private_postgres_database() as url:
        yield url.render_as_string(hide_password=False)


def _seed_at_0007(conn) -> None:
    """Rows in every table, with gaps and references, as a database at 0007 holds them."""
    meta = MetaData()
    meta.reflect(conn)
    t = meta.tables
    stamps = {"created_at": WHEN, "updated_at": WHEN}
    conn.execute(insert(t["users"]), [
        {"id": i, "username": name, "email": f"{name}@example.com", "role": role, "is_active": True,
         "password_hash": "x", "token_version": 0, "version": 1, **stamps}
        for i, name, role in ((1, "boss", "admin"), (2, "clerk", "user"), (5, "newest", "manager"))])
    conn.execute(insert(t["products"]), [
        {"id": i, "sku": f"P-{i:06d}", "name": f"Widget {i}", "price": Decimal("1.50"), "quantity": q,
         "reorder_level": 0, "version": 2, **stamps} for i, q in ((1, 3), (2, 0), (7, 4))])
    conn.execute(insert(t["customers"]), [
        {"id": i, "name": f"C{i}", "email": f"c{i}@example.com", "version": 1, **stamps} for i in (1, 3)])
    conn.execute(insert(t["stock_movements"]), [
        {"id": 1, "product_id": 1, "sku": "P-000001", "product_name": "Widget 1", "delta": 3, "quantity_after": 3,
         "reason": "initial", "user_id": 2, "username": "clerk", "created_at": WHEN},
        {"id": 2, "product_id": 7, "sku": "P-000007", "product_name": "Widget 7", "delta": 4, "quantity_after": 4,
         "reason": "initial", "user_id": 1, "username": "boss", "created_at": WHEN},
        {"id": 4, "product_id": None, "sku": "P-000009", "product_name": "Gone", "delta": 1, "quantity_after": 1,
         "reason": "initial", "user_id": None, "username": "ghost", "created_at": WHEN},
    ])
    # The audit log remembers ids handed out and since deleted: product 9, customer 12, user 6 (and actor 6).
    conn.execute(insert(t["audit_log"]), [
        {"id": i, "at": WHEN, "user_id": actor, "username": "boss", "channel": "api", "action": action,
         "entity": entity, "entity_id": entity_id, "changes": {"name": [None, "x"]}}
        for i, actor, action, entity, entity_id in (
            (1, 1, "create", "product", 7), (2, 1, "create", "product", 9), (3, 1, "delete", "product", 9),
            (4, 1, "delete", "customer", 12), (5, 6, "delete", "user", 6), (8, 2, "login", "user", 2))])
    conn.execute(insert(t["panel_sessions"]), [{"id": "a" * 64, "user_id": 2, "created_at": WHEN}])
    conn.execute(insert(t["csv_uploads"]), [{"token": "b" * 32, "user_id": 2, "resource": "products",
                                             "filename": "p.csv", "size": 3, "data": b"a,b", "created_at": WHEN}])
    conn.execute(insert(t["import_progress"]), [{"key": "2:abc", "phase": "write", "done": 1, "total": 2,
                                                 "updated_at": WHEN}])
    conn.execute(insert(t["idempotency_keys"]), [{"id": 3, "scope": "2 POST /api/products k", "request_hash": "h",
                                                  "status": 201, "body": "{}", "headers": "{}", "created_at": WHEN}])
    conn.execute(insert(t["revoked_tokens"]), [{"jti": "j1", "expires_at": WHEN}])
    conn.execute(insert(t["throttle_counters"]), [{"key": "ip:1", "window_start": WHEN, "count": 2}])
    if conn.dialect.name == "postgresql":  # where each sequence stands after handing those ids out
        for name, last in (("users", 6), ("products", 9), ("customers", 12), ("stock_movements", 4),
                           ("audit_log", 8), ("idempotency_keys", 3)):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), {last})"))


def _snapshot(conn) -> dict[str, list[dict]]:
    """Every row of every application table, as the database returns it."""
    names = [n for n in inspect(conn).get_table_names() if not is_search_object(n, "table") and n != "alembic_version"]
    return {n: [dict(r._mapping) for r in conn.execute(text(f"SELECT * FROM {n} ORDER BY 1"))] for n in names}


def _schema_objects(conn) -> set[tuple[str, str]]:
    if conn.dialect.name != "sqlite":
        return set()
    return {(r.type, r.name) for r in conn.execute(text("SELECT type, name FROM sqlite_master WHERE type <> 'table'"))}


def test_the_identity_migration_keeps_every_row_and_never_hands_an_id_out_again(fresh_url, tmp_path):
    from flask_migrate import upgrade

    from erp_admin import create_app

    app = create_app(conftest.test_config(fresh_url, str(tmp_path)))
    with app.app_context():
        try:
            upgrade(directory=MIGRATIONS_DIR, revision="0007_search_document")
            with db.engine.begin() as conn:
                _seed_at_0007(conn)
            with db.engine.connect() as conn:
                before, objects_before = _snapshot(conn), _schema_objects(conn)
            upgrade(directory=MIGRATIONS_DIR)
            with db.engine.connect() as conn:
                after, objects_after = _snapshot(conn), _schema_objects(conn)
                if conn.dialect.name == "sqlite":
                    assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1  # back on after the migration
                    assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
                    ddl = dict(conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all())
                    assert {n for n in EXPOSED_ID_TABLES if "AUTOINCREMENT" in ddl[n]} == EXPOSED_ID_TABLES
                    # The search index still finds the rows it indexed (its triggers came back with the table).
                    assert conn.execute(text("SELECT rowid FROM products_search WHERE products_search MATCH '000007'")
                                        ).scalars().all() == [7]
            assert objects_after == objects_before  # every index and trigger is back
            keys = [row.pop("identity_key") for row in after["users"]]
            assert all(isinstance(k, str) and len(k) == 32 for k in keys) and len(set(keys)) == len(keys)
            assert after == before  # every row, id and reference as it was

            # Delete the newest row of each table; the next insert gets an id never handed out before.
            newest = {"users": 6, "products": 9, "customers": 12, "stock_movements": 4, "audit_log": 8}
            new_rows = {
                "users": {"username": "fresh", "email": "fresh@example.com", "role": "admin", "is_active": True,
                          "password_hash": "x", "token_version": 0, "version": 1, "identity_key": "c" * 32,
                          "created_at": WHEN, "updated_at": WHEN},
                "products": {"sku": "NEW-1", "name": "New", "price": Decimal("1"), "quantity": 0, "reorder_level": 0,
                             "version": 1, "created_at": WHEN, "updated_at": WHEN},
                "customers": {"name": "New", "email": "new@example.com", "version": 1, "created_at": WHEN,
                              "updated_at": WHEN},
                "stock_movements": {"sku": "NEW-1", "product_name": "New", "delta": 1, "quantity_after": 1, "reason": "",
                                    "created_at": WHEN},
                "audit_log": {"at": WHEN, "channel": "cli", "action": "create", "entity": "product", "changes": {}},
            }
            tables = db.metadata.tables
            with db.engine.begin() as conn:
                for name in ("stock_movements", "audit_log", "products", "customers", "users"):
                    conn.execute(text(f"DELETE FROM {name} WHERE id = (SELECT max(id) FROM {name})"))
                for name, row in new_rows.items():
                    new_id = conn.execute(insert(tables[name]).values(row).returning(tables[name].c.id)).scalar_one()
                    assert new_id == newest[name] + 1, name
        finally:
            db.engine.dispose()  # no pooled connection outlives a private database


def test_every_table_with_an_exposed_id_declares_autoincrement():
    declared = {t.name for t in db.metadata.sorted_tables if t.dialect_options["sqlite"]["autoincrement"]}
    assert declared == EXPOSED_ID_TABLES


def test_sqlite_databases_never_reuse_an_id(app):
    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            return  # PostgreSQL's serial sequences never hand a value out twice
        ddl = dict(conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all())
    assert {n for n in EXPOSED_ID_TABLES if "AUTOINCREMENT" in ddl[n]} == EXPOSED_ID_TABLES
