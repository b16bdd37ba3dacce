"""What CSV needs to know about each importable resource, derived from the shared schemas and models."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from erp_admin.models import Customer, Product
from erp_admin.schemas import (
    CUSTOMER_FIELDS, PRODUCT_FIELDS, READ_ONLY_FIELDS, CustomerSchema, ProductSchema, RecordSchema,
    serialize_customer, serialize_product,
)


@dataclass(frozen=True)
class CsvResource:
    name: str  # "products", as in the API paths and services.records
    model: type
    schema: type[RecordSchema]
    fields: tuple[str, ...]  # the API shape, in contract order: the export header
    key: str  # the column that says which stored record a row updates
    serialize: Callable[[Any], dict[str, Any]]
    # Values the JSON shape rounds (price as a float) taken exactly from the record instead.
    exact: dict[str, Callable[[Any], Any]]

    @property
    def writable(self) -> tuple[str, ...]:
        return tuple(f for f in self.fields if f not in READ_ONLY_FIELDS)

    @property
    def integer_fields(self) -> frozenset[str]:
        return frozenset(n for n, f in self.schema.model_fields.items() if f.annotation is int)

    @property
    def label(self) -> str:
        return self.name[:-1]

    def row(self, obj) -> dict[str, Any]:
        """Return the API shape of obj (a record, or a row of its columns) with exact values, for cells."""
        values = self.serialize(obj)
        for field, getter in self.exact.items():
            values[field] = getter(obj)
        return values


RESOURCES: dict[str, CsvResource] = {
    "products": CsvResource(
        name="products", model=Product, schema=ProductSchema, fields=PRODUCT_FIELDS, key="sku",
        serialize=serialize_product, exact={"price": lambda p: Decimal(p.price)},
    ),
    "customers": CsvResource(
        name="customers", model=Customer, schema=CustomerSchema, fields=CUSTOMER_FIELDS, key="email",
        serialize=serialize_customer, exact={},
    ),
}


def get_resource(name: str) -> CsvResource:
    """Return the CSV description of resource name ("products" or "customers")."""
    try:
        return RESOURCES[name]
    except KeyError:
        raise ValueError(f"CSV import/export is not available for {name!r}") from None
