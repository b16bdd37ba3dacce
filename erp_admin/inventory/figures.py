"""Inventory figures: counts, the inventory value and low stock, for the dashboard and /api/stats alike."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import desc, func, select

from erp_admin.extensions import db
from erp_admin.models import Customer, Product, User

CENT = Decimal("0.01")


def exact(value) -> Decimal:
    """A database sum as an exact amount in cents (SQLite sums NUMERIC as floating point)."""
    return Decimal(str(value or 0)).quantize(CENT)


def inventory_value_expr():
    """Σ price × quantity, 0 for no products."""
    return func.coalesce(func.sum(Product.price * Product.quantity), 0)


# The tables the figures count, by the name the figures give them (the stats contract's order).
COUNTED = {"products": Product, "customers": Customer, "users": User}


def inventory_figures() -> dict:
    """Counts of COUNTED's tables, the inventory value (exact) and the low-stock count."""
    products, value, low = db.session.execute(
        select(func.count(Product.id), inventory_value_expr(), func.count(Product.id).filter(Product.low_stock))
    ).one()
    counts = {name: products if model is Product else db.session.scalar(select(func.count(model.id)))
              for name, model in COUNTED.items()}
    return {**counts, "inventory_value": exact(value), "low_stock": low}


def value_by_category() -> list[tuple[str | None, Decimal]]:
    """[(category, value)], largest value first."""
    rows = db.session.execute(
        select(Product.category, inventory_value_expr().label("value")).group_by(Product.category).order_by(desc("value"))
    ).all()
    return [(category, exact(value)) for category, value in rows]


def low_stock_products(limit: int) -> list[Product]:
    """The products furthest below their reorder level first."""
    return db.session.scalars(
        select(Product).where(Product.low_stock).order_by(Product.quantity - Product.reorder_level, Product.name)
        .limit(limit)
    ).all()
