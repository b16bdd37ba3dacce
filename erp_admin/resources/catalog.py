"""The built-in resources: products, customers and users, and the read-only stock movements and audit log."""
from __future__ import annotations

from decimal import Decimal

from erp_admin.models import ROLES, AuditEntry, Customer, Product, StockMovement, User
from erp_admin.resources.declaration import Panel, Resource, declare
from erp_admin.schemas import (
    CUSTOMER_FIELDS, PRODUCT_FIELDS, USER_FIELDS, CustomerSchema, ProductSchema, UserSchema, serialize_customer,
    serialize_product, serialize_user,
)
from erp_admin.schemas.audit import AUDIT_FIELDS, serialize_audit_entry
from erp_admin.schemas.movement import MOVEMENT_FIELDS, serialize_movement

CRUD = ("read", "create", "update", "delete")
EVERYONE = ("user", "manager", "admin")


def _everyone(verbs: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {role: verbs for role in EVERYONE}


PRODUCTS = declare(Resource(
    name="products", entity="product", model=Product, schema=ProductSchema, serialize=serialize_product,
    fields=PRODUCT_FIELDS, component="Product",
    read_only=frozenset({"id", "version", "created_at", "updated_at", "low_stock"}),
    unique=("sku",), import_key="sku",
    search=("sku", "name", "category"),
    sortable=("id", "sku", "name", "category", "price", "quantity", "reorder_level", "created_at", "updated_at"),
    filters={"category": "string", "low_stock": "boolean", "price": "decimal", "quantity": "integer",
             "reorder_level": "integer", "name": "string", "sku": "string", "created_at": "datetime",
             "updated_at": "datetime"},
    exact={"price": lambda p: Decimal(p.price)},
    counted=True,
    permissions=_everyone(CRUD + ("adjust_stock", "import", "export")),
    panel=Panel(
        columns=("sku", "name", "category", "price", "quantity", "reorder_level", "updated_at"),
        details=tuple(f for f in PRODUCT_FIELDS if f != "low_stock"),  # the list shows it as a badge
        labels={"sku": "SKU", "reorder_level": "Reorder level", "updated_at": "Updated"},
        sort=("name", False),
        editable=("name", "category", "reorder_level"),
    ),
))

CUSTOMERS = declare(Resource(
    name="customers", entity="customer", model=Customer, schema=CustomerSchema, serialize=serialize_customer,
    fields=CUSTOMER_FIELDS, component="Customer",
    unique=("email",), import_key="email",
    search=("name", "email", "company"),
    sortable=("id", "name", "email", "company", "created_at", "updated_at"),
    filters={"name": "string", "email": "string", "company": "string", "created_at": "datetime",
             "updated_at": "datetime"},
    counted=True,
    permissions=_everyone(CRUD + ("import", "export")),
    panel=Panel(
        columns=("name", "email", "phone", "company", "updated_at"),
        labels={"updated_at": "Updated"},
        sort=("name", False),
        filters=(("company", "equal"), ("company", "like"), ("phone", "empty")),
        editable=("name", "phone", "company"),
    ),
))

USERS = declare(Resource(
    name="users", entity="user", model=User, schema=UserSchema, serialize=serialize_user,
    fields=USER_FIELDS, component="User",
    read_only=frozenset({"id", "version", "created_at", "updated_at", "last_login_at"}),
    unique=("username", "email"),
    search=("username", "email", "full_name"),
    sortable=("id", "username", "email", "full_name", "role", "is_active", "created_at", "last_login_at"),
    filters={"role": ROLES, "is_active": "boolean", "username": "string", "email": "string",
             "created_at": "datetime", "last_login_at": "datetime"},
    masked=frozenset({"password", "password_hash", "token_version"}),
    permissions={"user": (), "manager": ("read",), "admin": CRUD},
    field_grants={"role": ("admin",), "is_active": ("admin",)},
    panel=Panel(
        columns=("username", "email", "full_name", "role", "is_active", "last_login_at"),
        details=("id", "username", "email", "full_name", "role", "is_active", "created_at", "last_login_at", "version"),
        labels={"full_name": "Full name", "is_active": "Status", "last_login_at": "Last sign-in"},
        sort=("username", False),
        editable=("full_name",),
    ),
))

MOVEMENTS = declare(Resource(
    name="movements", entity="movement", model=StockMovement, serialize=serialize_movement,
    fields=MOVEMENT_FIELDS, component="Movement", audited=False,
    sortable=("id", "created_at"),
    permissions=_everyone(("read",)),
    panel=Panel(
        label="Stock Movements",
        columns=("created_at", "sku", "product_name", "delta", "quantity_after", "reason", "username"),
        details=("id", "created_at", "product_id", "sku", "product_name", "delta", "quantity_after", "reason", "username"),
        labels={"created_at": "When", "sku": "SKU", "product_name": "Product", "quantity_after": "Stock after",
                "username": "By"},
        sort=("id", True),
    ),
))

AUDIT_LOG = declare(Resource(
    name="audit_log", entity="audit entry", model=AuditEntry, serialize=serialize_audit_entry,
    fields=AUDIT_FIELDS, component="AuditEntry", audited=False,
    sortable=("id", "at"),
    permissions={"user": (), "manager": ("read",), "admin": ("read",)},
    panel=Panel(
        columns=("at", "username", "channel", "action", "entity", "entity_id", "changes"),
        details=("id", "at", "username", "channel", "action", "entity", "entity_id", "changes", "request_id",
                 "client_addr"),
        labels={"at": "When", "username": "User", "entity_id": "Id", "client_addr": "Client address",
                "request_id": "Request id"},
        sort=("id", True),
    ),
))
