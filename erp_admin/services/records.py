"""Create, update and delete the records of every declared resource with every rule applied.

The callers (API, panel, CLI) commit afterwards; these functions validate,
apply, enforce the user rules and the field grants, and flush, turning
constraint violations into Conflict errors.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from erp_admin.audit.log import diff
from erp_admin.auth.passwords import hash_password
from erp_admin.auth.roles import may_set
from erp_admin.extensions import db
from erp_admin.models import Product, User
from erp_admin.resources import resource as declared_resource, resource_of
from erp_admin.schemas import SECURITY_FIELDS, validate_record
from erp_admin.errors import Conflict, PermissionDenied, PreconditionFailed
from erp_admin.services.skus import number_new_products


def create_record(resource: str, data: Any, *, acting_user: User | None = None):
    """Validate data and add a new record of resource; return it flushed (with its id).

    Many records at once (CSV import, seeding) go through services.bulk instead.
    """
    declaration = declared_resource(resource)
    cleaned = validate_record(declaration.schema, data, partial=False)
    defaults = declaration.schema.defaults()
    _check_field_grants(resource, {k: v for k, v in cleaned.items() if k not in defaults or defaults[k] != v},
                        acting_user)
    obj = declaration.model()
    if resource == "products" and cleaned.get("sku") is None:
        cleaned["sku"] = None
        number_new_products([cleaned])  # its id too: the SKU is P-<id>
    _check_unique(resource, cleaned)
    _apply(obj, cleaned)
    db.session.add(obj)
    _flush(resource)
    return obj


def update_record(obj, data: Any, *, acting_user: User | None = None, expected_version: int | None = None):
    """Validate a partial update and apply it to obj; return obj flushed."""
    resource = _resource_of(obj)
    check_version(obj, expected_version)
    cleaned = validate_record(declared_resource(resource).schema, data, partial=True)
    # A password is never compared (only its hash is stored): sending one always changes it.
    password = {"password": cleaned.pop("password")} if "password" in cleaned else {}
    changed = {name: new for name, (_old, new) in diff(obj, cleaned).items()} | password
    _check_field_grants(resource, changed, acting_user)
    if isinstance(obj, User):
        _check_user_update(obj, changed, acting_user)
    _check_unique(resource, changed, exclude_id=obj.id)
    _apply(obj, changed)
    _flush(resource)
    return obj


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


def _check_field_grants(resource: str, values: dict[str, Any], acting_user) -> None:
    """Refuse values for fields the acting user's role may not set (the matrix's field grants)."""
    if acting_user is None:  # the CLI and the shell act as the operator
        return
    for name in values:
        if not may_set(acting_user.role, resource, name):
            raise PermissionDenied(f"Your role ({acting_user.role}) may not set {name}.", field=name)


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
    declaration = declared_resource(resource)
    model = declaration.model
    for field in declaration.unique:
        if values.get(field) is None:
            continue
        query = select(model.id).where(getattr(model, field) == values[field])
        if exclude_id is not None:
            query = query.where(model.id != exclude_id)
        if db.session.scalar(query.limit(1)) is not None:
            raise Conflict(f"A {declaration.entity} with this {field} already exists.", field=field)


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
    declaration = declared_resource(resource)
    message = str(exc.orig).lower()
    field = next((f for f in declaration.unique if f in message), None)
    if field:
        return Conflict(f"A {declaration.entity} with this {field} already exists.", field=field)
    return Conflict("The change conflicts with the stored data.")


def _resource_of(obj) -> str:
    declaration = resource_of(obj)
    if declaration is None or declaration.schema is None:
        raise TypeError(f"not a record: {obj!r}")
    return declaration.name
