"""Product: writable fields with their rules, and the JSON shape the API and exports use."""
from __future__ import annotations

from typing import Any

from erp_admin.models import Product
from erp_admin.schemas.base import RecordSchema
from erp_admin.schemas.fields import Count, Price, Sku, optional_text, text
from erp_admin.schemas.serialize import iso

# The contract's field order; CSV exports use it for their header.
PRODUCT_FIELDS = (
    "id", "sku", "name", "description", "category", "price", "quantity",
    "reorder_level", "low_stock", "created_at", "updated_at", "version",
)


class ProductSchema(RecordSchema):
    required_on_create = frozenset({"name", "price"})
    not_nullable = frozenset({"sku", "name", "price", "quantity", "reorder_level"})
    nullable_on_create = frozenset({"sku"})

    sku: Sku | None = None  # None on create: the server generates one
    name: text(100, min_length=1)
    description: optional_text(2000, strip=False) = None
    category: optional_text(50) = None
    price: Price
    quantity: Count = 0
    reorder_level: Count = 0


def serialize_product(product: Product) -> dict[str, Any]:
    """Return the API representation of a product."""
    return {
        "id": product.id,
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "category": product.category,
        "price": float(product.price),
        "quantity": product.quantity,
        "reorder_level": product.reorder_level,
        "low_stock": product.quantity <= product.reorder_level,
        "created_at": iso(product.created_at),
        "updated_at": iso(product.updated_at),
        "version": product.version,
    }
