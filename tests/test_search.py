"""Substring search: literal, case-insensitive, and kept in step with every write."""
import pytest
from sqlalchemy import select

from erp_admin.extensions import db
from erp_admin.models import Customer, Product
from erp_admin.search import escape_like, search_clause
from tests.factories import create_customer, create_product


def _search(model, resource, q):
    clause = search_clause(model, resource, q, db.engine.dialect.name)
    return sorted(db.session.scalars(select(model.name).where(clause)).all())


@pytest.fixture
def catalogue(app):
    with app.app_context():
        create_product(sku="LAMP-1", name="Desk Lamp", category="Lighting")
        create_product(sku="DRL-1", name="Cordless Drill", category="Tools")
        create_product(sku="PCT-1", name="Discount 100% off", category="Promo_items")
        create_product(sku="PCT-2", name="Discount 1000 off", category="Promoxitems")
    return app


@pytest.mark.parametrize(("q", "expected"), [
    ("lamp", ["Desk Lamp"]),          # case-insensitive, indexed length
    ("LAMP-1", ["Desk Lamp"]),        # sku
    ("tools", ["Cordless Drill"]),    # category
    ("dr", ["Cordless Drill"]),       # shorter than a trigram: still found
    ("100%", ["Discount 100% off"]),  # % matches itself
    ("o_i", ["Discount 100% off"]),   # _ matches itself, not any character
    ("nothing-like-this", []),
])
def test_product_search_is_literal_substring(catalogue, q, expected):
    with catalogue.app_context():
        assert _search(Product, "products", q) == expected


def test_search_index_follows_updates_and_deletes(catalogue):
    with catalogue.app_context():
        lamp = db.session.scalar(select(Product).where(Product.sku == "LAMP-1"))
        lamp.name = "Floor Light"
        db.session.commit()
        assert _search(Product, "products", "lamp") == ["Floor Light"]  # still found by its SKU
        assert _search(Product, "products", "floor") == ["Floor Light"]
        db.session.delete(lamp)
        db.session.commit()
        assert _search(Product, "products", "floor") == []


def test_customer_search_matches_name_email_company(app):
    with app.app_context():
        create_customer(name="Ada Lovelace", email="ada@analytical.example", company="Engines_Ltd")
        create_customer(name="Bob", email="bob@example.com", company="EnginesXLtd")
        assert _search(Customer, "customers", "lovelace") == ["Ada Lovelace"]
        assert _search(Customer, "customers", "ANALYTICAL") == ["Ada Lovelace"]
        assert _search(Customer, "customers", "s_L") == ["Ada Lovelace"]


def test_escape_like_escapes_wildcards_and_backslash():
    assert escape_like(r"50%_a\b") == r"50\%\_a\\b"
