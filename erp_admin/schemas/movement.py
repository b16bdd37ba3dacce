"""The JSON shape of a stock movement (API, panel, CLI)."""
from __future__ import annotations

from typing import Any

from erp_admin.models import StockMovement
from erp_admin.schemas.serialize import iso

MOVEMENT_FIELDS = ("id", "delta", "quantity_after", "reason", "user", "created_at")


def serialize_movement(movement: StockMovement) -> dict[str, Any]:
    """Return the API representation of a stock movement (`user` is the username)."""
    return {
        "id": movement.id,
        "delta": movement.delta,
        "quantity_after": movement.quantity_after,
        "reason": movement.reason,
        "user": movement.username,
        "created_at": iso(movement.created_at),
    }
