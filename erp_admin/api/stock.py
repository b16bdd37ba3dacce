"""The stock ledger over the API: POST /api/products/<id>/adjust-stock and GET /api/products/<id>/movements.

The rule (one conditional UPDATE plus its movement and audit entry) lives in
inventory.stock.adjust_stock; this module only speaks HTTP. An adjustment is
one run_in_transaction unit together with its Idempotency-Key record, so a
serialization failure or a busy SQLite file is retried as a whole and a crash
can never keep the change without the key (or the reverse).
"""
from __future__ import annotations

from erp_admin.api.body import json_object
from erp_admin.api.idempotency import IDEMPOTENCY_PARAM, run_idempotent
from erp_admin.api.listing import page_params, query_response
from erp_admin.api.records import api_of
from erp_admin.api.registry import Body, Reply, component, route
from erp_admin.api.resources import ID_PARAM, get_record, record_response
from erp_admin.auth.access import requires
from erp_admin.inventory.ledger import movements_query
from erp_admin.inventory.stock import REASON_MAX, adjust_stock
from erp_admin.resources import resource
from erp_admin.schemas import ValidationFailed
from erp_admin.schemas.fields import INT32_MAX
from erp_admin.schemas.movement import serialize_movement

FIELDS = ("delta", "reason")
ADJUST_SCHEMA = {
    "type": "object",
    "properties": {
        "delta": {"type": "integer", "minimum": -INT32_MAX, "maximum": INT32_MAX, "not": {"const": 0},
                  "description": "Change of stock on hand: positive adds, negative removes (never below 0)."},
        # At most REASON_MAX characters once surrounding whitespace is trimmed, not blank, no NUL.
        "reason": {"type": "string", "pattern": f"^\\s*(?=\\S)[^\\x00]{{1,{REASON_MAX}}}\\s*$",
                   "description": "Why the stock changes, kept on the movement (e.g. 'delivery')."},
    },
    "required": list(FIELDS),
    "additionalProperties": False,
}
_NULLABLE_TEXT = {"anyOf": [{"type": "string"}, {"type": "null"}]}
MOVEMENT = component("Movement", {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "delta": {"type": "integer"},
        "quantity_after": {"type": "integer", "minimum": 0},
        "reason": {"type": "string"},
        "user": {**_NULLABLE_TEXT, "description": "Username of who made the change (null: CLI/shell without --user)."},
        "created_at": {"type": "string", "format": "date-time"},
    },
    "required": ["id", "delta", "quantity_after", "reason", "user", "created_at"],
    "additionalProperties": False,
})


def _adjustment() -> tuple[int, str]:
    """Read {"delta", "reason"} from the body (422 for unknown or missing fields; the rule checks the values)."""
    data = json_object()
    errors = [{"field": str(k), "message": "unknown field"} for k in data if k not in FIELDS]
    errors += [{"field": k, "message": "is required"} for k in FIELDS if k not in data]
    if errors:
        raise ValidationFailed(errors)
    delta = data["delta"]
    if isinstance(delta, float) and delta.is_integer() and abs(delta) <= INT32_MAX:
        delta = int(delta)  # JSON has one number type: 2.0 is the integer 2
    return delta, data["reason"]


PRODUCTS = api_of(resource("products"))


@route("/products/<int:id>/adjust-stock", ["POST"], summary="Adjust a product's stock (with a ledger movement)",
       tags=["products", "stock"], params=(ID_PARAM, IDEMPOTENCY_PARAM), body=Body(ADJUST_SCHEMA),
       responses={200: Reply("Product", headers=("ETag",))}, errors=(400, 404, 409, 413, 415, 422),
       commit=False)
@requires("products", "adjust_stock")
def adjust_product_stock(id: int):
    """Atomic under any concurrency: 409 (nothing written) when the stock would go below zero."""
    delta, reason = _adjustment()

    def work():
        product = adjust_stock(id, delta, reason)
        return record_response(PRODUCTS, product)

    return run_idempotent(work)


@route("/products/<int:id>/movements", ["GET"], summary="A product's stock movements, newest first",
       tags=["products", "stock"], params=(ID_PARAM, *page_params()),
       responses={200: Reply({"type": "array", "items": MOVEMENT}, headers=("X-Total-Count", "Link"))},
       errors=(400, 404))
@requires("movements", "read")
def product_movements(id: int):
    """Every change of quantity, from any path; the deltas add up to the product's quantity."""
    product = get_record(PRODUCTS, id)
    return query_response(movements_query(product.id), serialize_movement)
