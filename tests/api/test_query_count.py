"""Lists run a fixed number of queries per request, whatever the page size (no N+1)."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from erp_admin.extensions import db
from tests.factories import create_customer, create_product


def count_statements(app, call) -> int:
    with app.app_context():
        engine = db.engine
    seen = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        response = call()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return len(seen)


@pytest.mark.parametrize("resource", ["products", "customers", "users"])
def test_list_queries_do_not_grow_with_the_page(app, client, admin_headers, make_user, resource):
    rows = 12
    for i in range(rows):
        if resource == "users":
            make_user(f"qc_user_{i}", role="user")
            continue
        with app.app_context():
            if resource == "products":
                create_product(sku=f"QC-{i:03d}", name=f"Item {i}")
            else:
                create_customer(name=f"Customer {i}", email=f"c{i}@example.com")
    url = f"/api/{resource}?limit=%d"
    client.get(url % 1, headers=admin_headers)  # first-use queries out of the way
    one = count_statements(app, lambda: client.get(url % 1, headers=admin_headers))
    many = count_statements(app, lambda: client.get(url % rows, headers=admin_headers))
    assert len(client.get(url % rows, headers=admin_headers).get_json()) >= rows
    assert many == one
    assert one <= 6  # begin, revocation check, user lookup, count, page (+ a spare for the engine)
