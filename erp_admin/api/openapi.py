"""The OpenAPI 3.1 document, generated from the route registry and the validating schemas.

Request bodies are the JSON schemas of the same pydantic RecordSchema models
that `validate_record` uses; responses come from each route's declaration;
every error is the problem schema. Nothing here is a hand-kept copy.
"""
from __future__ import annotations

import copy
import re
from http import HTTPStatus
from typing import Any

from flask import current_app, jsonify

from erp_admin.api.errors import PROBLEM_KINDS
from erp_admin.api.registry import COMPONENTS, ROUTES, Body, Reply, RouteSpec, route
from erp_admin.auth.roles import RESOURCES
from erp_admin.schemas import CustomerSchema, ProductSchema, READ_ONLY_FIELDS, RecordSchema, UserSchema

OPENAPI_VERSION = "3.1.0"
REF = "#/components/schemas/"
RECORD_SCHEMAS: dict[str, type[RecordSchema]] = {"Product": ProductSchema, "Customer": CustomerSchema, "User": UserSchema}
WRITE_ONLY = {"password"}
# Read-only fields of each shape, typed as the serialisers produce them.
_TIMESTAMP = {"type": "string", "format": "date-time"}
READ_ONLY_SHAPES = {
    "Product": {"id": {"type": "integer"}, "low_stock": {"type": "boolean"}, "created_at": _TIMESTAMP,
                "updated_at": _TIMESTAMP, "version": {"type": "integer"}},
    "Customer": {"id": {"type": "integer"}, "created_at": _TIMESTAMP, "updated_at": _TIMESTAMP,
                 "version": {"type": "integer"}},
    "User": {"id": {"type": "integer"}, "created_at": _TIMESTAMP,
             "last_login_at": {"anyOf": [_TIMESTAMP, {"type": "null"}]}, "version": {"type": "integer"}},
}
FIELD_ORDER = {}  # filled lazily from the schemas package (the contract's field order)

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri", "description": (
            "The kind of problem: the absolute URL <API root>/problems/<kind> (GET it for a page saying what it "
            "means), or about:blank for a status no kind covers. Kinds: "
            + "; ".join(f"`{k.slug}` ({k.status}) {k.title}" for k in PROBLEM_KINDS.values()) + "."
        )},
        "title": {"type": "string", "description": "The kind's title."},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": ["string", "null"]}, "message": {"type": "string"}},
            },
        },
    },
}
HEADERS = {
    "ETag": {"description": 'Strong validator carrying the (current) version, e.g. "3".', "schema": {"type": "string"}},
    "Location": {"description": "Absolute URL of the created record.", "schema": {"type": "string"}},
    "X-Total-Count": {"description": "Number of all matching rows.", "schema": {"type": "integer"}},
    "Link": {"description": 'Next and previous pages (rel="next", rel="prev").', "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}},
    "WWW-Authenticate": {"description": 'Bearer error="invalid_token" for a token that was refused; plain Bearer '
                                        "when no bearer token was sent (RFC 6750 3.1).", "schema": {"type": "string"}},
    "Allow": {"description": "Methods the route allows.", "schema": {"type": "string"}},
}


def _field_order() -> dict[str, tuple[str, ...]]:
    if not FIELD_ORDER:
        from erp_admin.schemas import CUSTOMER_FIELDS, PRODUCT_FIELDS, USER_FIELDS

        FIELD_ORDER.update({"Product": PRODUCT_FIELDS, "Customer": CUSTOMER_FIELDS, "User": USER_FIELDS})
    return FIELD_ORDER


def _clean(schema: dict) -> dict:
    """Drop pydantic's titles and defaults (noise in the document)."""
    schema = {k: v for k, v in schema.items() if k not in ("title",)}
    if "anyOf" in schema:
        schema["anyOf"] = [_clean(s) for s in schema["anyOf"]]
    return schema


def _text_rules(model: type[RecordSchema], name: str, prop: dict) -> dict:
    """Add what pydantic's JSON schema leaves out of a text field: no NUL, and lengths after trimming."""
    branches = prop.get("anyOf") or [prop]
    stripped = any(getattr(m, "strip_whitespace", False) for m in _metadata(model, name))
    for branch in branches:
        if branch.get("type") != "string" or "pattern" in branch:
            continue
        if stripped:
            # The lengths apply once surrounding whitespace is trimmed: say so in the pattern.
            low, high = branch.pop("minLength", 0), branch.pop("maxLength", None)
            count = f"{{{max(low, 1) if low else 0},{'' if high is None else high}}}"
            lookahead = "(?=\\S)" if low >= 1 else ""
            branch["pattern"] = f"^\\s*{lookahead}[^\\x00]{count}\\s*$"
        else:
            branch["pattern"] = "^[^\\x00]*$"
    return prop


def _metadata(model: type[RecordSchema], name: str) -> list:
    """Every constraint object attached to a field, nested Annotated layers included."""
    found, stack = [], [model.model_fields[name].annotation, *model.model_fields[name].metadata]
    while stack:
        item = stack.pop()
        found.append(item)
        stack.extend(getattr(item, "__metadata__", ()))
        stack.extend(a for a in getattr(item, "__args__", ()) if a is not type(None))
    return found


def request_schema(model: type[RecordSchema], *, partial: bool) -> dict:
    """The JSON schema of a create (partial=False) or update body of model."""
    source = model.model_json_schema(mode="validation")
    properties = {name: _text_rules(model, name, _clean(prop)) for name, prop in source["properties"].items()}
    for name in model.not_nullable:
        # validate_record refuses null for these (on create too, except nullable_on_create).
        if (partial or name not in model.nullable_on_create) and "anyOf" in properties[name]:
            non_null = [b for b in properties[name]["anyOf"] if b.get("type") != "null"]
            rest = {k: v for k, v in properties[name].items() if k != "anyOf" and (k, v) != ("default", None)}
            properties[name] = {**rest, **non_null[0]} if len(non_null) == 1 else {**rest, "anyOf": non_null}
    for name in READ_ONLY_FIELDS:
        properties[name] = {"readOnly": True, "description": "Read-only: ignored when sent."}
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    required = sorted(model.required_on_create)
    if not partial and required:
        schema["required"] = required
    if not partial:
        for name in model.nullable_on_create:
            properties[name]["description"] = "Generated by the server when missing or null."
    return schema


def response_schema(name: str) -> dict:
    """The JSON schema of a record as the API returns it (every field, read-only ones included)."""
    model = RECORD_SCHEMAS[name]
    source = model.model_json_schema(mode="validation")["properties"]
    props: dict[str, Any] = {}
    for field in _field_order()[name]:
        if field in READ_ONLY_SHAPES[name]:
            props[field] = READ_ONLY_SHAPES[name][field]
            continue
        prop = {k: v for k, v in _clean(source[field]).items() if k not in ("default", "multipleOf")}
        if field not in model.not_nullable or "anyOf" not in prop:
            props[field] = prop
        else:  # never null once stored (a generated SKU)
            props[field] = next(s for s in prop["anyOf"] if s.get("type") != "null")
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


def components() -> dict:
    """Every schema the paths refer to."""
    schemas: dict[str, Any] = {"Problem": PROBLEM}
    for name, model in RECORD_SCHEMAS.items():
        schemas[name] = response_schema(name)
        schemas[f"{name}Create"] = request_schema(model, partial=False)
        schemas[f"{name}Update"] = request_schema(model, partial=True)
    token = {"access_token": {"type": "string"}, "token_type": {"type": "string", "enum": ["bearer"]},
             "expires_in": {"type": "integer"}}
    schemas["AccessToken"] = {"type": "object", "properties": token, "required": list(token)}
    schemas["TokenPair"] = {
        "type": "object",
        "properties": {**token, "refresh_token": {"type": "string"}, "user": {"$ref": REF + "Me"}},
        "required": [*token, "refresh_token", "user"],
    }
    verbs = {"type": "array", "items": {"type": "string"}}
    me = copy.deepcopy(schemas["User"])
    me["properties"]["permissions"] = {"type": "object", "properties": {r: verbs for r in RESOURCES},
                                       "required": list(RESOURCES)}
    me["required"] = [*me["required"], "permissions"]
    schemas["Me"] = me
    counts = {k: {"type": "integer", "minimum": 0} for k in ("products", "customers", "users", "low_stock")}
    schemas["Stats"] = {
        "type": "object",
        "properties": {**counts, "inventory_value": {"type": "number", "minimum": 0}},
        "required": ["products", "customers", "users", "inventory_value", "low_stock"],
    }
    schemas["Health"] = {"type": "object", "properties": {"status": {"type": "string", "enum": ["ok"]}},
                         "required": ["status"]}
    schemas.update(copy.deepcopy(COMPONENTS))
    return schemas


def _schema_ref(schema: Any) -> Any:
    if isinstance(schema, str):
        return {"$ref": REF + schema}
    if isinstance(schema, dict) and schema.get("type") == "array" and isinstance(schema.get("items"), str):
        return {"type": "array", "items": {"$ref": REF + schema["items"]}}
    return schema


def _body(body: Body) -> dict:
    if isinstance(body.schema, type) and issubclass(body.schema, RecordSchema):
        name = next(n for n, m in RECORD_SCHEMAS.items() if m is body.schema)
        schema = {"$ref": REF + name + ("Update" if body.partial else "Create")}
    else:
        schema = copy.deepcopy(body.schema)
    content = {media: {"schema": schema} for media in body.media_types}
    content.update({media: {"schema": copy.deepcopy(extra)} for media, extra in body.per_media.items()})
    doc = {"required": body.required, "content": content}
    if body.description:
        doc["description"] = body.description
    return doc


def _problem_response(status: int, extra_headers: tuple[str, ...] = ()) -> dict:
    doc = {
        "description": HTTPStatus(status).phrase,
        "content": {"application/problem+json": {"schema": {"$ref": REF + "Problem"}}},
    }
    if extra_headers:
        doc["headers"] = {h: HEADERS[h] for h in extra_headers}
    return doc


def _operation(spec: RouteSpec, method: str) -> dict:
    op: dict[str, Any] = {
        "operationId": spec.endpoint.replace(".", "_") + (f"_{method}" if len(spec.methods) > 1 else ""),
        "summary": spec.summary,
        "tags": list(spec.tags),
    }
    if spec.description:
        op["description"] = spec.description
    if spec.permission:
        resource, verb = spec.permission
        op["description"] = (op.get("description", "") + f"\n\nRole matrix: {resource} / {verb}.").strip()
    params = [
        {"name": p.name, "in": p.location, "required": p.required or p.location == "path", "schema": p.schema,
         **({"description": p.description} if p.description else {})}
        for p in spec.params
    ]
    if params:
        op["parameters"] = params
    if spec.body is not None:
        op["requestBody"] = _body(spec.body)
    responses: dict[str, Any] = {}
    for status, reply in spec.responses.items():
        responses[str(status)] = _reply(reply)
    errors = set(spec.errors)
    if spec.auth:
        errors.add(401)
        op["security"] = [{"bearerAuth": []}]
    else:
        op["security"] = []
    if spec.permission:
        errors.add(403)
    if spec.body is not None:
        errors.update((400, 413, 415))
    if any(p.location == "query" for p in spec.params):
        errors.add(400)
    errors.update((404, 405, 500))
    for status in sorted(errors):
        headers = {401: ("WWW-Authenticate",), 405: ("Allow",), 412: ("ETag",), 429: ("Retry-After",)}.get(status, ())
        responses[str(status)] = _problem_response(status, headers)
    responses["default"] = {"description": "Any other error (problem details).",
                            "content": {"application/problem+json": {"schema": {"$ref": REF + "Problem"}}}}
    op["responses"] = responses
    return op


def _reply(reply: Reply) -> dict:
    doc: dict[str, Any] = {"description": reply.description}
    if reply.schema is not None:
        doc["content"] = {reply.media_type: {"schema": _schema_ref(reply.schema)}}
    if reply.headers:
        doc["headers"] = {h: HEADERS[h] for h in reply.headers}
    return doc


def openapi_path(rule: str) -> str:
    """Turn a Werkzeug rule (/api/products/<int:id>) into an OpenAPI path (/api/products/{id})."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def build_document() -> dict:
    """Return the OpenAPI document of every registered route."""
    paths: dict[str, dict] = {}
    for spec in ROUTES:
        item = paths.setdefault(openapi_path(spec.rule), {})
        for method in spec.methods:
            item[method.lower()] = _operation(spec, method)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "ERP Admin API",
            "version": "1.0.0",
            "description": "Inventory administration: products, customers, users, stock and audit. "
                           "Sign in with POST /api/auth/login, then send `Authorization: Bearer <access_token>`.",
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components(),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{"bearerAuth": []}],
    }


@route("/openapi.json", ["GET"], summary="This OpenAPI document", tags=["docs"], auth=None,
       responses={200: Reply({"type": "object"}, description="OpenAPI 3.1 document")})
def openapi_document():
    document = current_app.extensions.get("erp_openapi")
    if document is None:
        document = current_app.extensions["erp_openapi"] = build_document()
    return jsonify(document)
