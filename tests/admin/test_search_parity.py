"""The API's `q` and the panel's search box: the same matches for the same word, served by the search index."""
from __future__ import annotations

import re
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from sqlalchemy import event

from erp_admin.extensions import db
from tests.conftest import bearer, issue_for
from tests.factories import create_product

NAMES = [
    ("Desk Lamp", "Lighting"), ("Floor LAMP", "Lighting"), ("Lampshade", "Decor"),
    ("Cordless Drill", "Tools"), ("Drill bits 100% steel", "Tools"), ("Drill bits 1000 pack", "Tools"),
    ("Kettle", "Kitchen_ware"), ("Kettle XL", "Kitchenxware"), ("Café table", "Furniture"),
]
WORDS = ["lamp", "LAMP", "Lamp", "la", "dr", "drill", "100%", "n_w", "_", "%", "caf", "sku-00", "kitchen",
         "nothing-like-this", "ll"]


@pytest.fixture
def catalogue(app):
    with app.app_context():
        for i, (name, category) in enumerate(NAMES):
            create_product(sku=f"SKU-{i:03d}", name=name, category=category)
    return app


@pytest.fixture
def channels(catalogue, signed_in):
    """(api_skus(q), panel_skus(q)) for a manager."""
    from erp_admin.models import User

    panel = signed_in("manager")
    with catalogue.app_context():
        manager = db.session.scalar(db.select(User.id).where(User.username == "manager"))
    headers = bearer(issue_for(catalogue, manager)["access_token"])
    client = catalogue.test_client()

    def api_skus(q: str) -> list[str]:
        response = client.get(f"/api/products?limit=1000&q={quote(q)}", headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        return sorted(item["sku"] for item in response.get_json())

    def panel_skus(q: str) -> list[str]:
        response = panel.client.get(f"/admin/products/?page_size=100&search={quote(q)}")
        assert response.status_code == 200
        return sorted(set(re.findall(r"SKU-\d{3}", response.get_data(as_text=True))))

    return api_skus, panel_skus


@pytest.mark.parametrize("q", WORDS)
def test_api_and_panel_find_the_same_products(channels, q):
    api_skus, panel_skus = channels
    assert api_skus(q) == panel_skus(q)


def test_the_shared_search_is_case_insensitive_and_literal(channels):
    api_skus, panel_skus = channels
    for skus in (api_skus, panel_skus):
        assert skus("lamp") == skus("LAMP") == ["SKU-000", "SKU-001", "SKU-002"]
        assert skus("100%") == ["SKU-004"]          # % is not a wildcard
        assert skus("n_w") == ["SKU-006"]            # _ is not a wildcard
        assert skus("dr") == ["SKU-003", "SKU-004", "SKU-005"]  # shorter than a trigram


@contextmanager
def captured_selects(app):
    """The product SELECT statements (and their parameters) run inside the block."""
    seen = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "FROM products" in statement:
            seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def query_plan(app, statement, parameters) -> str:
    """The database's plan for a captured statement, as one text (index scans preferred on PostgreSQL)."""
    with app.app_context():
        with db.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
                return "\n".join(str(row[-1]) for row in rows)
            # A test table is tiny: without these the planner rightly prefers a sequential scan
            # (or walking the primary key in id order): what is left is a bitmap index scan.
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            conn.exec_driver_sql("SET LOCAL enable_indexscan = off")
            rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
            conn.rollback()
            return "\n".join(row[0] for row in rows)


def index_name(app) -> str:
    with app.app_context():
        return "products_search" if db.engine.dialect.name == "sqlite" else "_trgm"


@pytest.mark.parametrize("channel", ["api", "panel"])
def test_search_uses_the_index(catalogue, signed_in, channel):
    from erp_admin.models import User

    panel = signed_in("manager")
    with catalogue.app_context():
        manager = db.session.scalar(db.select(User.id).where(User.username == "manager"))
    headers = bearer(issue_for(catalogue, manager)["access_token"])
    with captured_selects(catalogue) as seen:
        if channel == "api":
            response = catalogue.test_client().get("/api/products?q=lamp&limit=10", headers=headers)
        else:
            response = panel.client.get("/admin/products/?search=lamp")
        assert response.status_code == 200
    pages = [(s, p) for s, p in seen if "LIMIT" in s.upper()]
    assert pages, seen
    for statement, parameters in pages:  # the page and the (capped) count
        plan = query_plan(catalogue, statement, parameters)
        assert index_name(catalogue) in plan, plan
