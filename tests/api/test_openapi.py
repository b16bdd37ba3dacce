"""The OpenAPI document: generated from the registry and the validating schemas, covering every route."""
from __future__ import annotations

from erp_admin.api.openapi import openapi_path


def test_document_is_openapi_3_with_bearer_scheme(client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert doc["paths"]["/api/products"]["get"]["security"] == [{"bearerAuth": []}]
    assert doc["paths"]["/api/auth/login"]["post"]["security"] == []


def test_every_api_url_rule_is_documented(app, client):
    doc = client.get("/api/openapi.json").get_json()
    missing = []
    for rule in app.url_map.iter_rules():
        if not (rule.rule == "/api" or rule.rule.startswith("/api/")):
            continue
        path = openapi_path(rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in doc["paths"].get(path, {}):
                missing.append(f"{method} {path}")
    assert missing == []
    documented = {(p, m) for p, item in doc["paths"].items() for m in item}
    assert len(documented) >= 27


def test_request_bodies_are_the_validation_schemas(client):
    from erp_admin.schemas import ProductSchema

    doc = client.get("/api/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    create = schemas["ProductCreate"]
    assert create["required"] == sorted(ProductSchema.required_on_create)
    assert create["additionalProperties"] is False
    assert schemas["ProductCreate"]["properties"]["sku"]["anyOf"][0]["pattern"] == "^[A-Za-z0-9._-]+$"
    assert schemas["UserCreate"]["properties"]["password"]["minLength"] == 8
    assert "required" not in schemas["ProductUpdate"]
    post = doc["paths"]["/api/products"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ProductCreate"}
    patch = doc["paths"]["/api/products/{id}"]["patch"]
    assert patch["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ProductUpdate"}


def test_responses_document_shapes_headers_and_problems(client):
    doc = client.get("/api/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    assert list(schemas["User"]["properties"]) == ["id", "username", "email", "full_name", "role", "is_active",
                                                  "created_at", "last_login_at", "version"]
    assert "password" not in schemas["User"]["properties"]
    assert schemas["Problem"]["required"] == ["type", "title", "status", "detail"]
    get_list = doc["paths"]["/api/products"]["get"]
    assert set(get_list["responses"]["200"]["headers"]) == {"X-Total-Count", "Link"}
    assert {p["name"] for p in get_list["parameters"]} == {"limit", "offset", "sort", "q", "category", "low_stock"}
    create = doc["paths"]["/api/products"]["post"]
    assert set(create["responses"]["201"]["headers"]) == {"Location", "ETag"}
    assert "Idempotency-Key" in {p["name"] for p in create["parameters"]}
    assert "403" in create["responses"] and "422" in create["responses"]
    assert create["responses"]["422"]["content"]["application/problem+json"]["schema"]["$ref"].endswith("/Problem")
    assert "If-Match" in {p["name"] for p in doc["paths"]["/api/users/{id}"]["delete"]["parameters"]}
    assert "412" in doc["paths"]["/api/users/{id}"]["delete"]["responses"]
    assert "429" in doc["paths"]["/api/auth/login"]["post"]["responses"]


def test_document_references_resolve(client):
    doc = client.get("/api/openapi.json").get_json()
    refs = set()

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                refs.add(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    names = {ref.removeprefix("#/components/schemas/") for ref in refs}
    assert all(ref.startswith("#/components/schemas/") for ref in refs)
    assert {"Product", "ProductCreate", "Problem", "TokenPair"} <= names <= set(doc["components"]["schemas"])


def test_document_is_a_valid_openapi_3_1_document(client):
    """Checked by schemathesis' own loader, the tool the fuzzing run uses."""
    import schemathesis

    schema = schemathesis.openapi.from_dict(client.get("/api/openapi.json").get_json())
    operations = [op for op in schema.get_all_operations()]
    assert len(operations) >= 27 and all(op.ok() for op in operations)


def test_the_login_reply_user_is_documented_as_me(client):
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    assert schemas["TokenPair"]["properties"]["user"] == {"$ref": "#/components/schemas/Me"}


def test_a_412_is_documented_with_the_current_etag(client):
    doc = client.get("/api/openapi.json").get_json()
    for method in ("put", "patch", "delete"):
        assert "ETag" in doc["paths"]["/api/customers/{id}"][method]["responses"]["412"]["headers"]
