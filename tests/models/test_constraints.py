"""Database constraints: a bad row is an error, never stored, whatever path writes it."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from erp_admin.extensions import db
from erp_admin.models import Customer, Product, User
from erp_admin.resources import resource as resource_named
from erp_admin.services import records
from erp_admin.errors import Conflict
from erp_admin.services.records import create_record


def _product(**fields):
    data = {"sku": "SKU-1", "name": "Widget", "price": Decimal("1.00"), "quantity": 0, "reorder_level": 0}
    data.update(fields)
    return Product(**data)


def _user(**fields):
    data = {"username": "alice", "email": "alice@example.com", "password_hash": "x", "role": "user"}
    data.update(fields)
    return User(**data)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("row", [
    pytest.param(lambda: _product(quantity=-1), id="quantity"),
    pytest.param(lambda: _product(reorder_level=-1), id="reorder_level"),
    pytest.param(lambda: _product(price=Decimal("-0.01")), id="price"),
    pytest.param(lambda: _user(role="superuser"), id="role"),
])
def test_check_constraints_reject_rows_that_skip_validation(app, row):
    with app.app_context():
        obj = row()
        db.session.add(obj)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        assert _count(type(obj)) == 0


def test_quantity_cannot_go_negative_through_an_update(app):
    with app.app_context():
        db.session.add(_product(quantity=1))
        db.session.commit()
        product = db.session.scalar(select(Product))
        product.quantity = -5
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert db.session.scalar(select(Product.quantity)) == 1


@pytest.mark.parametrize("first, second", [
    pytest.param(lambda: _product(), lambda: _product(name="Other"), id="sku"),
    pytest.param(lambda: _user(), lambda: _user(email="other@example.com"), id="username"),
    pytest.param(lambda: _user(), lambda: _user(username="other"), id="email"),
    pytest.param(lambda: Customer(name="A", email="a@example.com"), lambda: Customer(name="B", email="a@example.com"), id="customer-email"),
])
def test_unique_constraints_reject_duplicates(app, first, second):
    with app.app_context():
        db.session.add(first())
        db.session.commit()
        db.session.add(second())
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        assert _count(type(first())) == 1


@pytest.mark.parametrize("resource, first, second, field", [
    ("products", {"sku": "A-1", "name": "One", "price": "1.00"}, {"sku": "A-1", "name": "Two", "price": "2.00"}, "sku"),
    ("customers", {"name": "Ada", "email": "Ada@Example.com"}, {"name": "Ada L", "email": "ada@example.COM"}, "email"),
    ("users", {"username": "ada", "email": "ada@example.com", "password": "password123"},
     {"username": "ada", "email": "other@example.com", "password": "password123"}, "username"),
    ("users", {"username": "ada", "email": "ada@example.com", "password": "password123"},
     {"username": "bob", "email": "ADA@example.com", "password": "password123"}, "email"),
])
def test_duplicates_through_the_service_are_conflicts(app, resource, first, second, field):
    with app.app_context():
        create_record(resource, first)
        db.session.commit()
        with pytest.raises(Conflict) as excinfo:
            create_record(resource, second)
        assert excinfo.value.field == field
        db.session.rollback()
        assert _count(resource_named(resource).model) == 1


def test_a_duplicate_that_races_past_the_check_is_still_a_conflict(app, monkeypatch):
    # Another writer inserting between the pre-check and the flush: the
    # unique index decides, and the caller still gets a 409-style error.
    with app.app_context():
        create_record("customers", {"name": "Ada", "email": "ada@example.com"})
        db.session.commit()
        monkeypatch.setattr(records, "_check_unique", lambda *args, **kwargs: None)
        with pytest.raises(Conflict) as excinfo:
            create_record("customers", {"name": "Ada", "email": "ADA@example.com"})
        assert excinfo.value.field == "email"
        assert _count(Customer) == 1
