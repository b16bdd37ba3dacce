"""Adjusting stock: one conditional UPDATE plus its ledger row, in the caller's transaction.

Stock may never go below zero. The check and the change are one SQL
statement, so concurrent adjustments from any number of workers lose nothing.
"""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import select, update

from erp_admin.audit.context import get_actor
from erp_admin.audit.log import record
from erp_admin.extensions import db
from erp_admin.models import Product, StockMovement
from erp_admin.models.base import utcnow
from erp_admin.schemas import ValidationFailed
from erp_admin.schemas.fields import INT32_MAX
from erp_admin.services.errors import Conflict, NotFound

DEFAULT_EDIT_REASON = "edit"


def adjust_stock(product_id: int, delta, reason, *, user=None) -> Product:
    """Add delta (≠ 0) to a product's quantity and record the movement; the caller commits.

    Raises ValidationFailed for a bad delta or reason, NotFound for an unknown
    product, Conflict when the stock would go below zero.
    """
    _validate(delta, reason)
    actor = get_actor()
    row = db.session.execute(
        update(Product)
        .where(
            Product.id == product_id,
            Product.quantity + delta >= 0,
            Product.quantity + delta <= INT32_MAX,
        )
        .values(quantity=Product.quantity + delta, version=Product.version + 1, updated_at=utcnow())
        .returning(Product.quantity, Product.sku, Product.name)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        current = db.session.scalar(select(Product.quantity).where(Product.id == product_id))
        if current is None:
            raise NotFound(f"No product with id {product_id}.")
        if current + delta < 0:
            raise Conflict(f"Stock would go below zero: {current} on hand, change {delta:+d}.", field="delta")
        raise Conflict(f"Stock would exceed the maximum of {INT32_MAX}.", field="delta")
    quantity_after, sku, name = row
    db.session.add(StockMovement(
        product_id=product_id, sku=sku, product_name=name, delta=delta, quantity_after=quantity_after,
        reason=reason.strip(), user_id=user.id if user else actor.user_id,
        username=user.username if user else actor.username,
    ))
    record("update", "product", product_id, {"quantity": [quantity_after - delta, quantity_after]})
    product = db.session.get(Product, product_id)
    db.session.refresh(product)
    return product


def _validate(delta, reason) -> None:
    errors = []
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0 or abs(delta) > INT32_MAX:
        errors.append({"field": "delta", "message": f"must be a non-zero integer between -{INT32_MAX} and {INT32_MAX}"})
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 200 or "\x00" in reason:
        errors.append({"field": "reason", "message": "must be a non-empty text of at most 200 characters"})
    if errors:
        raise ValidationFailed(errors)


@contextmanager
def movement_reason(reason: str):
    """Label the stock movements that ORM quantity changes in this block produce (e.g. "import")."""
    info = db.session.info
    previous = info.get("stock_reason")
    info["stock_reason"] = reason
    try:
        yield
    finally:
        if previous is None:
            info.pop("stock_reason", None)
        else:
            info["stock_reason"] = previous


def current_movement_reason() -> str:
    """The reason for a movement caused by an ORM quantity change ("edit" unless labelled)."""
    return db.session.info.get("stock_reason", DEFAULT_EDIT_REASON)
