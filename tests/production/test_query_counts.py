"""Query-count guard: a list request runs the same number of SQL statements whatever the page size.

An N+1 query (a lazy relationship or a per-row lookup in a serializer or a
template) would add statements per row and fail these tests.
"""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tests.admin.conftest import Panel

SIZES = (1, 10, 100)


@contextmanager
def counting(app):
    """Collect every SQL statement app's engine runs inside the block."""
    from erp_admin.extensions import db

    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _add_rows(app, resource, count=105):
    """Over 100 rows of resource (products with their movements and audit entries)."""
    from erp_admin.extensions import db
    from erp_admin.services.synthetic import add_synthetic_products
    from tests.factories import create_customer, create_user

    with app.app_context():
        if resource == "products":
            add_synthetic_products(count)
            db.session.commit()
        for n in range(count if resource != "products" else 0):
            if resource == "customers":
                create_customer(name=f"Customer {n}", email=f"c{n}@example.com")
            else:
                create_user(f"user{n:03d}", role="user")


def _counts(app, client, url, sizes, headers=None):
    counts = {}
    for size in sizes:
        client.get(url.format(size), headers=headers)  # warm-up: first-request work is not per row
        with counting(app) as statements:
            response = client.get(url.format(size), headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        counts[size] = len(statements)
    return counts


@pytest.mark.parametrize("resource", ["products", "customers", "users"])
def test_api_list_queries_do_not_grow_with_the_page_size(app, client, tokens, resource):
    headers = tokens("admin")
    _add_rows(app, resource)
    assert len(client.get(f"/api/{resource}?limit=100", headers=headers).get_json()) == 100
    counts = _counts(app, client, f"/api/{resource}?limit={{}}", SIZES, headers)
    assert len(set(counts.values())) == 1, counts
    # BEGIN (SQLite), the revocation check, the token's user, the total count, the page.
    assert counts[100] <= 5, counts


def test_panel_product_list_queries_do_not_grow_with_the_page_size(app, client, make_user):
    make_user("manager")
    _add_rows(app, "products")
    panel = Panel(client)
    assert panel.login("manager").status_code == 302
    page = client.get("/admin/products/?page_size=100").get_data(as_text=True)
    assert page.count('name="rowid"') == 100
    counts = _counts(app, client, "/admin/products/?page_size={}", (20, 50, 100))
    assert len(set(counts.values())) == 1, counts
