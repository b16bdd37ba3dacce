"""Adjusting stock: one conditional UPDATE plus its ledger row, in the caller's transaction.

Stock may never go below zero. The check and the change are one SQL
statement, so concurrent adjustments from any number of workers lose nothing.
Run it inside services.transactions.run_in_transaction, which commits and
retries the whole unit when PostgreSQL or SQLite asks for it.
"""
from __future__ import annotations

from contextlib import contextmanager

from functools import cache

from sqlalchemy import BigInteger, Integer, bindparam, cast, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from erp_admin.audit.context import Actor, get_actor, with_user
from erp_admin.audit.log import insert_record
from erp_admin.extensions import db
from erp_admin.models import Product, StockMovement
from erp_admin.models.base import utcnow
from erp_admin.schemas import ValidationFailed
from erp_admin.schemas.fields import INT32_MAX
from erp_admin.schemas.rows import record
from erp_admin.errors import Conflict, NotFound

DEFAULT_EDIT_REASON = "edit"
CREATE_REASON = "create"
REASON_MAX = 200
ID_MAX = INT32_MAX  # ids are 32-bit integers: PostgreSQL refuses a larger value in the query
# Execution option telling the write guard (audit.trail) that an ORM bulk
# statement records its own audit entry and movement (services.bulk).
SELF_RECORDED = {"erp_self_recorded": True}
# A zero-row UPDATE is re-checked with a SELECT; on PostgreSQL another writer
# may commit in between, which makes the SELECT disagree. Try again, boundedly.
_RACE_TRIES = 3


def adjust_stock(product_id: int, delta, reason, *, user=None):
    """Add delta (≠ 0) to a product's quantity and record the movement; the caller commits.

    Returns the product as it now is (a read-only record with the product's
    columns as attributes). Raises ValidationFailed for a bad delta or reason,
    NotFound for an unknown product, Conflict when the stock would go below zero
    (nothing is written). user (a User) overrides the current actor as the one
    named in the ledger and the log.

    The UPDATE, the movement and the audit entry are three Core statements on
    the session's connection, in its transaction: no ORM objects to flush (an
    adjustment is the hottest write, and a flush of two new objects was most of
    its CPU). A copy of the product the session may hold is expired, so it is
    read again.
    """
    _validate(delta, reason)
    if isinstance(product_id, bool) or not isinstance(product_id, int) or not 0 < product_id <= ID_MAX:
        raise NotFound(f"No product with id {product_id}.")
    connection = db.session.connection()
    for _ in range(_RACE_TRIES):
        product = record(connection.execute(
            _adjust_statement(), {"product_id": product_id, "delta": delta, "now": utcnow()}).first())
        if product is not None:
            break
        current = connection.execute(select(Product.quantity).where(Product.id == product_id)).scalar()
        if current is None:
            raise NotFound(f"No product with id {product_id}.")
        if current + delta < 0:
            raise Conflict(f"Stock would go below zero: {current} on hand, change {delta:+d}.", field="delta")
        if current + delta > INT32_MAX:
            raise Conflict(f"Stock would exceed the maximum of {INT32_MAX}.", field="delta")
    else:
        raise Conflict("The stock kept changing concurrently; nothing was written. Try again.", field="delta")

    loaded = db.session.identity_map.get(identity_key(Product, product_id))
    if loaded is not None:
        db.session.expire(loaded)
    quantity_after = product.quantity
    actor = with_user(get_actor(), user) if user is not None else None
    connection.execute(insert(StockMovement.__table__), movement_values(
        product_id, product.sku, product.name, delta, quantity_after, reason.strip(), actor))
    insert_record("update", "product", product_id, {"quantity": [quantity_after - delta, quantity_after]}, user=user)
    return product


@cache
def _adjust_statement():
    # Built once, with bound parameters: SQLAlchemy then computes its cache key once, too.
    table = Product.__table__
    delta = bindparam("delta", type_=Integer)
    # bigint arithmetic: quantity + delta must not overflow int4 before the bound is checked.
    new_quantity = cast(table.c.quantity, BigInteger) + delta
    return (
        update(table)
        .where(table.c.id == bindparam("product_id", type_=Integer), new_quantity >= 0, new_quantity <= INT32_MAX)
        .values(quantity=table.c.quantity + delta, version=table.c.version + 1,
                updated_at=bindparam("now", type_=table.c.updated_at.type))
        .returning(*table.c)
    )


def movement_values(product_id: int, sku: str, name: str, delta: int, quantity_after: int, reason: str,
                    actor: Actor | None = None) -> dict:
    """Return the columns of a stock movement by actor (default: the current one).

    The one place a movement's values are made: adjust_stock above, the session
    events of inventory.ledger and the bulk writer (services.bulk) all use it.
    """
    actor = actor or get_actor()
    return {"product_id": product_id, "sku": sku, "product_name": name, "delta": delta,
            "quantity_after": quantity_after, "reason": reason, "user_id": actor.user_id,
            "username": actor.username}


def _validate(delta, reason) -> None:
    errors = []
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0 or abs(delta) > INT32_MAX:
        errors.append({"field": "delta", "message": f"must be a non-zero integer between -{INT32_MAX} and {INT32_MAX}"})
    if (not isinstance(reason, str) or not reason.strip() or len(reason.strip()) > REASON_MAX
            or "\x00" in reason):
        errors.append({"field": "reason", "message": f"must be a non-empty text of at most {REASON_MAX} characters"})
    if errors:
        raise ValidationFailed(errors)


@contextmanager
def movement_reason(reason: str):
    """Label the stock movements that ORM quantity changes in this block produce (e.g. "import").

    The label is taken when quantity is assigned, so it holds even if the
    flush happens after the block (at commit).
    """
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


def current_movement_reason(session: Session | None = None) -> str:
    """The reason for a movement caused by an ORM quantity change ("edit" unless labelled)."""
    info = (session if session is not None else db.session).info
    return info.get("stock_reason", DEFAULT_EDIT_REASON)


def labelled_reason(session: Session | None) -> str | None:
    """The reason set by an enclosing movement_reason() block, or None."""
    if session is None:
        return None
    return session.info.get("stock_reason")
