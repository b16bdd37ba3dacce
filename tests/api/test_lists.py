"""Lists: limit/offset with the cap, sort, q (literal % and _), exact filters, X-Total-Count and Link."""
from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem
from tests.factories import create_product, create_user


@pytest.fixture
def products(app):
    with app.app_context():
        specs = [("A-1", "Alpha", "Tools", "5.00", 1, 3), ("B-2", "Beta 100%", "tools", "1.00", 9, 2),
                 ("C-3", "Gamma_x", "Garden", "3.00", 0, 0), ("D-4", "Delta", None, "2.00", 7, 1),
                 ("E-5", "Gammaax", "Garden", "4.00", 5, 10)]
        for sku, name, category, price, qty, reorder in specs:
            create_product(sku=sku, name=name, category=category, price=price, quantity=qty, reorder_level=reorder)


def skus(response):
    return [p["sku"] for p in response.get_json()]


def test_default_list_is_an_array_with_total(client, tokens, products):
    response = client.get("/api/products", headers=tokens("user"))
    assert response.status_code == 200 and isinstance(response.get_json(), list)
    assert skus(response) == ["A-1", "B-2", "C-3", "D-4", "E-5"]
    assert response.headers["X-Total-Count"] == "5"
    assert "Link" not in response.headers


def test_paging_headers(client, tokens, products):
    h = tokens("user")
    first = client.get("/api/products?limit=2", headers=h)
    assert skus(first) == ["A-1", "B-2"] and first.headers["X-Total-Count"] == "5"
    assert 'rel="next"' in first.headers["Link"] and 'rel="prev"' not in first.headers["Link"]
    assert "offset=2" in first.headers["Link"] and "limit=2" in first.headers["Link"]
    middle = client.get("/api/products?limit=2&offset=2&sort=sku", headers=h)
    assert skus(middle) == ["C-3", "D-4"]
    links = middle.headers["Link"]
    assert 'rel="next"' in links and 'rel="prev"' in links and "sort=sku" in links
    last = client.get("/api/products?limit=2&offset=4", headers=h)
    assert skus(last) == ["E-5"] and 'rel="next"' not in last.headers["Link"]
    # Following the links walks the whole list.
    next_url = first.headers["Link"].split(";")[0].strip("<>")
    assert skus(client.get(next_url, headers=h)) == ["C-3", "D-4"]


def test_limit_is_clamped_to_the_cap(app, client, tokens, products):
    app.config["API_MAX_LIMIT"] = 2
    response = client.get("/api/products?limit=5000", headers=tokens("user"))
    assert len(response.get_json()) == 2 and response.headers["X-Total-Count"] == "5"


@pytest.mark.parametrize("query", ["limit=abc", "limit=1.5", "limit=0", "limit=-1", "offset=-1", "offset=x",
                                   "offset=99999999999", "category=" + "x" * 201, "sort=nope", "sort=-password_hash", "low_stock=maybe",
                                   "q=a%00b", "limit=%00", "sort="])
def test_bad_query_values_are_400(client, tokens, products, query):
    assert_problem(client.get(f"/api/products?{query}", headers=tokens("user")), 400)


def test_a_huge_limit_is_clamped_not_refused(client, tokens, products):
    response = client.get("/api/products?limit=" + "9" * 30, headers=tokens("user"))
    assert response.status_code == 200 and len(response.get_json()) == 5


def test_sort_ascending_and_descending(client, tokens, products):
    h = tokens("user")
    assert skus(client.get("/api/products?sort=price", headers=h)) == ["B-2", "D-4", "C-3", "E-5", "A-1"]
    assert skus(client.get("/api/products?sort=-quantity", headers=h)) == ["B-2", "D-4", "E-5", "A-1", "C-3"]
    assert skus(client.get("/api/products?sort=-sku", headers=h)) == ["E-5", "D-4", "C-3", "B-2", "A-1"]


def test_q_is_case_insensitive_substring_over_the_contract_fields(client, tokens, products):
    h = tokens("user")
    assert skus(client.get("/api/products?q=ALPHA", headers=h)) == ["A-1"]
    assert skus(client.get("/api/products?q=garden", headers=h)) == ["C-3", "E-5"]
    assert skus(client.get("/api/products?q=d-4", headers=h)) == ["D-4"]


def test_q_percent_and_underscore_are_literal(client, tokens, products):
    h = tokens("user")
    assert skus(client.get("/api/products?q=%25", headers=h)) == ["B-2"]
    assert skus(client.get("/api/products?q=a_x", headers=h)) == ["C-3"]  # not Gammaax
    assert skus(client.get("/api/products?q=%5C", headers=h)) == []  # a backslash is literal too


def test_product_filters(client, tokens, products):
    h = tokens("user")
    assert skus(client.get("/api/products?category=Garden", headers=h)) == ["C-3", "E-5"]
    assert skus(client.get("/api/products?category=tools", headers=h)) == ["B-2"]  # exact, not search
    assert skus(client.get("/api/products?low_stock=true", headers=h)) == ["A-1", "C-3", "E-5"]
    low = client.get("/api/products?low_stock=false&limit=1", headers=h)
    assert skus(low) == ["B-2"] and low.headers["X-Total-Count"] == "2"


def test_user_filters_and_search(app, client, tokens):
    h = tokens("admin")
    with app.app_context():
        create_user("mia", role="manager", full_name="Mia Wallace")
        create_user("vincent", role="user", is_active=False)
    users = lambda q: [u["username"] for u in client.get(f"/api/users?{q}", headers=h).get_json()]  # noqa: E731
    assert users("role=manager") == ["mia"]
    assert users("is_active=false") == ["vincent"]
    assert users("q=wallace") == ["mia"]
    assert users("sort=-username&is_active=true") == ["mia", "admin_api"]
    assert_problem(client.get("/api/users?role=root", headers=h), 400)
    assert_problem(client.get("/api/users?is_active=1", headers=h), 400)


def test_customer_search(app, client, tokens):
    from tests.factories import create_customer

    with app.app_context():
        create_customer(name="Zoe", email="zoe@initech.example", company="Initech")
        create_customer(name="Yan", email="yan@example.com", company="Globex")
    names = [c["name"] for c in client.get("/api/customers?q=INITECH", headers=tokens("user")).get_json()]
    assert names == ["Zoe"]


def test_pages_read_through_the_id_index_concatenate_to_the_full_order(app, client, tokens):
    """The deferred join (page ids first, then rows) keeps every sort's order and ties across pages."""
    with app.app_context():
        for i in range(23):
            create_product(sku=f"P-{i:02d}", name=f"Item {i % 4}", category=("A", "B", None)[i % 3],
                           price=f"{i % 5}.50", quantity=i % 3, reorder_level=1)
    h = tokens("user")
    for sort in ("id", "-id", "name", "-name", "price", "-quantity", "category", "-category", "sku"):
        whole = skus(client.get(f"/api/products?sort={sort}&limit=100", headers=h))
        assert len(whole) == 23
        paged = []
        for offset in range(0, 23, 5):
            response = client.get(f"/api/products?sort={sort}&limit=5&offset={offset}", headers=h)
            assert response.headers["X-Total-Count"] == "23"
            paged += skus(response)
        assert paged == whole, sort
    low = skus(client.get("/api/products?low_stock=true&sort=-price&limit=3&offset=2", headers=h))
    everything = skus(client.get("/api/products?low_stock=true&sort=-price&limit=100", headers=h))
    assert low == everything[2:5]


def test_sqlite_pages_and_counts_from_the_narrow_id_index(app):
    """On SQLite the page's ids and the count come from ix_products_id_scan, not the full rows."""
    from sqlalchemy import text

    from erp_admin.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            plan = db.session.execute(text("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%_id_scan'"))
            assert plan.all() == []  # PostgreSQL's primary key index already serves it
            return
        page = db.session.execute(text(
            "EXPLAIN QUERY PLAN SELECT products.id FROM products ORDER BY products.id LIMIT 50 OFFSET 10")).all()
        count = db.session.execute(text("EXPLAIN QUERY PLAN SELECT count(*) FROM products")).all()
        assert "ix_products_id_scan" in str(page) and "ix_products_id_scan" in str(count)
