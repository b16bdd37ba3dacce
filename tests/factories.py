"""Test data builders that go through the same service layer as the app."""
from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from erp_admin.extensions import db
from erp_admin.services.records import create_record


def _snapshot(obj, fields) -> SimpleNamespace:
    return SimpleNamespace(**{f: getattr(obj, f) for f in fields})


def create_user(username="user1", role="user", password="password123", **fields) -> SimpleNamespace:
    """Insert a user (inside an app context) and return a detached snapshot with id and password."""
    data = {"username": username, "email": f"{username}@example.com", "role": role, "password": password}
    data.update(fields)
    user = create_record("users", data)
    db.session.commit()
    snap = _snapshot(user, ("id", "username", "email", "role", "is_active", "version"))
    snap.password = password
    return snap


def create_product(**fields) -> SimpleNamespace:
    """Insert a product (inside an app context) and return a snapshot."""
    data = {"name": "Widget", "price": Decimal("9.99"), "quantity": 0}
    data.update(fields)
    product = create_record("products", data)
    db.session.commit()
    return _snapshot(product, ("id", "sku", "name", "price", "quantity", "reorder_level", "version"))


def create_customer(**fields) -> SimpleNamespace:
    """Insert a customer (inside an app context) and return a snapshot."""
    data = {"name": "Ada", "email": "ada@example.com"}
    data.update(fields)
    customer = create_record("customers", data)
    db.session.commit()
    return _snapshot(customer, ("id", "name", "email", "version"))


def reuse_user_id(user_id: int, username: str = "usurper", password: str = "password123") -> None:
    """Insert another admin under a deleted user's id (inside an app context), as a restored backup or a reset sequence would."""
    from erp_admin.auth.passwords import hash_password
    from erp_admin.models import User

    db.session.add(User(id=user_id, username=username, email=f"{username}@example.com", role="admin",
                        password_hash=hash_password(password)))
    db.session.commit()
