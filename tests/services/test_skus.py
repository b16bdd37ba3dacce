"""services.skus: a product created without a SKU gets P-<its own id>, stepping over SKUs clients chose."""
from sqlalchemy import select

from erp_admin.extensions import db
from erp_admin.models import Product
from erp_admin.services.bulk import bulk_create
from tests.factories import create_product


def test_a_number_whose_sku_a_client_chose_is_skipped(app):
    with app.app_context():
        first = create_product()
        chosen = create_product(sku=f"P-{first.id + 2:06d}", name="Chosen by a client")
        generated = create_product()
        assert generated.sku == f"P-{generated.id:06d}" and generated.id == first.id + 3
        assert chosen.sku != generated.sku


def test_bulk_creates_skip_a_chosen_sku_stored_or_in_the_same_batch(app):
    with app.app_context():
        first = create_product()
        create_product(sku=f"P-{first.id + 2:06d}", name="Stored")
        ids = bulk_create("products", [{"name": "A", "price": 1},
                                       {"sku": f"P-{first.id + 4:06d}", "name": "In the batch", "price": 1},
                                       {"name": "B", "price": 1}])
        db.session.commit()
        skus = dict(db.session.execute(select(Product.id, Product.sku).where(Product.id.in_(ids))).all())
        assert [skus[i] for i in ids] == [f"P-{ids[0]:06d}", f"P-{first.id + 4:06d}", f"P-{ids[2]:06d}"]
        assert len(set(db.session.scalars(select(Product.sku)))) == 5
