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


@pytest.fixture
def shelf(app):
    """Products with ties in category and price (lower-case ASCII text: the same order under any collation)."""
    rows = [("s01", "bolt", "tools", "2.00", 5), ("s02", "nail", "tools", "2.00", 1), ("s03", "rake", "garden", "9.50", 5),
            ("s04", "hose", "garden", "9.50", 2), ("s05", "axe", "tools", "7.25", 5), ("s06", "seed", "garden", "1.00", 8),
            ("s07", "saw", "tools", "7.25", 1), ("s08", "pot", "garden", "9.50", 5)]
    with app.app_context():
        ids = {sku: create_product(sku=sku, name=name, category=category, price=price, quantity=qty).id
               for sku, name, category, price, qty in rows}
    return [{"id": ids[sku], "sku": sku, "name": name, "category": category, "price": float(price), "quantity": qty}
            for sku, name, category, price, qty in rows]


def _python_sorted(rows, sort: str) -> list[str]:
    """The contract's order: each key in turn, then id in the direction of the last key."""
    keys = [(part.lstrip("-"), part.startswith("-")) for part in sort.split(",")]
    ordered = sorted(rows, key=lambda r: r["id"], reverse=keys[-1][1])
    for name, descending in reversed(keys):
        ordered = sorted(ordered, key=lambda r: r[name], reverse=descending)  # stable: earlier keys win
    return [r["sku"] for r in ordered]


@pytest.mark.parametrize("sort", ["category,-price", "category,price", "-category,price,name", "-price,quantity",
                                  "quantity,-category", "price,-id", "-quantity,category,price,sku", "category"])
@pytest.mark.parametrize("extra", [{}, {"q": "s"}, {"category": "tools"}, {"limit": "3", "offset": "2"}])
def test_multi_column_sort_as_ag_grid_sends_it(client, tokens, shelf, sort, extra):
    expected = _python_sorted([r for r in shelf if extra.get("category", r["category"]) == r["category"]], sort)
    if "limit" in extra:
        expected = expected[2:5]
    response = client.get("/api/products", query_string={"sort": sort, **extra}, headers=tokens("user"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert skus(response) == expected


@pytest.mark.parametrize("sort", ["category,nope", "category,-password_hash", "price,-price", "price,price",
                                  "category,", ",price", "category,,price", "-", "category,-", "--price"])
@pytest.mark.parametrize("resource", ["products", "customers", "users"])
def test_bad_multi_column_sorts_are_400(client, tokens, resource, sort):
    sort = sort.replace("category", "name").replace("price", "email") if resource != "products" else sort
    assert_problem(client.get(f"/api/{resource}", query_string={"sort": sort}, headers=tokens("admin")), 400)


def test_multi_column_sort_on_customers_and_users(app, client, tokens):
    from tests.factories import create_customer

    with app.app_context():
        for i, (name, company) in enumerate([("ann", "acme"), ("bob", "zeta"), ("ann", "zeta"), ("cy", "acme")]):
            create_customer(name=name, company=company, email=f"c{i}@example.com")
        for i, role in enumerate(["user", "manager", "user", "admin"]):
            create_user(f"uu{i}", role=role, full_name=f"f{i % 2}")
    h = tokens("admin", "the_admin")
    customers = client.get("/api/customers", query_string={"sort": "company,-name"}, headers=h).get_json()
    assert [(c["company"], c["name"]) for c in customers] == [("acme", "cy"), ("acme", "ann"), ("zeta", "bob"),
                                                              ("zeta", "ann")]
    users = client.get("/api/users", query_string={"sort": "-full_name,username", "q": "uu"}, headers=h).get_json()
    assert [u["username"] for u in users] == ["uu1", "uu3", "uu0", "uu2"]


def test_csv_export_follows_the_multi_column_sort(client, tokens, shelf):
    response = client.get("/api/products/export", query_string={"sort": "category,-price"}, headers=tokens("user"))
    assert response.status_code == 200
    lines = response.get_data(as_text=True).splitlines()[1:]
    assert [line.split(",")[1] for line in lines] == _python_sorted(shelf, "category,-price")


def test_the_documented_sort_names_the_allowed_fields(client):
    doc = client.get("/api/openapi.json").get_json()
    sort = next(p for p in doc["paths"]["/api/products"]["get"]["parameters"] if p["name"] == "sort")
    assert "category,-price" in sort["description"] and "reorder_level" in sort["description"]
    import re
    assert re.fullmatch(sort["schema"]["pattern"], "category,-price,id")
    assert not re.fullmatch(sort["schema"]["pattern"], "category,nope")


def test_unfiltered_statements_are_cached_per_tuple_of_sort_keys_and_bounded(app, client, tokens, shelf, monkeypatch):
    from erp_admin.api import listing
    from erp_admin.models import Product

    h = tokens("user")
    monkeypatch.setattr(listing, "_UNFILTERED", {})
    for sort in ("category,-price", " category , -price", "-price,category"):
        assert client.get("/api/products", query_string={"sort": sort}, headers=h).status_code == 200
    assert set(listing._UNFILTERED) == {(Product, (("category", False), ("price", True))),
                                        (Product, (("price", True), ("category", False)))}
    monkeypatch.setattr(listing, "UNFILTERED_CACHE_SIZE", 2)
    assert skus(client.get("/api/products", query_string={"sort": "sku"}, headers=h)) == sorted(r["sku"] for r in shelf)
    assert len(listing._UNFILTERED) == 2 and (Product, (("sku", False),)) in listing._UNFILTERED
