"""`flask erp seed --products N`: synthetic products with a complete ledger and audit trail."""
from sqlalchemy import func, select

from erp_admin.extensions import db
from erp_admin.models import AuditEntry, Product, StockMovement


def test_seed_products_adds_varied_products_with_ledger(app, runner):
    result = runner.invoke(args=["erp", "seed", "--products", "250"])
    assert result.exit_code == 0, result.output
    assert "Added 250 synthetic products" in result.output
    with app.app_context():
        synthetic = select(Product).where(Product.sku.like("SYN-%"))
        products = db.session.scalars(synthetic).all()
        assert len(products) == 250
        assert len({p.category for p in products}) > 5
        assert len({p.name for p in products}) > 200
        assert any(p.quantity == 0 for p in products) and any(p.quantity > 0 for p in products)
        created = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "create", AuditEntry.entity == "product", AuditEntry.channel == "cli"))
        assert created == 250 + 4  # plus the demo products
        stocked = sum(1 for p in products if p.quantity)
        movements = db.session.scalar(select(func.count()).select_from(StockMovement).where(
            StockMovement.sku.like("SYN-%")))
        assert movements == stocked
    verify = runner.invoke(args=["erp", "verify-stock"])
    assert verify.exit_code == 0 and "OK" in verify.output


def test_seed_products_twice_adds_new_skus(app, runner):
    assert runner.invoke(args=["erp", "seed", "--products", "20"]).exit_code == 0
    assert runner.invoke(args=["erp", "seed", "--products", "20"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Product).where(Product.sku.like("SYN-%"))) == 40
