"""The OpenAPI 3.1 document of an app, generated from its routes and the validating schemas.

Each record resource is declared once in schemas/: its pydantic RecordSchema
(the writable fields with their rules), its shape (the fields a response
carries) and the types of the fields the server sets (READ_ONLY_TYPES).
Every verb's schema derives from those declarations: the create body
(required fields required, defaults documented), the update body (the same
fields, every one optional, no default: a default tells a generated client to
send it) and the record as returned (every field typed, the read-only ones
marked, null only where it can be). Responses come from each route's
declaration; every error is the problem schema. The document is built on
its first request, from the app's routes and the resources declared then,
and kept for the app's life.
"""
from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from http import HTTPStatus
from typing import Any

from flask import current_app, jsonify
from pydantic import TypeAdapter

from erp_admin.api.errors import PROBLEM_KINDS
from erp_admin.api.registry import COMPONENTS, Body, Reply, RouteSpec, route, routes_of
from erp_admin.auth.roles import ROLE_MATRIX, resources
from erp_admin.inventory.figures import COUNTED
from erp_admin.resources import declared, writable_resources
from erp_admin.schemas import READ_ONLY_FIELDS, RecordSchema
from erp_admin.schemas.base import READ_ONLY_TYPES

OPENAPI_VERSION = "3.1.0"
REF = "#/components/schemas/"
BODY_REF = "#/components/requestBodies/"


class _Declared(Mapping):
    """component name -> one attribute of each writable resource, as declared when read (not at import)."""

    def __init__(self, attribute: str):
        self.attribute = attribute

    def _now(self) -> dict[str, Any]:
        return {r.component: getattr(r, self.attribute) for r in writable_resources()}

    def __getitem__(self, name: str):
        return self._now()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._now())

    def __len__(self) -> int:
        return len(self._now())


# From the resource declarations: each record's schema and its JSON shape (the contract's field order).
# Its read-only fields are those of READ_ONLY_FIELDS, its write-only ones the schema's fields the shape
# leaves out (a password).
RECORD_SCHEMAS: Mapping[str, type[RecordSchema]] = _Declared("schema")
SHAPES: Mapping[str, tuple[str, ...]] = _Declared("fields")

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


def _clean(schema: dict) -> dict:
    """Drop pydantic's titles (noise in the document)."""
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


def _non_null(prop: dict) -> dict:
    """prop without its null branch (a field that may be omitted but never null)."""
    if "anyOf" not in prop:
        return prop
    branches = [b for b in prop["anyOf"] if b.get("type") != "null"]
    rest = {k: v for k, v in prop.items() if k != "anyOf" and (k, v) != ("default", None)}
    return {**rest, **branches[0]} if len(branches) == 1 else {**rest, "anyOf": branches}


def request_schema(model_name: str, *, partial: bool) -> dict:
    """The JSON schema of a create body (partial=False) or of an update body (every field optional, no default)."""
    model = RECORD_SCHEMAS[model_name]
    source = model.model_json_schema(mode="validation")
    properties = {}
    for name, prop in source["properties"].items():
        prop = _text_rules(model, name, _clean(prop))
        if name in model.not_nullable and (partial or name not in model.nullable_on_create):
            prop = _non_null(prop)  # validate_record refuses null for these
        if partial:
            prop.pop("default", None)
        elif name in model.nullable_on_create:
            prop["description"] = "Generated by the server when missing or null."
        if name not in SHAPES[model_name]:
            prop["writeOnly"] = True
        properties[name] = prop
    read_only = ", ".join(f for f in SHAPES[model_name] if f in READ_ONLY_FIELDS)
    schema = {
        "type": "object",
        "description": f"Read-only fields sent back ({read_only}) are ignored; any other field is a 422.",
        "properties": properties,
        "additionalProperties": False,
    }
    if not partial:
        schema["required"] = sorted(model.required_on_create)
    return schema


def request_body(name: str, *, partial: bool) -> dict:
    """The request body component of a create or an update.

    A request body, not a schema component: openapi-typescript (by default) types a
    property with a default as always present, except inside a request body.
    """
    what = "The fields to change; omitted fields keep their values." if partial else "The new record."
    return {"description": what, "required": True,
            "content": {"application/json": {"schema": request_schema(name, partial=partial)}}}


def response_schema(name: str) -> dict:
    """The JSON schema of a record as the API returns it: every field typed, read-only ones marked."""
    model = RECORD_SCHEMAS[name]
    writable = model.model_json_schema(mode="serialization")["properties"]
    props: dict[str, Any] = {}
    for field in SHAPES[name]:
        if field in READ_ONLY_FIELDS:
            prop = {**_clean(TypeAdapter(READ_ONLY_TYPES[field]).json_schema(mode="serialization")), "readOnly": True}
        else:
            prop = {k: v for k, v in _clean(writable[field]).items() if k not in ("default", "multipleOf")}
            if field in model.not_nullable:  # never null once stored (a generated SKU)
                prop = _non_null(prop)
        props[field] = prop
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


def permissions_schema() -> dict:
    """`permissions` of /auth/me: every resource of the role matrix, each a list of the verbs it knows."""
    props = {}
    for resource in resources():
        verbs = list(dict.fromkeys(v for role_verbs in ROLE_MATRIX[resource].values() for v in role_verbs))
        props[resource] = {"type": "array", "uniqueItems": True, "items": {"type": "string", "enum": verbs}}
    return {"type": "object", "description": "What the role may do, from the role matrix (empty: nothing).",
            "properties": props, "required": list(resources()), "additionalProperties": False}


def components() -> dict:
    """Every schema the paths refer to."""
    schemas: dict[str, Any] = {"Problem": PROBLEM}
    for name in RECORD_SCHEMAS:
        schemas[name] = response_schema(name)
    token = {"access_token": {"type": "string"}, "token_type": {"type": "string", "enum": ["bearer"]},
             "expires_in": {"type": "integer", "description": "Seconds until the access token expires."}}
    schemas["AccessToken"] = {"type": "object", "properties": token, "required": list(token)}
    schemas["TokenPair"] = {
        "type": "object",
        "properties": {**token, "refresh_token": {"type": "string"}, "user": {"$ref": REF + "Me"}},
        "required": [*token, "refresh_token", "user"],
    }
    me = copy.deepcopy(schemas["User"])
    me["properties"]["permissions"] = permissions_schema()
    me["required"] = [*me["required"], "permissions"]
    schemas["Me"] = me
    count = {"type": "integer", "minimum": 0}
    stats = {**{name: count for name in COUNTED}, "inventory_value": {"type": "number", "minimum": 0},
             "low_stock": count}
    schemas["Stats"] = {"type": "object", "properties": stats, "required": list(stats)}
    schemas["Health"] = {"type": "object", "properties": {"status": {"type": "string", "enum": ["ok"]}},
                         "required": ["status"]}
    schemas.update({name: copy.deepcopy(s() if callable(s) else s) for name, s in COMPONENTS.items()})
    return schemas


def request_bodies() -> dict:
    """The create and update body of every record resource."""
    return {f"{name}{verb}": request_body(name, partial=verb == "Update")
            for name in RECORD_SCHEMAS for verb in ("Create", "Update")}


def _schema_ref(schema: Any) -> Any:
    if isinstance(schema, str):
        return {"$ref": REF + schema}
    if isinstance(schema, dict) and schema.get("type") == "array" and isinstance(schema.get("items"), str):
        return {"type": "array", "items": {"$ref": REF + schema["items"]}}
    return schema


def _body(body: Body) -> dict:
    if isinstance(body.schema, type) and issubclass(body.schema, RecordSchema):
        name = next(n for n, m in RECORD_SCHEMAS.items() if m is body.schema)
        return {"$ref": BODY_REF + name + ("Update" if body.partial else "Create")}
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
        {"name": p.name, "in": p.location, "required": p.required or p.location == "path",
         "schema": p.schema() if callable(p.schema) else p.schema,
         **({"description": p.description} if p.description else {}),
         **({"style": p.style} if p.style else {}), **({"explode": p.explode} if p.explode is not None else {})}
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


def build_document(routes: tuple[RouteSpec, ...]) -> dict:
    """Return the OpenAPI document of routes (an app's: registry.routes_of)."""
    paths: dict[str, dict] = {}
    for spec in routes:
        item = paths.setdefault(openapi_path(spec.rule), {})
        for method in spec.methods:
            item[method.lower()] = _operation(spec, method)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "ERP Admin API",
            "version": "1.0.0",
            "description": f"Inventory administration: {', '.join(r.name.replace('_', ' ') for r in declared())}. "
                           "Sign in with POST /api/auth/login, then send `Authorization: Bearer <access_token>`.",
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components(),
            "requestBodies": request_bodies(),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{"bearerAuth": []}],
    }


@route("/openapi.json", ["GET"], summary="This OpenAPI document", tags=["docs"], auth=None,
       responses={200: Reply({"type": "object"}, description="OpenAPI 3.1 document")})
def openapi_document():
    document = current_app.extensions.get("erp_openapi")
    if document is None:
        document = current_app.extensions["erp_openapi"] = build_document(routes_of(current_app))
    return jsonify(document)
