"""An import (the bulk writer) leaves the same audit entries and movements as the same change through services.records.

Each case makes one change twice, to two twin records: once through
create_record/update_record (the ORM and its session events) inside
movement_reason("import"), once through import_csv. The twins differ only in
their key (SKU / email), which the comparison replaces by a placeholder.
"""
import csv
import io

import pytest
from sqlalchemy import select

from erp_admin.audit.context import Actor, acting_as
from erp_admin.csvio import get_resource, import_csv
from erp_admin.csvio.cells import parse_cell
from erp_admin.extensions import db
from erp_admin.inventory.ledger import stock_drift
from erp_admin.inventory.stock import movement_reason
from erp_admin.models import AuditEntry, Customer, Product, StockMovement
from erp_admin.services.records import create_record, update_record

KEY = {"products": "sku", "customers": "email"}
MODEL = {"products": Product, "customers": Customer}
ENTITY = {"products": "product", "customers": "customer"}
# (resource, created record, successive updates): every value as a CSV cell would give it.
CASES = {
    "product with stock, then price, name and quantity": (
        "products", {"name": "Lamp", "description": "Desk lamp", "category": "Lighting", "price": "12.50",
                     "quantity": "3", "reorder_level": "2"},
        [{"price": "13", "name": "Desk lamp", "quantity": "7"}, {"quantity": "1"}, {"quantity": "0"}]),
    "product without stock, then stock arrives": (
        "products", {"name": "Cable", "price": "0.99"},
        [{"quantity": "40", "category": "Cables"}]),
    "product: same price written differently is no change": (
        "products", {"name": "Tape", "price": "2.50", "quantity": "5"},
        [{"price": "2.5", "quantity": "5"}, {"description": "Wide", "price": "2.50"}]),
    "customer": (
        "customers", {"name": "Ada", "phone": "+44 20 7946 0000", "company": "Analytical"},
        [{"company": "", "address": "1 Main St"}, {"name": "Ada Lovelace", "phone": "+44 20 7946 0001"}]),
}


def csv_file(resource, key_value, values):
    out = io.StringIO()
    writer = csv.DictWriter(out, [KEY[resource], *values])
    writer.writeheader()
    writer.writerow({KEY[resource]: key_value, **values})
    return out.getvalue().encode()


def orm_data(resource, values):
    # What the CSV cells mean (an empty cell is null, integers are numbers), given to the services as the API would.
    integers = get_resource(resource).integer_fields
    return {field: parse_cell(value, integer=field in integers) for field, value in values.items()}


def trail(resource, record_id, key_value):
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity == ENTITY[resource], AuditEntry.entity_id == record_id).order_by(AuditEntry.id)).all()
    movements = db.session.scalars(
        select(StockMovement).where(StockMovement.product_id == record_id).order_by(StockMovement.id)).all()

    def anonymous(value):
        return "<key>" if value == key_value else value

    return (
        [(e.action, e.channel, e.user_id, e.username, e.request_id, e.client_addr,
          {f: [anonymous(old), anonymous(new)] for f, (old, new) in e.changes.items()}) for e in entries],
        [(anonymous(m.sku), m.product_name, m.delta, m.quantity_after, m.reason, m.user_id, m.username)
         for m in movements],
    )


def stored(resource, record_id):
    db.session.expire_all()
    obj = db.session.get(MODEL[resource], record_id)
    return {c.key: getattr(obj, c.key) for c in MODEL[resource].__table__.columns
            if c.key not in ("id", KEY[resource], "created_at", "updated_at")}


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_import_writes_the_same_audit_entries_and_movements_as_the_record_services(app, make_user, case):
    resource, created, updates = CASES[case]
    clerk = make_user("clerk", role="manager")
    keys = {"products": ("ORM-1", "CSV-1"), "customers": ("orm@example.com", "csv@example.com")}[resource]
    actor = Actor(channel="api", user_id=clerk.id, username=clerk.username, request_id="req-9",
                  client_addr="203.0.113.7")
    with app.app_context(), acting_as(actor):
        with movement_reason("import"):
            obj = create_record(resource, {KEY[resource]: keys[0], **orm_data(resource, created)})
            db.session.commit()
            for values in updates:
                update_record(obj, orm_data(resource, values))
                db.session.commit()
        orm_id = obj.id

        import_csv(resource, csv_file(resource, keys[1], created))
        for values in updates:
            import_csv(resource, csv_file(resource, keys[1], values))
        model = MODEL[resource]
        csv_id = db.session.scalar(select(model.id).where(getattr(model, KEY[resource]) == keys[1]))

        orm_entries, orm_movements = trail(resource, orm_id, keys[0])
        csv_entries, csv_movements = trail(resource, csv_id, keys[1])
        assert csv_entries == orm_entries
        assert csv_movements == orm_movements
        assert stored(resource, csv_id) == stored(resource, orm_id)  # version included
        assert orm_entries[0][0] == "create" and len(orm_entries) > 1  # the case really exercises both
        assert db.session.execute(stock_drift()).all() == []


def test_products_without_sku_get_the_same_server_skus_either_way(app):
    with app.app_context(), acting_as(Actor(channel="cli")):
        with movement_reason("import"):
            orm = create_record("products", {"name": "Plain", "price": "1", "quantity": 2})
            db.session.commit()
        import_csv("products", b"name,price,quantity\nPlain,1,2\nOther,2,0\n")
        skus = db.session.scalars(select(Product.sku).order_by(Product.id)).all()
        assert skus == [orm.sku, f"P-{orm.id + 1:06d}", f"P-{orm.id + 2:06d}"]
        created = db.session.scalars(select(AuditEntry.changes).where(AuditEntry.action == "create")
                                     .order_by(AuditEntry.id)).all()
        assert created[1] == {**created[0], "sku": [None, skus[1]]}
        assert db.session.scalars(select(StockMovement.reason)).all() == ["import", "import"]
