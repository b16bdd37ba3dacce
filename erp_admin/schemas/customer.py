"""Customer: writable fields with their rules, and the JSON shape."""
from __future__ import annotations

from typing import Any

from erp_admin.models import Customer
from erp_admin.schemas.base import RecordSchema
from erp_admin.schemas.fields import Email, optional_text, text
from erp_admin.schemas.serialize import iso

CUSTOMER_FIELDS = ("id", "name", "email", "phone", "company", "address", "created_at", "updated_at", "version")


class CustomerSchema(RecordSchema):
    required_on_create = frozenset({"name", "email"})
    not_nullable = frozenset({"name", "email"})

    name: text(100, min_length=1)
    email: Email
    phone: optional_text(30) = None
    company: optional_text(100) = None
    address: optional_text(500, strip=False) = None


def serialize_customer(customer: Customer) -> dict[str, Any]:
    """Return the API representation of a customer."""
    return {
        "id": customer.id,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "company": customer.company,
        "address": customer.address,
        "created_at": iso(customer.created_at),
        "updated_at": iso(customer.updated_at),
        "version": customer.version,
    }
