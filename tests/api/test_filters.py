"""Column filters on the lists: `field[op]=value` per the declaration, checked against the same filter in Python."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from erp_admin.extensions import db
from erp_admin.models import Customer, Product, User
from erp_admin.resources import resource
from tests.api.conftest import assert_problem
from tests.factories import create_customer, create_product, create_user

# The operators each kind of field takes (AG Grid's column filters).
_ORDERED = ("eq", "ne", "gt", "gte", "lt", "lte", "in")
OPERATORS = {"decimal": _ORDERED, "integer": _ORDERED, "datetime": _ORDERED, "boolean": ("eq", "ne", "in"),
             "choice": ("eq", "ne", "in"), "string": ("eq", "ne", "contains", "startswith", "in")}
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
MODELS = {"products": Product, "customers": Customer, "users": User}


def _stamp(model, times: dict[int, tuple[datetime, datetime | None]], second: str) -> None:
    """Give records fixed created_at and a second time column (ties on purpose)."""
    for id_, (created, other) in times.items():
        record = db.session.get(model, id_)
        record.created_at = created
        setattr(record, second, other)
    db.session.commit()


def _seed_products() -> None:
    specs = [("A-1", "Drill 100%", "Tools", "10.00", 5, 5), ("A-2", "drill_bit", "Tools", "10.00", 0, 2),
             ("B-1", "Rake", "Garden", "49.99", 12, 5), ("B-2", "Hose, green", "Garden", "50.00", 12, 0),
             ("C-1", "Cordless DRILL", None, "0.00", 3, 3), ("C-2", "Lamp", "Tools, Garden", "9.99", 7, 10),
             ("D-1", "Drillx", "tools", "1000000.50", 2_000_000_000, 0)]
    ids = [create_product(sku=s, name=n, category=c, price=Decimal(p), quantity=q, reorder_level=r).id
           for s, n, c, p, q, r in specs]
    day = timedelta(days=1)
    _stamp(Product, {ids[0]: (T0, T0), ids[1]: (T0, T0 + day), ids[2]: (T0 + day, T0 + day),
                     ids[3]: (T0 + day, T0), ids[4]: (T0 + 2 * day, T0 + 3 * day),
                     ids[5]: (T0 + 3 * day, T0 + 3 * day), ids[6]: (T0 + 3 * day, T0 + 2 * day)}, "updated_at")


def _seed_customers() -> None:
    specs = [("Ada", "ada@example.com", "Acme"), ("ada", "ada2@example.org", "Acme"), ("Bob 50%", "bob@example.com", None),
             ("Cy_d", "cy@example.net", "Acme, Inc"), ("Dee", "dee@example.com", "acme")]
    ids = [create_customer(name=n, email=e, company=c).id for n, e, c in specs]
    day = timedelta(days=1)
    _stamp(Customer, {ids[0]: (T0, T0), ids[1]: (T0, T0 + day), ids[2]: (T0 + day, T0 + day),
                      ids[3]: (T0 + 2 * day, T0), ids[4]: (T0 + 2 * day, T0 + 2 * day)}, "updated_at")


def _seed_users() -> None:
    specs = [("alice", "admin", True), ("bob_1", "manager", True), ("carol", "user", False), ("dave", "user", True),
             ("Eve.x", "manager", False)]
    ids = [create_user(u, role=r, is_active=a).id for u, r, a in specs]
    day = timedelta(days=1)
    _stamp(User, {ids[0]: (T0, T0), ids[1]: (T0, None), ids[2]: (T0 + day, T0 + day), ids[3]: (T0 + 2 * day, None),
                  ids[4]: (T0 + 2 * day, T0 + 2 * day)}, "last_login_at")
    # The signed-in user too: its microseconds would not survive the API's millisecond times.
    for user in db.session.scalars(select(User).where(User.id.not_in(ids))):
        user.created_at = T0 + 5 * day
    db.session.commit()


SEEDS = {"products": _seed_products, "customers": _seed_customers, "users": _seed_users}


def _typed(kind, raw: str):
    """A query value read as Python reads it (the reference the API is compared with)."""
    if kind == "decimal":
        return Decimal(raw)
    if kind == "integer":
        return int(raw)
    if kind == "datetime":
        value = datetime.fromisoformat(raw)
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)  # no offset means UTC
    if kind == "boolean":
        return raw == "true"
    return raw


def _value(kind, json_value):
    if json_value is None:
        return None
    if kind == "decimal":
        return Decimal(str(json_value))
    if kind == "datetime":
        return datetime.fromisoformat(json_value)
    return json_value


def _matches(value, op: str, arg) -> bool:
    if op == "ne":
        return value != arg  # a missing value is not equal either
    if value is None:
        return False
    if op == "in":
        return value in arg
    if op == "contains":
        return arg.lower() in value.lower()
    if op == "startswith":
        return value.lower().startswith(arg.lower())
    return {"eq": value == arg, "gt": value > arg, "gte": value >= arg, "lt": value < arg, "lte": value <= arg}[op]


def _raw(kind, value) -> str:
    if kind == "datetime":
        return value.isoformat().replace("+00:00", "Z")
    if kind == "boolean":
        return "true" if value else "false"
    return str(value)


def _samples(kind, values: list) -> list[str]:
    """Values to filter by: every stored one (ties included), and some between or beside them."""
    if isinstance(kind, tuple):
        return list(kind)
    if kind == "boolean":
        return ["true", "false"]
    present = sorted({v for v in values if v is not None})
    raws = [_raw(kind, v) for v in present]
    if kind == "string":
        raws += [present[0][:3].upper(), present[-1][1:3].lower(), "%", "_", "nothing-like-it"]
    elif kind == "decimal":
        raws += [str(present[0] + Decimal("0.005")), "-1", "1e3"]
    elif kind == "integer":
        raws += [str(present[1] + 1), "-5"]
    else:
        raws += [_raw(kind, present[0] + timedelta(hours=12)), "2026-01-02"]
    return raws


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return sorted(r["id"] for r in response.get_json())


def _escape(raw: str) -> str:
    return raw.replace("\\", "\\\\").replace(",", "\\,")


@pytest.mark.parametrize("name", ["products", "customers", "users"])
def test_every_operator_of_every_field_matches_the_same_filter_in_python(app, client, tokens, name):
    headers = tokens("admin")  # users may only be listed by managers and admins
    with app.app_context():
        SEEDS[name]()
    rows = client.get(f"/api/{name}?limit=1000", headers=headers).get_json()
    declared = resource(name).filters
    checked = 0
    for field, kind in declared.items():
        kind_name = "choice" if isinstance(kind, tuple) else kind
        values = {r["id"]: _value(kind_name, r[field]) for r in rows}
        samples = _samples(kind, list(values.values()))
        for op in OPERATORS[kind_name]:
            cases = [[s] for s in samples] if op != "in" else [samples[:2], samples[1:4], samples[-1:]]
            for case in cases:
                raw = ",".join(_escape(s) for s in case) if op == "in" else case[0]
                arg = {_typed(kind_name, s) for s in case} if op == "in" else _typed(kind_name, case[0])
                expected = sorted(i for i, v in values.items() if _matches(v, op, arg))
                got = _ids(client.get(f"/api/{name}?" + urlencode({f"{field}[{op}]": raw}), headers=headers))
                assert got == expected, (field, op, raw)
                if op == "eq":  # the plain parameter is the exact filter of old
                    assert _ids(client.get(f"/api/{name}?" + urlencode({field: raw}), headers=headers)) == expected
                checked += 1
    assert checked > 40


@pytest.fixture
def products(app):
    with app.app_context():
        _seed_products()


def _skus(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return [p["sku"] for p in response.get_json()]


def test_a_range_with_q_sort_and_paging(client, tokens, products):
    h = tokens("user")
    everything = _skus(client.get("/api/products?price[gte]=10&price[lt]=50&sort=-price,sku", headers=h))
    assert everything == ["B-1", "A-1", "A-2"]
    page = client.get("/api/products?price[gte]=10&price[lt]=50&sort=-price,sku&limit=2&offset=1", headers=h)
    assert _skus(page) == ["A-1", "A-2"] and page.headers["X-Total-Count"] == "3"
    assert "price%5Bgte%5D=10" in page.headers["Link"] and 'rel="prev"' in page.headers["Link"]
    assert _skus(client.get("/api/products?q=drill&price[gte]=10&sort=sku", headers=h)) == ["A-1", "A-2", "D-1"]
    assert _skus(client.get("/api/products?q=dri&quantity[gt]=0&sort=id", headers=h)) == ["A-1", "C-1", "D-1"]


def test_in_takes_a_set_and_an_escaped_comma(client, tokens, products):
    h = tokens("user")
    assert _skus(client.get("/api/products?category[in]=Tools,Garden&sort=sku", headers=h)) == ["A-1", "A-2", "B-1", "B-2"]
    assert _skus(client.get("/api/products?category[in]=Tools%5C,%20Garden&sort=sku", headers=h)) == ["C-2"]
    assert _skus(client.get("/api/products?quantity[in]=12,0&sort=sku", headers=h)) == ["A-2", "B-1", "B-2"]


def test_contains_and_startswith_are_literal_and_case_insensitive(client, tokens, products):
    h = tokens("user")
    assert _skus(client.get("/api/products?name[contains]=100%25", headers=h)) == ["A-1"]
    assert _skus(client.get("/api/products?name[contains]=_", headers=h)) == ["A-2"]
    assert _skus(client.get("/api/products?name[startswith]=DRILL&sort=sku", headers=h)) == ["A-1", "A-2", "D-1"]
    assert _skus(client.get("/api/products?name[contains]=drill&name[startswith]=c", headers=h)) == ["C-1"]


def test_every_parameter_applies_and_old_filters_still_work(client, tokens, products):
    h = tokens("user")
    assert _skus(client.get("/api/products?category=Tools&low_stock=true&sort=sku", headers=h)) == ["A-1", "A-2"]
    assert _skus(client.get("/api/products?quantity[gte]=5&low_stock=true&sort=sku", headers=h)) == ["A-1", "C-2"]
    assert _skus(client.get("/api/products?price[gt]=1&price[gt]=20&sort=sku", headers=h)) == ["B-1", "B-2", "D-1"]
    assert _skus(client.get("/api/products?low_stock[ne]=true&sort=sku", headers=h)) == ["B-1", "B-2", "D-1"]


@pytest.mark.parametrize("query, words", [
    ("nope[eq]=1", "Unknown filter field"), ("password_hash[eq]=x", "Unknown filter field"),
    ("description[contains]=x", "Unknown filter field"),
    ("price[like]=1", "Unknown filter operator"), ("price[]=1", "Unknown filter operator"),
    ("price[contains]=1", "no operator"), ("category[gt]=a", "no operator"), ("low_stock[gte]=true", "no operator"),
    ("price[gte=1", "Malformed"), ("price]=1", "Malformed"),
    ("price[gte]=abc", "decimal"), ("price[gte]=NaN", "decimal"), ("price[gte]=Infinity", "decimal"),
    ("price[gte]=1e400", "decimal"), ("price[lt]=" + "9" * 40, "decimal"), ("price[eq]=", "decimal"),
    ("price[in]=1,,2", "decimal"), ("quantity[gt]=1.5", "whole number"), ("quantity[gt]=2147483648", "whole number"),
    ("quantity[in]=1,x", "whole number"), ("created_at[gte]=yesterday", "ISO 8601"),
    ("name[eq]=a%00b", "NUL"), ("name[in]=a,b%00", "NUL"), ("name[contains]=" + "x" * 201, "200"),
    ("low_stock[eq]=maybe", "true or false"), ("category[in]=" + ",".join(["a"] * 101), "at most 100"),
])
def test_bad_filters_are_400_saying_what_is_wrong(client, tokens, products, query, words):
    body = assert_problem(client.get(f"/api/products?{query}", headers=tokens("user")), 400)
    assert words in body["detail"]


def test_a_choice_field_takes_only_its_values(client, tokens, app):
    with app.app_context():
        _seed_users()
    h = tokens("admin")
    assert "role[in] must be one of" in assert_problem(client.get("/api/users?role[in]=admin,king", headers=h), 400)["detail"]
    assert "no operator" in assert_problem(client.get("/api/users?role[contains]=adm", headers=h), 400)["detail"]
    names = {u["username"] for u in client.get("/api/users?role[in]=manager,admin&is_active=true", headers=h).get_json()}
    assert {"alice", "bob_1"} <= names and not {"carol", "dave", "Eve.x"} & names


def test_the_openapi_document_lists_every_filter_with_its_operators(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for path in ("/api/products", "/api/products/export"):
        params = {p["name"]: p for p in paths[path]["get"]["parameters"]}
        for name in ("category", "price[gte]", "price[lt]", "name[contains]", "sku[startswith]", "created_at[lte]",
                     "low_stock[ne]", "quantity[in]"):
            assert name in params, (path, name)
        assert "price[contains]" not in params and "low_stock[gt]" not in params
        assert params["price[gte]"]["schema"]["type"] == "number"
        assert params["quantity[gt]"]["schema"]["type"] == "integer"
        assert params["created_at[gt]"]["schema"]["format"] == "date-time"
        in_param = params["category[in]"]
        assert in_param["schema"]["type"] == "array" and in_param["style"] == "form" and in_param["explode"] is False
    customers = {p["name"] for p in paths["/api/customers"]["get"]["parameters"]}
    assert {"email[startswith]", "company[in]", "updated_at[gte]"} <= customers
    users = {p["name"] for p in paths["/api/users"]["get"]["parameters"]}
    assert {"role[in]", "is_active[ne]", "last_login_at[lt]", "username[contains]"} <= users


def test_the_csv_export_takes_the_same_filters(client, tokens, products):
    response = client.get("/api/products/export?price[gte]=10&price[lt]=50&name[contains]=_&sort=sku",
                          headers=tokens("user"))
    assert response.status_code == 200
    assert [row["sku"] for row in csv.DictReader(io.StringIO(response.get_data(as_text=True)))] == ["A-2"]
    assert_problem(client.get("/api/products/export?price[gte]=x", headers=tokens("user")), 400)


@pytest.mark.parametrize("query, index", [("price[gte]=10&price[lt]=50", "ix_products_price"),
                                          ("category[in]=Tools,Garden", "ix_products_category"),
                                          ("quantity[eq]=3", "ix_products_quantity"),
                                          ("name[eq]=Rake", "ix_products_name")])
def test_comparisons_on_an_indexed_column_use_its_index(app, products, query, index):
    from erp_admin.api.listing import filtered
    from erp_admin.api.records import api_of

    api = api_of(resource("products"))
    with app.test_request_context(f"/api/products?{query}"):
        statement = filtered(select(Product.id), api.list_spec)
        sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
        with db.engine.connect() as connection:
            if db.engine.dialect.name == "postgresql":
                connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a tiny table is cheaper to scan
                plan = connection.exec_driver_sql("EXPLAIN " + sql).scalars().all()
            else:
                plan = [row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
    assert any(index in line for line in plan), plan
