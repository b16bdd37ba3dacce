"""Substring search: literal, case-insensitive, and kept in step with every write."""
import pytest
from sqlalchemy import select

from erp_admin.extensions import db
from erp_admin.models import Customer, Product
from erp_admin.db.search import escape_like, pg_document, search_clause
from erp_admin.resources import resource as declared_resource
from tests.factories import create_customer, create_product


def _search(model, resource, q):
    clause = search_clause(model, declared_resource(resource).search, q, db.engine.dialect.name)
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
    ("1lamp", []),                    # sku "LAMP-1" + name "Desk Lamp": never across two columns
    ("lampl", []),                    # name "Desk Lamp" + category "Lighting"
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


@pytest.fixture
def shelf(app):
    names = ["Drill press", "Cordless drill", "Desk lamp", "Lamp shade", 'Quote "drill"', "Kettle", "DRILL bits"]
    with app.app_context():
        for i in range(40):
            create_product(sku=f"SH-{i:03d}", name=names[i % len(names)], category=("Tools", "Home")[i % 2],
                           price="1.00", quantity=i % 4, reorder_level=1)
        return {p.id: (p.sku, p.name, p.category) for p in db.session.scalars(select(Product))}


@pytest.mark.parametrize("q", ["drill", "LAMP", '"drill"', "sh-01", "ools", "zz", "nothing here"])
@pytest.mark.parametrize("sort", ["id", "-id"])
def test_a_search_alone_pages_and_counts_exactly(app, make_user, shelf, q, sort):
    """q alone in id order is served by the index alone: same rows, order and total as a substring filter."""
    from tests.api.conftest import TokenFactory

    expected = sorted((pid for pid, fields in shelf.items() if any(q.lower() in (f or "").lower() for f in fields)),
                      reverse=sort == "-id")
    headers = TokenFactory(app, make_user)("user")
    client = app.test_client()
    seen = []
    for offset in range(0, 45, 7):
        response = client.get("/api/products", query_string={"q": q, "sort": sort, "limit": 7, "offset": offset},
                              headers=headers)
        assert response.status_code == 200
        assert response.headers["X-Total-Count"] == str(len(expected))
        seen += [p["id"] for p in response.get_json()]
    assert seen == expected


def test_a_search_alone_reads_no_product_row_to_count_on_sqlite(app, make_user, shelf):
    from sqlalchemy import event

    from tests.api.conftest import TokenFactory

    headers = TokenFactory(app, make_user)("user")
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda conn, cursor, sql, params, context, many: statements.append(sql)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = app.test_client().get("/api/products?q=drill&limit=3", headers=headers)
        filtered = app.test_client().get("/api/products?q=drill&category=Tools&limit=3", headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200 and filtered.status_code == 200
    counts = [sql for sql in statements if "count(" in sql.lower()]
    assert len(counts) == 2
    if engine.dialect.name == "sqlite":
        assert "products_search" in counts[0] and "FROM products " not in counts[0] + " "
        assert "category" in counts[1]  # with a filter, the general form (a join with the table)



def test_the_postgresql_index_and_the_query_use_one_expression():
    # PostgreSQL uses an expression index only for an identical expression: migration 0007 holds a copy.
    import importlib.util
    from pathlib import Path

    import erp_admin
    path = Path(erp_admin.__file__).parent / "migrations" / "versions" / "0007_search_document.py"
    spec = importlib.util.spec_from_file_location("migration_0007", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    def document_of(name):
        declaration = declared_resource(name)
        return pg_document([getattr(declaration.model, c).property.columns[0] for c in declaration.search])

    assert migration.DOCUMENTS == {name: document_of(name) for name in migration.DOCUMENTS}


@pytest.mark.parametrize(("resource", "model"), [("products", Product), ("customers", Customer)])
def test_postgresql_serves_a_search_from_the_document_index(app, resource, model):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":  # the SQLite pass: its FTS5 table serves products
            assert "MATCH" in str(search_clause(Product, ("sku", "name", "category"), "drill", "sqlite"))
            return
        columns = declared_resource(resource).search
        statement = select(model.id).where(search_clause(model, columns, "drill", "postgresql"))
        compiled = statement.compile(db.engine)
        conn = db.session.connection()
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a tiny test table: make the index the choice
        plan = "\n".join(row[0] for row in conn.exec_driver_sql(
            f"EXPLAIN {compiled.string}", {k: v for k, v in compiled.params.items()}).all())
        db.session.rollback()
    assert f"ix_{resource}_search_trgm" in plan, plan
