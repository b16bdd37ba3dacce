"""Create, update and delete products, customers and users with every rule applied.

The callers (API, panel, CSV import, CLI) validate nothing themselves and
commit afterwards: these functions validate, apply, enforce the user rules,
and flush, turning constraint violations into Conflict errors.
"""
from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from erp_admin.auth.passwords import hash_password
from erp_admin.extensions import db
from erp_admin.models import Customer, Product, User
from erp_admin.schemas import CustomerSchema, ProductSchema, SECURITY_FIELDS, UserSchema, validate_record
from erp_admin.services.errors import Conflict, PreconditionFailed

MODELS = {"products": Product, "customers": Customer, "users": User}
SCHEMAS = {"products": ProductSchema, "customers": CustomerSchema, "users": UserSchema}
# Which unique column a constraint violation names, per resource.
UNIQUE_FIELDS = {"products": ("sku",), "customers": ("email",), "users": ("username", "email")}


def create_record(resource: str, data: Any, *, acting_user: User | None = None):
    """Validate data and add a new record of resource; return it flushed (with its id).

    Many records at once (CSV import, seeding) go through services.bulk instead.
    """
    cleaned = validate_record(SCHEMAS[resource], data, partial=False)
    obj = MODELS[resource]()
    if resource == "products" and cleaned.get("sku") is None:
        cleaned["sku"] = _next_sku()
    _check_unique(resource, cleaned)
    _apply(obj, cleaned)
    db.session.add(obj)
    _flush(resource)
    return obj


def update_record(obj, data: Any, *, acting_user: User | None = None, expected_version: int | None = None):
    """Validate a partial update and apply it to obj; return obj flushed."""
    resource = _resource_of(obj)
    check_version(obj, expected_version)
    cleaned = validate_record(SCHEMAS[resource], data, partial=True)
    changed = {k: v for k, v in cleaned.items() if k == "password" or getattr(obj, k) != v}
    if isinstance(obj, User):
        _check_user_update(obj, changed, acting_user)
    _check_unique(resource, changed, exclude_id=obj.id)
    _apply(obj, changed)
    _flush(resource)
    return obj


def generate_skus(count: int, reserved: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Return count unused SKUs in the server's format, none in reserved (one query per 1000)."""
    skus: list[str] = []
    number = _last_product_id()
    while len(skus) < count:
        candidates = [f"P-{n:06d}" for n in range(number + 1, number + 1 + min(count - len(skus), 1000))]
        number += len(candidates)
        stored = set(db.session.scalars(select(Product.sku).where(Product.sku.in_(candidates))))
        skus.extend(c for c in candidates if c not in stored and c not in reserved)
    return skus


def delete_record(obj, *, acting_user: User | None = None, expected_version: int | None = None) -> None:
    """Delete obj, enforcing the version check and the user rules."""
    check_version(obj, expected_version)
    if isinstance(obj, User):
        if acting_user is not None and acting_user.id == obj.id:
            raise Conflict("You cannot delete your own account.")
        if obj.role == "admin" and obj.is_active:
            _ensure_another_admin(obj, "The last active admin cannot be deleted.")
    db.session.delete(obj)
    _flush(_resource_of(obj))


def check_version(obj, expected_version: int | None) -> None:
    """Raise PreconditionFailed when the client saw another version than the stored one."""
    if expected_version is not None and expected_version != obj.version:
        raise PreconditionFailed(
            f"The record was changed meanwhile (version {obj.version}, you had {expected_version}). "
            "Reload it and apply your change again."
        )


def _apply(obj, cleaned: dict[str, Any]) -> None:
    for key, value in cleaned.items():
        if key == "password":
            obj.password_hash = hash_password(value)
        else:
            setattr(obj, key, value)
    if isinstance(obj, User) and obj.id is not None and SECURITY_FIELDS & cleaned.keys():
        # Tokens and sessions issued before this change stop working at once.
        obj.token_version = (obj.token_version or 0) + 1


def _check_user_update(user: User, changed: dict[str, Any], acting_user: User | None) -> None:
    deactivating = changed.get("is_active") is False
    if deactivating and acting_user is not None and acting_user.id == user.id:
        raise Conflict("You cannot deactivate your own account.", field="is_active")
    demoting = "role" in changed and changed["role"] != "admin"
    if user.role == "admin" and user.is_active and (deactivating or demoting):
        field = "is_active" if deactivating else "role"
        _ensure_another_admin(user, "The last active admin cannot be deactivated or demoted.", field=field)


def _ensure_another_admin(user: User, message: str, field: str | None = None) -> None:
    # FOR UPDATE on PostgreSQL so two admins demoting each other cannot both pass.
    others = db.session.scalars(
        select(User.id)
        .where(User.role == "admin", User.is_active.is_(True), User.id != user.id)
        .with_for_update()
    ).all()
    if not others:
        raise Conflict(message, field=field)


def _check_unique(resource: str, values: dict[str, Any], exclude_id: int | None = None) -> None:
    model = MODELS[resource]
    for field in UNIQUE_FIELDS[resource]:
        if values.get(field) is None:
            continue
        query = select(model.id).where(getattr(model, field) == values[field])
        if exclude_id is not None:
            query = query.where(model.id != exclude_id)
        if db.session.scalar(query.limit(1)) is not None:
            raise Conflict(f"A {resource[:-1]} with this {field} already exists.", field=field)


def _flush(resource: str) -> None:
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise PreconditionFailed("The record was changed meanwhile. Reload it and apply your change again.") from None
    except IntegrityError as exc:
        # The pre-check lost a race with another writer: still a 409, never a 500.
        db.session.rollback()
        raise integrity_conflict(resource, exc) from None


def integrity_conflict(resource: str, exc: IntegrityError) -> Conflict:
    """Return the Conflict (409) that a constraint violation writing resource means for the client."""
    message = str(exc.orig).lower()
    field = next((f for f in UNIQUE_FIELDS[resource] if f in message), None)
    if field:
        return Conflict(f"A {resource[:-1]} with this {field} already exists.", field=field)
    return Conflict("The change conflicts with the stored data.")


# The highest product id ever handed out, the deleted newest one included, so a generated SKU
# follows the ids and never repeats (max(id) would give a deleted product's SKU out again).
_LAST_PRODUCT_ID = {
    "sqlite": "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'products'), 0), "
              "coalesce((SELECT max(id) FROM products), 0))",
    "postgresql": "SELECT greatest(coalesce(pg_sequence_last_value(pg_get_serial_sequence('products', 'id')::regclass), 0), "
                  "coalesce((SELECT max(id) FROM products), 0))",
}


def _last_product_id() -> int:
    dialect = db.session.get_bind().dialect.name
    if dialect not in _LAST_PRODUCT_ID:
        return db.session.scalar(select(func.max(Product.id))) or 0
    return db.session.scalar(text(_LAST_PRODUCT_ID[dialect]))


def _next_sku() -> str:
    number = _last_product_id() + 1
    candidate = f"P-{number:06d}"
    if db.session.scalar(select(Product.id).where(Product.sku == candidate)) is None:
        return candidate
    return f"P-{number:06d}-{secrets.token_hex(3).upper()}"


def _resource_of(obj) -> str:
    for name, model in MODELS.items():
        if isinstance(obj, model):
            return name
    raise TypeError(f"not a record: {obj!r}")
