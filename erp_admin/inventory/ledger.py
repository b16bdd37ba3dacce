"""The stock ledger: a movement for every ORM change of Product.quantity, and reading the ledger.

adjust_stock (inventory.stock) and the bulk writer (services.bulk: CSV
imports, seeding, import-legacy) write their own movements with
inventory.stock.movement_values. Every other change of quantity goes through
the ORM (API PUT, panel edit, shell) and is recorded here by session events, registered once per process for every
session: a product created with stock gets a movement (reason "create", or the
movement_reason() label, e.g. "import"; none for zero), an update gets
delta = new - old. The update's version check guarantees `old` is what was
stored, so for every product the deltas add up to its quantity.
"""
from __future__ import annotations

from sqlalchemy import Select, event, func, inspect, select
from sqlalchemy.orm import Session, object_session

from erp_admin.inventory.stock import CREATE_REASON, current_movement_reason, labelled_reason, movement_values
from erp_admin.models import Product, StockMovement

_REASON_KEY = "erp_stock_reason"


@event.listens_for(Product.quantity, "set", active_history=True, retval=True)
def _label_quantity_change(target, value, oldvalue, initiator):
    # The label in force when quantity is assigned wins over the one at flush time.
    reason = labelled_reason(object_session(target))
    if reason is not None:
        inspect(target).info[_REASON_KEY] = reason
    return value


@event.listens_for(Session, "transient_to_pending")
def _label_new_product(session: Session, obj) -> None:
    # A new product takes the label in force when it is added to the session.
    reason = labelled_reason(session)
    if isinstance(obj, Product) and reason is not None:
        inspect(obj).info[_REASON_KEY] = reason



def _movement(session: Session, product: Product, delta: int, reason: str) -> None:
    session.add(StockMovement(**movement_values(product.id, product.sku, product.name, delta, product.quantity,
                                                reason)))


@event.listens_for(Session, "after_flush")
def _record_quantity_changes(session: Session, flush_context) -> None:
    for obj in session.new:
        if isinstance(obj, Product) and obj.quantity:
            info = inspect(obj).info
            reason = info.pop(_REASON_KEY, None) or labelled_reason(session) or CREATE_REASON
            _movement(session, obj, obj.quantity, reason)
    for obj in session.dirty:
        if not isinstance(obj, Product):
            continue
        state = inspect(obj)
        history = state.attrs.quantity.history
        reason = state.info.pop(_REASON_KEY, None) or current_movement_reason(session)
        if not history.has_changes() or obj in session.deleted:
            continue
        old = history.deleted[0] if history.deleted else 0
        delta = (obj.quantity or 0) - (old or 0)
        if delta:
            _movement(session, obj, delta, reason)


def movements_query(product_id: int) -> Select:
    """SELECT a product's movements, newest first (index product_id, id); page it with limit/offset."""
    return (
        select(StockMovement)
        .where(StockMovement.product_id == product_id)
        .order_by(StockMovement.id.desc())
    )


def stock_drift() -> Select:
    """SELECT (id, sku, quantity, movements_sum) of every product whose movements don't add up to its quantity.

    One grouped pass over stock_movements joined to products.
    """
    sums = (
        select(StockMovement.product_id, func.sum(StockMovement.delta).label("total"))
        .where(StockMovement.product_id.is_not(None))
        .group_by(StockMovement.product_id)
        .subquery()
    )
    total = func.coalesce(sums.c.total, 0)
    return (
        select(Product.id, Product.sku, Product.quantity, total.label("movements_sum"))
        .outerjoin(sums, sums.c.product_id == Product.id)
        .where(Product.quantity != total)
        .order_by(Product.id)
    )
