"""Core rows as namedtuple records (erp_admin.schemas.rows): same attributes, same values, one class per shape."""
from sqlalchemy import select

from erp_admin.extensions import db
from erp_admin.models import Product
from erp_admin.schemas.product import serialize_product
from erp_admin.schemas.rows import iter_records, record, record_type, records
from tests.factories import create_product


def test_records_read_like_rows_and_serialise_alike(app):
    with app.app_context():
        for i in range(3):
            create_product(sku=f"ROW-{i}", name=f"Row {i}", quantity=i)
        statement = select(Product.__table__).order_by(Product.id)
        rows = db.session.execute(statement).all()
        as_records = records(db.session.execute(statement))
        streamed = list(iter_records(db.session.execute(statement)))
        assert [tuple(r) for r in as_records] == [tuple(r) for r in rows] == [tuple(r) for r in streamed]
        assert [serialize_product(r) for r in as_records] == [serialize_product(r) for r in rows]
        assert as_records[0].sku == "ROW-0" and as_records[2].quantity == 2
        assert type(as_records[0]) is type(streamed[0]) is record_type(tuple(rows[0]._fields))
        assert record(db.session.execute(statement.where(Product.id == -1)).first()) is None
        assert record(rows[1]) == tuple(rows[1])
