"""The OpenAPI document: generated from the registry and the validating schemas, covering every route."""
from __future__ import annotations

from erp_admin.api.openapi import openapi_path
from erp_admin.resources import resource


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
    bodies = doc["components"]["requestBodies"]
    create = bodies["ProductCreate"]["content"]["application/json"]["schema"]
    assert create["required"] == sorted(ProductSchema.required_on_create)
    assert create["additionalProperties"] is False
    assert create["properties"]["sku"]["anyOf"][0]["pattern"] == "^[A-Za-z0-9._-]+$"
    assert bodies["UserCreate"]["content"]["application/json"]["schema"]["properties"]["password"]["minLength"] == 8
    assert "required" not in bodies["ProductUpdate"]["content"]["application/json"]["schema"]
    post = doc["paths"]["/api/products"]["post"]
    assert post["requestBody"] == {"$ref": "#/components/requestBodies/ProductCreate"}
    patch = doc["paths"]["/api/products/{id}"]["patch"]
    assert patch["requestBody"] == {"$ref": "#/components/requestBodies/ProductUpdate"}


def test_responses_document_shapes_headers_and_problems(client):
    doc = client.get("/api/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    assert list(schemas["User"]["properties"]) == ["id", "username", "email", "full_name", "role", "is_active",
                                                  "created_at", "last_login_at", "version"]
    assert "password" not in schemas["User"]["properties"]
    assert schemas["Problem"]["required"] == ["type", "title", "status", "detail"]
    get_list = doc["paths"]["/api/products"]["get"]
    assert set(get_list["responses"]["200"]["headers"]) == {"X-Total-Count", "Link"}
    names = {p["name"] for p in get_list["parameters"]}
    assert {"limit", "offset", "sort", "q", "category", "low_stock"} <= names
    # The rest are the declared filters' operators (tests/api/test_filters.py checks them).
    assert all("[" in name for name in names - {"limit", "offset", "sort", "q", *resource("products").filters})
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
    names = {tuple(ref.removeprefix("#/components/").split("/")) for ref in refs}
    assert all(ref.startswith("#/components/") for ref in refs)
    assert {("schemas", "Product"), ("requestBodies", "ProductCreate"), ("schemas", "Problem")} <= names
    assert all(name in doc["components"][section] for section, name in names)


def test_document_is_a_valid_openapi_3_1_document(client):
    """Checked by schemathesis' own loader, the tool the fuzzing run uses."""
    import schemathesis

    schema = schemathesis.openapi.from_dict(client.get("/api/openapi.json").get_json())
    operations = [op for op in schema.get_all_operations()]
    assert len(operations) >= 27 and all(op.ok() for op in operations)


# Per-verb shapes of the record resources: what a generated client is typed from.
RESOURCES = {"Product": "/api/products", "Customer": "/api/customers", "User": "/api/users"}
# The smallest valid create body of each resource (exactly its required fields).
MINIMAL_CREATE = {
    "Product": {"name": "Widget", "price": 1.5},
    "Customer": {"name": "Ada", "email": "ada@example.com"},
    "User": {"username": "newbie", "email": "newbie@example.com", "password": "password123"},
}


def _resolve(doc: dict, node: dict) -> dict:
    while "$ref" in node:
        section, name = node["$ref"].removeprefix("#/components/").split("/")
        node = doc["components"][section][name]
    return node


def _body_schema(doc: dict, path: str, method: str) -> dict:
    body = _resolve(doc, doc["paths"][path][method]["requestBody"])
    return _resolve(doc, body["content"]["application/json"]["schema"])


def _keys(node, key: str) -> list:
    """Every value of key anywhere under node."""
    if isinstance(node, dict):
        return ([node[key]] if key in node else []) + [v for child in node.values() for v in _keys(child, key)]
    if isinstance(node, list):
        return [v for child in node for v in _keys(child, key)]
    return []


def _allows_null(prop: dict) -> bool:
    return prop.get("type") == "null" or any(b.get("type") == "null" for b in prop.get("anyOf", []))


def _typed(prop: dict) -> bool:
    return "type" in prop or "$ref" in prop or bool(prop.get("anyOf")) and all(_typed(b) for b in prop["anyOf"])


def test_update_bodies_are_own_writable_fields_all_optional_without_defaults(client):
    from erp_admin.api.openapi import RECORD_SCHEMAS

    doc = client.get("/api/openapi.json").get_json()
    for name, base in RESOURCES.items():
        model = RECORD_SCHEMAS[name]
        put, patch = (_body_schema(doc, base + "/{id}", m) for m in ("put", "patch"))
        assert put == patch
        assert set(put["properties"]) == set(model.model_fields), name  # no read-only field, no other resource's
        assert "required" not in put and _keys(put, "default") == [], name
        assert put["additionalProperties"] is False
        for field in model.not_nullable:
            assert not _allows_null(put["properties"][field]), (name, field)


def test_create_bodies_require_what_the_api_requires_and_document_defaults(client):
    from erp_admin.api.openapi import RECORD_SCHEMAS

    doc = client.get("/api/openapi.json").get_json()
    for name, base in RESOURCES.items():
        model = RECORD_SCHEMAS[name]
        create = _body_schema(doc, base, "post")
        assert set(create["properties"]) == set(model.model_fields), name
        assert create["required"] == sorted(model.required_on_create)
        for field, info in model.model_fields.items():
            if not info.is_required():
                assert create["properties"][field]["default"] == info.default, (name, field)
    assert _body_schema(doc, "/api/users", "post")["properties"]["password"]["writeOnly"] is True


def test_create_requireds_match_the_api(client, admin_headers):
    doc = client.get("/api/openapi.json").get_json()
    for name, base in RESOURCES.items():
        required = _body_schema(doc, base, "post")["required"]
        body = MINIMAL_CREATE[name]
        assert sorted(body) == required, name
        for field in required:
            partial = {k: v for k, v in body.items() if k != field}
            response = client.post(base, json=partial, headers=admin_headers)
            assert response.status_code == 422, (name, field)
            assert {"field": field, "message": "field required"} in response.get_json()["errors"]
        assert client.post(base, json=body, headers=admin_headers).status_code == 201, name


def test_read_schemas_type_every_property_and_mark_read_only_ones(client):
    from erp_admin.api.openapi import RECORD_SCHEMAS, SHAPES
    from erp_admin.schemas import READ_ONLY_FIELDS

    doc = client.get("/api/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    for name in ("Product", "Customer", "User", "Me", "AuditEntry", "Movement", "TokenPair", "AccessToken", "Stats"):
        schema = schemas[name]
        assert all(_typed(p) for p in schema["properties"].values()), name
        assert schema["required"] == list(schema["properties"]), name
        assert _keys(schema, "default") == [], name
    for name, model in RECORD_SCHEMAS.items():
        props = schemas[name]["properties"]
        assert "password" not in props
        read_only = {f for f, p in props.items() if p.get("readOnly")}
        assert list(props) == list(SHAPES[name]) and read_only == set(props) & READ_ONLY_FIELDS, name
        assert {"id", "version", "created_at"} <= read_only, name
        for field in model.not_nullable & set(props):
            assert not _allows_null(props[field]), (name, field)
    assert _allows_null(schemas["User"]["properties"]["last_login_at"])
    assert _allows_null(schemas["Product"]["properties"]["description"])
    assert schemas["Product"]["properties"]["low_stock"]["type"] == "boolean"
    assert schemas["Product"]["properties"]["created_at"] == {"type": "string", "format": "date-time", "readOnly": True}


def test_audit_changes_are_old_new_pairs_and_permissions_are_enums(client):
    from erp_admin.auth.roles import ROLE_MATRIX

    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    pair = schemas["AuditEntry"]["properties"]["changes"]["additionalProperties"]
    assert pair["type"] == "array" and pair["minItems"] == pair["maxItems"] == 2
    permissions = schemas["Me"]["properties"]["permissions"]
    assert list(permissions["properties"]) == permissions["required"] == list(ROLE_MATRIX)
    for resource, verbs in permissions["properties"].items():
        allowed = {v for role_verbs in ROLE_MATRIX[resource].values() for v in role_verbs}
        assert verbs["type"] == "array" and set(verbs["items"]["enum"]) == allowed, resource
    assert schemas["User"]["properties"]["role"]["enum"] == ["admin", "manager", "user"]


def test_the_login_reply_user_is_documented_as_me(client):
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    assert schemas["TokenPair"]["properties"]["user"] == {"$ref": "#/components/schemas/Me"}


def test_a_412_is_documented_with_the_current_etag(client):
    doc = client.get("/api/openapi.json").get_json()
    for method in ("put", "patch", "delete"):
        assert "ETag" in doc["paths"]["/api/customers/{id}"][method]["responses"]["412"]["headers"]
