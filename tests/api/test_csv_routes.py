"""CSV over the API: POST /api/<res>/import (dry run, all-or-nothing, limits, bad files) and GET /api/<res>/export."""
from __future__ import annotations

import csv
import io

import pytest

from tests.api.conftest import assert_problem, bearer
from tests.conftest import issue_for
from tests.csvio.helpers import csv_bytes, customers, products
from tests.factories import create_customer, create_product

ROLES = ("user", "manager", "admin")
PRODUCTS_CSV = csv_bytes("sku,name,price,quantity", "A-1,Anvil,10.00,3", "B-2,Bucket,2.50,0")


def post_csv(client, resource, data, headers, *, dry_run=None, multipart=False):
    url = f"/api/{resource}/import" + (f"?dry_run={dry_run}" if dry_run is not None else "")
    if multipart:
        return client.post(url, data={"file": (io.BytesIO(data), "upload.csv")}, headers=headers,
                           content_type="multipart/form-data")
    return client.post(url, data=data, headers=headers, content_type="text/csv")


def rows_of(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.mark.parametrize("multipart", [False, True], ids=["text-csv", "multipart"])
def test_a_dry_run_reports_and_writes_nothing(app, client, tokens, multipart):
    response = post_csv(client, "products", PRODUCTS_CSV, tokens("user"), dry_run="true", multipart=multipart)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"created": 2, "updated": 0, "rejected": [], "ignored_columns": []}
    with app.app_context():
        assert products() == {}


@pytest.mark.parametrize("multipart", [False, True], ids=["text-csv", "multipart"])
def test_a_real_import_writes_and_reports(app, client, tokens, multipart):
    with app.app_context():
        create_product(sku="A-1", name="Old anvil", price="9.00")
    response = post_csv(client, "products", PRODUCTS_CSV, tokens("manager"), multipart=multipart)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"created": 1, "updated": 1, "rejected": [], "ignored_columns": []}
    with app.app_context():
        stored = products()
        assert stored["A-1"].name == "Anvil" and stored["A-1"].quantity == 3
        assert stored["B-2"].name == "Bucket"


def test_customers_import_and_unknown_columns(app, client, tokens):
    data = csv_bytes("Name;E-Mail;Shoe size", "Ada;ada@example.com;38")
    response = post_csv(client, "customers", data, tokens("user"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"created": 1, "updated": 0, "rejected": [], "ignored_columns": ["Shoe size"]}
    with app.app_context():
        assert list(customers()) == ["ada@example.com"]


def test_one_bad_row_is_a_422_carrying_the_report_and_nothing_is_written(app, client, tokens):
    data = csv_bytes("sku,name,price", "A-1,Anvil,10", "B-2,,abc", "C-3,Cup,1")
    response = post_csv(client, "products", data, tokens("user"))
    body = assert_problem(response, 422)
    report = body["report"]
    assert report["created"] == 2 and report["updated"] == 0
    assert {(r["line"], r["field"]) for r in report["rejected"]} == {(3, "name"), (3, "price")}
    assert all(e["message"].startswith("Line 3: ") for e in body["errors"])
    with app.app_context():
        assert products() == {}


def test_the_same_bad_file_as_a_dry_run_is_a_200_report(client, tokens):
    data = csv_bytes("sku,name,price", "A-1,Anvil,10", "B-2,,abc")
    response = post_csv(client, "products", data, tokens("user"), dry_run="true")
    assert response.status_code == 200
    assert {r["line"] for r in response.get_json()["rejected"]} == {3}


@pytest.fixture
def small_limits(make_app):
    return make_app(IMPORT_MAX_BYTES=300, IMPORT_MAX_ROWS=3)


@pytest.mark.parametrize("dry_run", ["true", "false"])
@pytest.mark.parametrize("multipart", [False, True], ids=["text-csv", "multipart"])
@pytest.mark.parametrize("what", ["bytes", "rows"])
def test_beyond_the_limits_is_a_413(small_limits, tokens, dry_run, multipart, what):
    headers = bearer(issue_for(small_limits, tokens.user("user"))["access_token"])
    if what == "rows":
        data = csv_bytes("sku,name,price", *(f"R-{i},P,1" for i in range(4)))
    else:
        data = csv_bytes("sku,name,price,description", "R-1,P,1," + "x" * 400)
    response = post_csv(small_limits.test_client(), "products", data, headers, dry_run=dry_run, multipart=multipart)
    assert_problem(response, 413)
    with small_limits.app_context():
        assert products() == {}


def test_a_body_far_beyond_the_limit_is_refused_before_reading(small_limits, client, tokens):
    headers = bearer(issue_for(small_limits, tokens.user("user"))["access_token"])
    data = b"sku,name,price\n" + b"R-1,P,1\n" * 20_000  # far beyond IMPORT_MAX_BYTES + the multipart allowance
    assert_problem(post_csv(small_limits.test_client(), "products", data, headers, dry_run="true"), 413)


@pytest.mark.slow  # a 30 000-row import
def test_the_default_limit_admits_more_than_the_json_body_limit(client, tokens, app):
    """The import route lifts API_MAX_BODY (1 MiB) to IMPORT_MAX_BYTES."""
    rows = [f"S-{i:06d},Product {i} {'x' * 30},1.00" for i in range(30_000)]
    data = csv_bytes("sku,name,price", *rows)
    assert app.config["API_MAX_BODY"] < len(data) < app.config["IMPORT_MAX_BYTES"]
    response = post_csv(client, "products", data, tokens("user"), dry_run="true")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["created"] == 30_000


@pytest.mark.parametrize("data,detail", [
    (b"sku,name,price\n\xff\xfe,bad,1\n", "UTF-8"),
    (b"", "empty"),
    (b"\n\n", "empty"),
    (b"{}", "names none of the products' columns"),
    (b"Article;Cost\nLamp;3\n", "names none of the products' columns"),
])
@pytest.mark.parametrize("dry_run", ["true", "false"])
def test_a_bad_file_is_a_400(client, tokens, data, detail, dry_run):
    body = assert_problem(post_csv(client, "products", data, tokens("user"), dry_run=dry_run), 400)
    assert detail in body["detail"]


def test_multipart_without_the_file_field_is_a_400(client, tokens):
    response = client.post("/api/products/import", data={"other": "x"}, headers=tokens("user"),
                           content_type="multipart/form-data")
    assert "file" in assert_problem(response, 400)["detail"]


def test_other_media_types_are_a_415(client, tokens):
    response = client.post("/api/products/import", json={"sku": "A"}, headers=tokens("user"))
    assert_problem(response, 415)


@pytest.mark.parametrize("value", ["yes", "1", "TRUE", ""])
def test_dry_run_must_be_true_or_false(client, tokens, value):
    assert_problem(post_csv(client, "products", PRODUCTS_CSV, tokens("user"), dry_run=value), 400)


# ---- export ----------------------------------------------------------------------------


def test_export_is_a_streamed_csv_attachment_with_neutralised_formulas(app, client, tokens):
    with app.app_context():
        create_product(sku="F-1", name="=HYPERLINK(\"http://evil\")", price="1.00", category="@risk")
    response = client.get("/api/products/export", headers=tokens("user"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.is_streamed
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=\"products-") and disposition.endswith('.csv"')
    [row] = rows_of(response)
    assert row["name"] == "'=HYPERLINK(\"http://evil\")" and row["category"] == "'@risk"


def test_export_applies_the_lists_search_filters_and_sort(app, client, tokens):
    with app.app_context():
        create_product(sku="K-1", name="Kettle", price="20", category="Kitchen", quantity=1, reorder_level=5)
        create_product(sku="K-2", name="Knife", price="5", category="Kitchen", quantity=9, reorder_level=1)
        create_product(sku="G-1", name="Garden hose", price="15", category="Garden", quantity=0, reorder_level=2)
    headers = tokens("user")

    def skus(query):
        response = client.get(f"/api/products/export?{query}", headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        return [r["sku"] for r in rows_of(response)]

    assert skus("") == ["K-1", "K-2", "G-1"]
    assert skus("category=Kitchen") == ["K-1", "K-2"]
    assert skus("low_stock=true") == ["K-1", "G-1"]
    assert skus("q=kni") == ["K-2"]
    assert skus("sort=-price") == ["K-1", "G-1", "K-2"]
    assert skus("category=Kitchen&low_stock=false") == ["K-2"]
    # The list route's own answer for the same selection: one parser for both.
    listed = client.get("/api/products?category=Kitchen&sort=-name", headers=headers).get_json()
    assert skus("category=Kitchen&sort=-name") == [p["sku"] for p in listed]


@pytest.mark.parametrize("query", ["low_stock=maybe", "sort=password", "q=" + "x" * 201])
def test_bad_export_arguments_are_a_400(client, tokens, query):
    assert_problem(client.get(f"/api/products/export?{query}", headers=tokens("user")), 400)


def test_customers_export_searches(app, client, tokens):
    with app.app_context():
        create_customer(name="Ada", email="ada@example.com", phone="+1 555 0100")
        create_customer(name="Bob", email="bob@example.com", company="Acme")
    response = client.get("/api/customers/export?q=acme", headers=tokens("user"))
    assert [r["email"] for r in rows_of(response)] == ["bob@example.com"]
    full = rows_of(client.get("/api/customers/export", headers=tokens("user")))
    assert full[0]["phone"] == "'+1 555 0100"


@pytest.mark.parametrize("resource", ["products", "customers"])
def test_round_trip_export_then_dry_run_import_changes_nothing(app, client, tokens, resource):
    with app.app_context():
        create_product(sku="R-1", name="-minus", price="1.10", description="a\nb", quantity=4, reorder_level=2)
        create_product(sku="R-2", name="Plain", price="0.00", category=None)
        create_customer(name="Ada", email="ada@example.com", phone="+1 555 0100", address="1 Road\nTown")
        create_customer(name="=Bob", email="bob@example.com")
    headers = tokens("user")
    exported = client.get(f"/api/{resource}/export", headers=headers)
    assert exported.status_code == 200
    response = post_csv(client, resource, exported.get_data(), headers, dry_run="true")
    assert response.status_code == 200
    assert response.get_json() == {"created": 0, "updated": 0, "rejected": [], "ignored_columns": []}


# ---- the role matrix -------------------------------------------------------------------

ROUTES = [
    ("POST", "/api/products/import", "products", "import"),
    ("POST", "/api/customers/import", "customers", "import"),
    ("GET", "/api/products/export", "products", "export"),
    ("GET", "/api/customers/export", "customers", "export"),
]
FILES = {"products": csv_bytes("name,price", "Matrix lamp,1"),
         "customers": csv_bytes("name,email", "Matrix,matrix@example.com")}


@pytest.mark.parametrize("role", (None, *ROLES), ids=lambda r: r or "anonymous")
@pytest.mark.parametrize("method,path,resource,verb", ROUTES, ids=[f"{r[0]} {r[1]}" for r in ROUTES])
def test_role_matrix(client, tokens, role, method, path, resource, verb):
    from erp_admin.auth.roles import can

    headers = tokens(role)
    if method == "POST":
        response = client.post(path + "?dry_run=true", data=FILES[resource], headers=headers, content_type="text/csv")
    else:
        response = client.get(path, headers=headers)
    if role is None:
        assert_problem(response, 401)
    elif can(role, resource, verb):
        assert response.status_code == 200, response.get_data(as_text=True)
    else:
        assert_problem(response, 403)


@pytest.mark.parametrize("method,path,resource,verb", ROUTES, ids=[f"{r[0]} {r[1]}" for r in ROUTES])
def test_a_role_without_the_verb_is_refused(client, tokens, monkeypatch, method, path, resource, verb):
    """Import and export follow the matrix's own verbs: taking one away refuses the route."""
    from erp_admin.auth import roles

    changed = {role: tuple(v for v in verbs if v != verb) for role, verbs in roles.ROLE_MATRIX[resource].items()}
    monkeypatch.setitem(roles.ROLE_MATRIX, resource, changed)
    if method == "POST":
        response = client.post(path + "?dry_run=true", data=FILES[resource], headers=tokens("admin"),
                               content_type="text/csv")
    else:
        response = client.get(path, headers=tokens("admin"))
    assert_problem(response, 403)


def test_the_routes_are_documented(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for resource in ("products", "customers"):
        imp = paths[f"/api/{resource}/import"]["post"]
        assert set(imp["requestBody"]["content"]) == {"text/csv", "multipart/form-data"}
        assert {"200", "400", "413", "415", "422"} <= set(imp["responses"])
        assert "report" in str(imp["responses"]["422"])
        exp = paths[f"/api/{resource}/export"]["get"]
        assert "text/csv" in exp["responses"]["200"]["content"]
        assert "limit" not in {p["name"] for p in exp["parameters"]}
    assert {"q", "category", "low_stock", "sort"} <= {p["name"] for p in paths["/api/products/export"]["get"]["parameters"]}
