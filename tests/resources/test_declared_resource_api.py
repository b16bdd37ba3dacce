"""A resource declared in a test file alone gets its whole API: CRUD, ETags, idempotency, CSV, OpenAPI, roles, audit.

The Supplier model, schema, serializer and declaration are those of
tests/admin/test_declared_resource.py; nothing in erp_admin/ knows suppliers.
The declaration is made before the app is built (each test here builds its own).
"""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from erp_admin.extensions import db
from erp_admin.resources import declare, undeclare
from tests.admin.test_declared_resource import (  # noqa: F401 (suppliers is a fixture)
    SUPPLIER_FIELDS, Supplier, audit_trail, supplier_resource, suppliers,
)
from tests.api.conftest import assert_problem
from tests.conftest import bearer, empty_database, issue_for, test_config, user_in

pytestmark = pytest.mark.own_app
ACME = {"name": "Acme Parts", "email": "Sales@Acme.example", "rating": 4}
BOLT = {"name": "Bolt", "email": "b@bolt.example"}


@pytest.fixture
def app(suppliers, app):
    # The declaration must exist before the app (and its API) is built: the own_app is built after it.
    return app


def count_suppliers(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Supplier))


def test_crud_with_paging_etags_and_idempotency(app, client, tokens):
    h = tokens("manager")
    created = client.post("/api/suppliers", json=ACME, headers={**h, "Idempotency-Key": "acme-1"})
    assert created.status_code == 201, created.get_data(as_text=True)
    acme = created.get_json()
    assert list(acme) == list(SUPPLIER_FIELDS)
    assert (acme["email"], acme["rating"], acme["notes"], acme["version"]) == ("sales@acme.example", 4, None, 1)
    assert created.headers["Location"] == f"http://localhost/api/suppliers/{acme['id']}"
    assert created.headers["ETag"] == '"1"'
    replay = client.post("/api/suppliers", json=ACME, headers={**h, "Idempotency-Key": "acme-1"})
    assert (replay.status_code, replay.get_json()) == (201, acme)
    assert replay.headers["Location"] == created.headers["Location"] and count_suppliers(app) == 1
    assert client.post("/api/suppliers", json=BOLT, headers=h).get_json()["rating"] == 3  # the schema's default

    page = client.get("/api/suppliers?sort=name&limit=1", headers=h)
    assert page.status_code == 200 and [s["name"] for s in page.get_json()] == ["Acme Parts"]
    assert page.headers["X-Total-Count"] == "2" and 'rel="next"' in page.headers["Link"]
    assert [s["name"] for s in client.get("/api/suppliers?q=BOLT", headers=h).get_json()] == ["Bolt"]

    item = f"/api/suppliers/{acme['id']}"
    read = client.get(item, headers=h)
    assert (read.get_json(), read.headers["ETag"]) == (acme, '"1"')
    updated = client.patch(item, json={"rating": 5}, headers={**h, "If-Match": '"1"'})
    assert updated.status_code == 200 and updated.get_json()["rating"] == 5 and updated.headers["ETag"] == '"2"'
    stale = client.put(item, json={"notes": "late"}, headers={**h, "If-Match": '"1"'})
    assert_problem(stale, 412)
    assert stale.headers["ETag"] == '"2"' and client.get(item, headers=h).get_json()["notes"] is None
    assert_problem(client.post("/api/suppliers", json={**BOLT, "rating": 9}, headers=h), 422)
    assert_problem(client.post("/api/suppliers", json={"name": "Dup", "email": "B@bolt.example"}, headers=h), 409)

    assert client.delete(item, headers={**h, "If-Match": '"2"'}).status_code == 204
    assert_problem(client.get(item, headers=h), 404)
    assert audit_trail(app) == [("create", "manager_api", "api"), ("create", "manager_api", "api"),
                                ("update", "manager_api", "api"), ("delete", "manager_api", "api")]


def test_csv_export_then_import_round_trip(app, client, tokens):
    h = tokens("manager")
    for body in (ACME, BOLT):
        assert client.post("/api/suppliers", json=body, headers=h).status_code == 201
    exported = client.get("/api/suppliers/export?sort=name", headers=h)
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    reader = csv.DictReader(io.StringIO(exported.get_data(as_text=True)))
    rows = list(reader)
    assert [r["email"] for r in rows] == ["sales@acme.example", "b@bolt.example"]

    rows[0]["rating"] = "1"  # matched by the import key, email: an update
    rows.append({**dict.fromkeys(reader.fieldnames, ""), "name": "Cog", "email": "c@cog.example", "rating": "2"})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames)
    writer.writeheader()
    writer.writerows(rows)
    imported = client.post("/api/suppliers/import", data=out.getvalue().encode(), headers=h, content_type="text/csv")
    assert imported.status_code == 200, imported.get_data(as_text=True)
    report = imported.get_json()
    assert (report["created"], report["updated"], report["rejected"]) == (1, 1, [])

    listed = {s["email"]: s["rating"] for s in client.get("/api/suppliers", headers=h).get_json()}
    assert listed == {"sales@acme.example": 1, "b@bolt.example": 3, "c@cog.example": 2}
    assert audit_trail(app)[2:] == [("update", "manager_api", "api"), ("create", "manager_api", "api")]


def test_a_role_without_the_verb_is_refused(app, client, tokens):
    manager = tokens("manager")
    acme = client.post("/api/suppliers", json=ACME, headers=manager).get_json()
    item = f"/api/suppliers/{acme['id']}"
    h = tokens("user")  # may read suppliers, nothing more
    assert client.get("/api/suppliers", headers=h).status_code == 200
    assert client.get(item, headers=h).status_code == 200
    for method, path in (("POST", "/api/suppliers"), ("PATCH", item), ("PUT", item), ("DELETE", item),
                         ("POST", "/api/suppliers/import"), ("GET", "/api/suppliers/export")):
        assert_problem(client.open(path, method=method, json=BOLT, headers=h), 403)
    assert count_suppliers(app) == 1 and len(audit_trail(app)) == 1
    permissions = client.get("/api/auth/me", headers=h).get_json()["permissions"]
    assert permissions["suppliers"] == ["read"]


def test_its_schemas_and_paths_are_in_the_openapi_document(client):
    doc = client.get("/api/openapi.json").get_json()
    paths, components = doc["paths"], doc["components"]
    assert set(paths["/api/suppliers"]) == {"get", "post"}
    assert set(paths["/api/suppliers/{id}"]) == {"get", "put", "patch", "delete"}
    assert "post" in paths["/api/suppliers/import"] and "get" in paths["/api/suppliers/export"]
    create = paths["/api/suppliers"]["post"]
    assert create["requestBody"] == {"$ref": "#/components/requestBodies/SupplierCreate"}
    assert create["operationId"] == "api_suppliers_create" and "Role matrix: suppliers / create." in create["description"]
    assert {p["name"] for p in create["parameters"]} == {"Idempotency-Key"}
    assert paths["/api/suppliers/{id}"]["patch"]["requestBody"] == {"$ref": "#/components/requestBodies/SupplierUpdate"}
    listed = paths["/api/suppliers"]["get"]["responses"]["200"]
    assert listed["content"]["application/json"]["schema"] == {"type": "array",
                                                               "items": {"$ref": "#/components/schemas/Supplier"}}
    assert set(listed["headers"]) == {"X-Total-Count", "Link"}

    supplier = components["schemas"]["Supplier"]
    assert list(supplier["properties"]) == list(SUPPLIER_FIELDS)
    assert {f for f, p in supplier["properties"].items() if p.get("readOnly")} == {"id", "created_at", "updated_at",
                                                                                   "version"}
    new = components["requestBodies"]["SupplierCreate"]["content"]["application/json"]["schema"]
    assert new["required"] == ["email", "name"] and new["properties"]["rating"]["default"] == 3
    change = components["requestBodies"]["SupplierUpdate"]["content"]["application/json"]["schema"]
    assert set(change["properties"]) == {"name", "email", "rating", "notes"} and "required" not in change
    assert "default" not in change["properties"]["rating"]
    assert "supplier" in components["schemas"]["AuditEntry"]["properties"]["entity"]["enum"]
    entity = next(p for p in paths["/api/audit-log"]["get"]["parameters"] if p["name"] == "entity")
    assert "supplier" in entity["schema"]["enum"]


def test_its_audit_entries_are_served_and_tailed(app, client, tokens):
    acme = client.post("/api/suppliers", json=ACME, headers=tokens("manager")).get_json()
    entries = client.get("/api/audit-log?entity=supplier", headers=tokens("admin")).get_json()
    assert [(e["action"], e["entity_id"]) for e in entries] == [("create", acme["id"])]
    tail = app.test_cli_runner().invoke(args=["erp", "audit-tail", "--entity", "supplier"])
    assert tail.exit_code == 0, tail.output
    assert f"create       supplier {acme['id']}" in tail.output


def test_the_command_line_exports_and_imports_it(app, client, tokens, tmp_path):
    assert client.post("/api/suppliers", json=ACME, headers=tokens("manager")).status_code == 201
    runner = app.test_cli_runner()
    exported = runner.invoke(args=["erp", "export-csv", "suppliers"])
    assert exported.exit_code == 0, exported.output
    assert "sales@acme.example" in exported.output
    path = tmp_path / "suppliers.csv"
    path.write_text("name,email,rating\nCog,c@cog.example,2\n")
    imported = runner.invoke(args=["erp", "import-csv", "suppliers", str(path)])
    assert imported.exit_code == 0, imported.output
    assert "1 created, 0 updated" in imported.output and count_suppliers(app) == 2
    assert audit_trail(app)[-1] == ("create", None, "cli")


def test_after_undeclare_a_new_app_has_none_of_it(database_url, instance_path):
    from erp_admin import create_app

    declare(supplier_resource())
    try:
        declared_app = create_app(test_config(database_url, instance_path))
    finally:
        undeclare("suppliers")
    app = create_app(test_config(database_url, instance_path))
    try:
        assert "api.suppliers_list" in declared_app.view_functions
        assert not [e for e in app.view_functions if "suppliers" in e]
        client = app.test_client()
        h = bearer(issue_for(app, user_in(app, "admin"))["access_token"])
        assert_problem(client.get("/api/suppliers", headers=h), 404)
        assert_problem(client.get("/api/suppliers/export", headers=h), 404)
        assert "suppliers" not in client.get("/api/auth/me", headers=h).get_json()["permissions"]
        assert_problem(client.get("/api/audit-log?entity=supplier", headers=h), 400)
        doc = client.get("/api/openapi.json").get_json()
        assert not [p for p in doc["paths"] if "suppliers" in p]
        assert "Supplier" not in doc["components"]["schemas"]
        assert not [b for b in doc["components"]["requestBodies"] if b.startswith("Supplier")]
        assert "supplier" not in doc["components"]["schemas"]["AuditEntry"]["properties"]["entity"]["enum"]
        runner = app.test_cli_runner()
        assert runner.invoke(args=["erp", "audit-tail", "--entity", "supplier"]).exit_code != 0
        assert runner.invoke(args=["erp", "export-csv", "suppliers"]).exit_code != 0
    finally:
        empty_database(app)
        empty_database(declared_app)
