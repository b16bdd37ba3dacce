"""Every ORM change of Product.quantity writes a movement, so the deltas always add up to the quantity."""
import pytest
from sqlalchemy import select, text

from erp_admin.extensions import db
from erp_admin.inventory.ledger import movements_query, stock_drift
from erp_admin.inventory.stock import adjust_stock, current_movement_reason, movement_reason
from erp_admin.models import Product, StockMovement
from erp_admin.schemas.movement import serialize_movement
from erp_admin.errors import PreconditionFailed
from erp_admin.services.records import create_record, delete_record, update_record
from tests.factories import create_product


def movements(product_id):
    return [(m.delta, m.quantity_after, m.reason)
            for m in db.session.scalars(select(StockMovement).where(StockMovement.product_id == product_id).order_by(StockMovement.id))]


def test_creation_with_stock_is_a_create_movement(app):
    with app.app_context():
        product = create_product(quantity=7)
        assert movements(product.id) == [(7, 7, "create")]


def test_creation_without_stock_has_no_movement(app):
    with app.app_context():
        product = create_product(quantity=0)
        assert movements(product.id) == []


def test_orm_update_records_the_delta_with_reason_edit(app):
    with app.app_context():
        product = db.session.get(Product, create_product(quantity=7).id)
        update_record(product, {"quantity": 3, "name": "Renamed"})
        db.session.commit()
        assert movements(product.id) == [(7, 7, "create"), (-4, 3, "edit")]
        stored = db.session.scalars(select(StockMovement).order_by(StockMovement.id.desc())).first()
        assert (stored.sku, stored.product_name) == (product.sku, "Renamed")


def test_labelled_updates_carry_the_label(app):
    with app.app_context():
        product = db.session.get(Product, create_product(quantity=1).id)
        with movement_reason("import"):
            assert current_movement_reason() == "import"
            update_record(product, {"quantity": 4})
        assert current_movement_reason() == "edit"
        db.session.commit()
        assert movements(product.id)[-1] == (3, 4, "import")


def test_label_is_taken_at_assignment_even_when_flushed_later(app):
    with app.app_context():
        product = db.session.get(Product, create_product(quantity=1).id)
        with movement_reason("import"):
            product.quantity = 6  # no flush inside the block
        db.session.commit()
        assert movements(product.id)[-1] == (5, 6, "import")


def test_imported_new_product_is_labelled(app):
    with app.app_context():
        with movement_reason("import"):
            product = create_record("products", {"name": "A", "price": 1, "quantity": 3})
        db.session.commit()
        assert movements(product.id) == [(3, 3, "import")]


def test_new_product_added_in_a_labelled_block_keeps_the_label_when_flushed_later(app):
    with app.app_context():
        with movement_reason("import"):
            db.session.add(Product(sku="LATE-1", name="Late", price=1, quantity=2))
        db.session.commit()
        product_id = db.session.scalar(select(Product.id).where(Product.sku == "LATE-1"))
        assert movements(product_id) == [(2, 2, "import")]


@pytest.mark.parametrize("change", [{"quantity": 7}, {"name": "Other"}, {}])
def test_no_movement_without_a_quantity_change(app, change):
    with app.app_context():
        product = db.session.get(Product, create_product(quantity=7).id)
        update_record(product, change)
        db.session.commit()
        assert movements(product.id) == [(7, 7, "create")]


def test_assignment_to_an_expired_product_still_knows_the_old_quantity(app):
    with app.app_context():
        product = db.session.get(Product, create_product(quantity=7).id)
        db.session.commit()  # expires every attribute, as in a shell session
        product.quantity = 2
        db.session.commit()
        assert movements(product.id) == [(7, 7, "create"), (-5, 2, "edit")]


def test_stale_orm_update_after_a_concurrent_adjustment_writes_nothing(app):
    with app.app_context():
        product_id = create_product(quantity=7).id
        seen = db.session.get(Product, product_id)
        db.session.close()  # end the read (SQLite holds a write lock) but keep the loaded copy
        with app.app_context():  # another worker adjusts meanwhile, in its own session
            adjust_stock(product_id, -2, "sold")
            db.session.commit()
        db.session.add(seen)
        # No If-Match: the version column still catches the stale quantity.
        with pytest.raises(PreconditionFailed):
            update_record(seen, {"quantity": 1})
        assert movements(product_id) == [(7, 7, "create"), (-2, 5, "sold")]
        assert db.session.get(Product, product_id).quantity == 5


def test_sum_of_deltas_equals_quantity_after_mixed_changes(app):
    with app.app_context():
        ids = [create_product(sku=f"S-{i}", quantity=i * 3).id for i in range(4)]
        for i, product_id in enumerate(ids):
            product = db.session.get(Product, product_id)
            update_record(product, {"quantity": product.quantity + 5})
            db.session.commit()
            adjust_stock(product_id, -i - 1, "sold")
            db.session.commit()
            with movement_reason("import"):
                update_record(db.session.get(Product, product_id), {"quantity": 2 * i})
            db.session.commit()
        for product_id in ids:
            assert sum(d for d, _, _ in movements(product_id)) == db.session.get(Product, product_id).quantity
        assert db.session.execute(stock_drift()).all() == []


def test_stock_drift_reports_a_raw_sql_change(app):
    with app.app_context():
        product = create_product(quantity=4)
        create_product(sku="FINE", quantity=2)
        db.session.execute(text("UPDATE products SET quantity = 9 WHERE id = :id"), {"id": product.id})
        db.session.commit()
        assert [tuple(r) for r in db.session.execute(stock_drift())] == [(product.id, product.sku, 9, 4)]


def test_deleting_a_product_keeps_its_movements(app):
    with app.app_context():
        product = create_product(sku="GONE-1", name="Gone", quantity=4)
        adjust_stock(product.id, 1, "delivery")
        db.session.commit()
        delete_record(db.session.get(Product, product.id))
        db.session.commit()
        kept = db.session.scalars(select(StockMovement).where(StockMovement.sku == "GONE-1").order_by(StockMovement.id)).all()
        assert [(m.product_id, m.product_name, m.delta) for m in kept] == [(None, "Gone", 4), (None, "Gone", 1)]
        assert db.session.execute(stock_drift()).all() == []


def test_movements_query_is_newest_first_and_serialises_to_the_contract(app, make_user):
    with app.app_context():
        product = create_product(quantity=2)
        other = create_product(sku="OTHER", quantity=9)
        adjust_stock(product.id, 3, "delivery")
        db.session.commit()
        rows = db.session.scalars(movements_query(product.id)).all()
        assert [m.delta for m in rows] == [3, 2]
        assert other.id not in {m.product_id for m in rows}
        shape = serialize_movement(rows[0])
        assert list(shape) == ["id", "delta", "quantity_after", "reason", "user", "created_at"]
        assert shape["delta"] == 3 and shape["quantity_after"] == 5 and shape["reason"] == "delivery"
        assert shape["user"] is None and shape["created_at"].endswith("Z")
        assert [m.delta for m in db.session.scalars(movements_query(product.id).limit(1).offset(1))] == [2]
