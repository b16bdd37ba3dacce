"""services.bulk: many records per statement, with movements and audit entries, all or nothing."""
from contextlib import contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, event, func, select, text

from erp_admin.audit.context import Actor, acting_as
from erp_admin.extensions import db
from erp_admin.inventory.ledger import stock_drift
from erp_admin.models import AuditEntry, Customer, Product, StockMovement
from erp_admin.schemas import ValidationFailed
from erp_admin.services.bulk import KeyTaken, StaleRecord, bulk_create, bulk_update
from erp_admin.errors import Conflict
from erp_admin.services.transactions import run_in_transaction
from tests.factories import create_customer, create_product


def counts():
    found = tuple(db.session.scalar(select(func.count()).select_from(model))
                  for model in (Product, Customer, StockMovement, AuditEntry))
    db.session.commit()  # SQLite: let other writers in
    return found


def quantities():
    db.session.expire_all()
    return dict(db.session.execute(select(Product.sku, Product.quantity)).all())


@contextmanager
def other_writer(app):
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        yield engine
    finally:
        engine.dispose()


def test_created_and_updated_in_chunks_with_one_movement_and_entry_each(app):
    actor = Actor(channel="cli", username="batch")
    with app.app_context(), acting_as(actor):
        rows = [{"sku": f"B-{i}", "name": f"Item {i}", "price": "1.50", "quantity": i % 3} for i in range(7)]
        ids = run_in_transaction(lambda: bulk_create("products", rows, reason="import", chunk_size=3))
        assert [db.session.get(Product, i).sku for i in ids] == [r["sku"] for r in rows]
        changes = [(ids[i], 1, {"quantity": 5}) for i in range(7)]
        done = []
        changed = run_in_transaction(lambda: bulk_update("products", changes, chunk_size=3, progress=done.append))
        assert (changed, done) == (7, [3, 6, 7])
        assert set(quantities().values()) == {5}
        assert {p.version for p in db.session.scalars(select(Product))} == {2}
        movements = db.session.scalars(select(StockMovement).order_by(StockMovement.id)).all()
        assert [(m.delta, m.reason) for m in movements[:4]] == [(1, "import"), (2, "import"), (1, "import"),
                                                                (2, "import")]
        assert [(m.delta, m.quantity_after, m.reason, m.username) for m in movements[4:]] == [
            (5 - i % 3, 5, "edit", "batch") for i in range(7)]
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["create"] * 7 + ["update"] * 7
        assert db.session.execute(stock_drift()).all() == []


def test_an_update_of_a_record_changed_since_its_version_was_read_is_a_409_and_writes_nothing(app):
    with app.app_context():
        first = create_product(sku="A-1", quantity=1)
        second = create_product(sku="A-2", quantity=1)
        before = counts()
        with other_writer(app) as engine, engine.begin() as conn:
            conn.execute(text("UPDATE products SET name = 'Theirs', version = version + 1 WHERE sku = 'A-2'"))
        updates = [(first.id, first.version, {"quantity": 8}), (second.id, second.version, {"quantity": 9})]
        with pytest.raises(StaleRecord) as caught:
            # One record per chunk: the first chunk is written before the second one fails.
            run_in_transaction(lambda: bulk_update("products", updates, chunk_size=1))
        assert (caught.value.status, caught.value.index) == (409, 1)
        assert quantities() == {"A-1": 1, "A-2": 1}
        assert counts() == before
        assert db.session.get(Product, first.id).version == first.version


def test_a_change_between_the_read_and_the_update_is_caught_by_the_version_check(app):
    """The UPDATE itself requires the version it read: a writer slipping in between still gives 409."""
    with app.app_context():
        product = create_product(sku="A-1", quantity=1)
        before = counts()
        engine = db.engine
        bumped = []

        def bump_version_first(conn, cursor, statement, parameters, context, executemany):
            # Runs on the writer's own connection just before its UPDATE: as if another writer had committed.
            if statement.startswith("UPDATE products") and not bumped:
                bumped.append(True)
                cursor.execute(f"UPDATE products SET version = version + 1 WHERE id = {product.id}")

        event.listen(engine, "before_cursor_execute", bump_version_first)
        try:
            with pytest.raises(StaleRecord) as caught:
                run_in_transaction(lambda: bulk_update("products", [(product.id, product.version, {"quantity": 4})]))
        finally:
            event.remove(engine, "before_cursor_execute", bump_version_first)
        assert bumped == [True]
        assert (caught.value.status, caught.value.index) == (409, None)
        assert quantities() == {"A-1": 1} and counts() == before


def test_a_deleted_record_is_a_409(app):
    with app.app_context():
        customer = create_customer(email="ada@example.com")
        db.session.commit()
        with other_writer(app) as engine, engine.begin() as conn:
            conn.execute(text("DELETE FROM customers"))
        with pytest.raises(StaleRecord, match="changed or deleted"):
            run_in_transaction(lambda: bulk_update("customers", [(customer.id, None, {"name": "Bob"})]))


def test_a_new_row_whose_key_is_stored_is_a_409_naming_it_and_nothing_is_written(app):
    with app.app_context():
        create_product(sku="TAKEN")
        before = counts()
        rows = [{"sku": "N-1", "name": "New", "price": "1", "quantity": 3},
                {"sku": "TAKEN", "name": "Clash", "price": "1", "quantity": 2}]
        with pytest.raises(KeyTaken) as caught:
            run_in_transaction(lambda: bulk_create("products", rows, chunk_size=1))
        assert (caught.value.status, caught.value.index, caught.value.value, caught.value.field) == (
            409, 1, "TAKEN", "sku")
        assert counts() == before


def test_a_unique_violation_the_pre_check_cannot_see_is_a_409(app):
    with app.app_context():
        rows = [{"name": "Ada", "email": "ada@example.com"}, {"name": "Ada again", "email": "ADA@example.com"}]
        with pytest.raises(Conflict) as caught:
            run_in_transaction(lambda: bulk_create("customers", rows))
        assert (caught.value.status, caught.value.field) == (409, "email")
        assert counts() == (0, 0, 0, 0)


def test_rows_are_validated_with_the_shared_rules_unless_the_caller_did(app):
    with app.app_context():
        with pytest.raises(ValidationFailed):
            run_in_transaction(lambda: bulk_create("products", [{"name": "Free", "price": "-1"}]))
        product = create_product(sku="A-1", quantity=1)
        with pytest.raises(ValidationFailed):
            run_in_transaction(lambda: bulk_update("products", [(product.id, None, {"quantity": -5})]))
        assert quantities() == {"A-1": 1}
        with pytest.raises(ValueError, match="users"):
            bulk_create("users", [{"username": "x"}])


def test_no_change_writes_nothing_and_keeps_the_version(app):
    with app.app_context():
        product = create_product(sku="A-1", price=Decimal("2.50"), quantity=1)
        before = counts()
        changed = run_in_transaction(lambda: bulk_update("products", [(product.id, product.version,
                                                                       {"price": "2.5", "quantity": 1})]))
        assert changed == 0 and counts() == before
        assert db.session.get(Product, product.id).version == product.version


def test_records_loaded_in_the_session_show_the_update(app):
    with app.app_context():
        product = create_product(sku="A-1", name="Old", quantity=1)

        def work():
            loaded = db.session.get(Product, product.id)
            assert loaded.name == "Old"
            bulk_update("products", [(product.id, product.version, {"name": "New"})])
            return loaded.name, loaded.version

        assert run_in_transaction(work) == ("New", product.version + 1)
