"""Demo data for a first look at the app: never loaded in production."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from erp_admin.extensions import db
from erp_admin.models import Customer, Product, User
from erp_admin.services.records import create_record

DEMO_USERS = [
    {"username": "admin", "password": "admin123", "email": "admin@example.com", "full_name": "Admin User", "role": "admin"},
    {"username": "manager", "password": "manager123", "email": "manager@example.com", "full_name": "Manager User", "role": "manager"},
    {"username": "johndoe", "password": "password123", "email": "john@example.com", "full_name": "John Doe", "role": "user"},
]
DEMO_PRODUCTS = [
    {"sku": "LAP-001", "name": "Laptop", "description": "14-inch business laptop", "category": "Electronics", "price": Decimal("999.99"), "quantity": 10, "reorder_level": 3},
    {"sku": "MOU-001", "name": "Wireless Mouse", "description": "Ergonomic wireless mouse", "category": "Electronics", "price": Decimal("29.99"), "quantity": 50, "reorder_level": 10},
    {"sku": "CHA-001", "name": "Office Chair", "description": "Adjustable office chair", "category": "Furniture", "price": Decimal("199.99"), "quantity": 2, "reorder_level": 5},
    {"sku": "DSK-001", "name": "Standing Desk", "description": "Height-adjustable desk", "category": "Furniture", "price": Decimal("449.00"), "quantity": 8, "reorder_level": 2},
]
DEMO_CUSTOMERS = [
    {"name": "Alice Johnson", "email": "alice@acme.example", "phone": "+1 555 0100", "company": "Acme Corp", "address": "1 Main St, Springfield"},
    {"name": "Bob Smith", "email": "bob@globex.example", "phone": "+1 555 0101", "company": "Globex", "address": "42 Elm St, Shelbyville"},
    {"name": "Carol White", "email": "carol@initech.example", "phone": None, "company": "Initech", "address": None},
]


def database_is_empty() -> bool:
    """True when there are no users, products or customers yet."""
    return not any(db.session.scalar(select(func.count()).select_from(m)) for m in (User, Product, Customer))


def load_demo_data() -> dict[str, int]:
    """Add the demo users, products and customers that are missing; return how many were added."""
    added = {"users": 0, "products": 0, "customers": 0}
    for data in DEMO_USERS:
        if db.session.scalar(select(User.id).where(User.username == data["username"])) is None:
            create_record("users", data)
            added["users"] += 1
    for data in DEMO_PRODUCTS:
        if db.session.scalar(select(Product.id).where(Product.sku == data["sku"])) is None:
            create_record("products", data)
            added["products"] += 1
    for data in DEMO_CUSTOMERS:
        if db.session.scalar(select(Customer.id).where(Customer.email == data["email"])) is None:
            create_record("customers", data)
            added["customers"] += 1
    db.session.commit()
    return added
