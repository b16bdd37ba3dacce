"""The CRUD routes every record resource shares; api/records.py configures them from the declarations.

Validation, business rules and the JSON shape come from `schemas` and
`services.records`; this module only speaks HTTP: ETags, If-Match, Location,
paging headers, the role check and Idempotency-Key.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Callable

from flask import jsonify, make_response, request, url_for
from sqlalchemy import bindparam, select

from erp_admin.api.body import json_object
from erp_admin.api.idempotency import IDEMPOTENCY_PARAM, run_idempotent
from erp_admin.api.listing import ListSpec, list_response
from erp_admin.api.registry import Body, Param, Reply, route
from erp_admin.auth.access import current_principal, requires
from erp_admin.extensions import db
from erp_admin.schemas import RecordSchema, validate_record
from erp_admin.schemas.fields import INT32_MAX  # ids are 32-bit: a larger one cannot exist
from erp_admin.schemas.rows import record
from erp_admin.errors import NotFound, PreconditionFailed
from erp_admin.services.records import create_record, delete_record, update_record

ID_PARAM = Param("id", location="path", required=True, schema={"type": "integer", "minimum": 1})
IF_MATCH_PARAM = Param(
    "If-Match", location="header", schema={"type": "string"},
    description='The ETag read earlier (e.g. "3"), or *: a stale value gives 412 and writes nothing.',
)
_ETAG = re.compile(r'\s*(W/)?"([^"]*)"\s*')


@dataclass(frozen=True)
class ResourceAPI:
    name: str  # "products": URL segment, role-matrix resource and services resource
    model: Any
    schema: type[RecordSchema]
    serialize: Callable[[Any], dict]
    component: str  # OpenAPI schema name, e.g. "Product"
    list_spec: ListSpec
    extra_tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def singular(self) -> str:
        return self.name[:-1]


def etag_of(obj) -> str:
    """The strong ETag of a record: its version in quotes."""
    return f'"{obj.version}"'


def record_response(api: ResourceAPI, obj, status: int = 200):
    response = make_response(jsonify(api.serialize(obj)), status)
    response.headers["ETag"] = etag_of(obj)
    return response


def read_row(api: ResourceAPI, record_id: int):
    """Return the record's row (read-only: Core, no ORM object) or raise NotFound.

    The serializers read attributes, which a namedtuple record has too (schemas.rows);
    a plain read skips the ORM's identity map and change tracking, most of a small
    request's cost.
    """
    row = None
    if 0 < record_id <= INT32_MAX:
        row = record(db.session.connection().execute(_read_statement(api.model), {"id": record_id}).first())
    if row is None:
        raise NotFound(f"No {api.singular} with id {record_id}.")
    return row


@cache
def _read_statement(model):
    # Built once per model: a reused statement keeps its cache key, so it is compiled once.
    table = model.__table__
    return select(table).where(table.c.id == bindparam("id"))


def get_record(api: ResourceAPI, record_id: int):
    """Return the record or raise NotFound (ids beyond the column's range cannot exist)."""
    obj = db.session.get(api.model, record_id) if 0 < record_id <= INT32_MAX else None
    if obj is None:
        raise NotFound(f"No {api.singular} with id {record_id}.")
    return obj


def expected_version(obj) -> int | None:
    """Check If-Match against obj: return the matched version, None without the header; 412 otherwise."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    if header.strip() == "*":
        return obj.version
    for part in header.split(","):
        match = _ETAG.fullmatch(part)
        # Strong comparison (RFC 9110 13.1.1): a weak validator never matches.
        if match and not match.group(1) and match.group(2) == str(obj.version):
            return obj.version
    raise PreconditionFailed(
        f"If-Match does not match the current version ({etag_of(obj)}). Reload the record and try again."
    )


RACE_ATTEMPTS = 3


def unless_raced(attempt: Callable[[], Any]):
    """Run attempt(); rerun it when another writer won a race this request never made conditional.

    Without If-Match the client's change is unconditional: if the row changed
    between this request's read and its write (PostgreSQL: a concurrent UPDATE
    committed first, so ours matched no row), the change is applied again to the
    fresh row, as if the two requests had come one after the other. With
    If-Match, or after RACE_ATTEMPTS, the 412 stands.
    """
    conditional = request.headers.get("If-Match") is not None
    for remaining in range(RACE_ATTEMPTS - 1, -1, -1):
        try:
            return attempt()
        except PreconditionFailed:
            if conditional or not remaining:
                raise
            # The service rolled the session back: the next attempt reads the row afresh.


def conditional_write(api: ResourceAPI, record_id: int, attempt: Callable[[], Any]):
    """unless_raced(attempt); a 412 carries the record's current ETag, so the client needs no extra GET."""
    try:
        return unless_raced(attempt)
    except PreconditionFailed as exc:
        db.session.rollback()  # read what is stored now, not this transaction's view
        row = db.session.connection().execute(_read_statement(api.model), {"id": record_id}).first()
        if row is not None:  # deleted meanwhile: no current version to offer
            exc.headers = {**(getattr(exc, "headers", None) or {}), "ETag": etag_of(row)}
        raise


def json_numbers(schema: type[RecordSchema], data: dict) -> dict:
    """Read 2.0 as 2 for integer fields: JSON has one number type, and JSON Schema calls 2.0 an integer."""
    fixed = dict(data)
    for name, value in data.items():
        field = schema.model_fields.get(name) if isinstance(name, str) else None
        if field is not None and field.annotation is int and isinstance(value, float) and value.is_integer():
            fixed[name] = int(value)
    return fixed


def register_resource(api: ResourceAPI) -> None:
    """Add list, read, create, update (PUT and PATCH) and delete routes for api.name."""
    base = f"/{api.name}"
    item = f"/{api.name}/<int:id>"
    tags = [api.name, *api.extra_tags]
    array = {"type": "array", "items": api.component}

    @route(base, ["GET"], summary=f"List {api.name}", tags=tags, params=api.list_spec.params(),
           responses={200: Reply(array, headers=("X-Total-Count", "Link"))}, errors=(400,),
           endpoint=f"{api.name}_list")
    @requires(api.name, "read")
    def list_view():
        return list_response(api.model, api.list_spec, api.serialize)

    @route(item, ["GET"], summary=f"Read a {api.singular}", tags=tags, params=(ID_PARAM,),
           responses={200: Reply(api.component, headers=("ETag",))}, errors=(404,),
           endpoint=f"{api.name}_read")
    @requires(api.name, "read")
    def read_view(id: int):
        return record_response(api, read_row(api, id))

    @route(base, ["POST"], summary=f"Create a {api.singular}", tags=tags, params=(IDEMPOTENCY_PARAM,),
           body=Body(api.schema), errors=(400, 409, 413, 415, 422),
           responses={201: Reply(api.component, description="Created", headers=("Location", "ETag"))},
           endpoint=f"{api.name}_create", commit=False)
    @requires(api.name, "create")
    def create_view():
        def work():
            obj = create_record(api.name, json_numbers(api.schema, json_object()), acting_user=current_principal())
            response = record_response(api, obj, 201)
            # Absolute: a SPA on another origin would resolve a relative one against its own page. Scheme
            # and host are Flask's (TRUSTED_PROXIES' X-Forwarded-Proto, Host checked by TRUSTED_HOSTS).
            response.headers["Location"] = url_for(f".{api.name}_read", id=obj.id, _external=True)
            return response

        return run_idempotent(work)

    def update_view(id: int):
        data = json_numbers(api.schema, json_object())
        validate_record(api.schema, data, partial=True)  # a bad body is a 422 before any precondition
        user = current_principal()

        def attempt():
            obj = get_record(api, id)
            version = expected_version(obj)
            return update_record(obj, data, acting_user=user, expected_version=version)

        return record_response(api, conditional_write(api, id, attempt))

    for method, summary in (("PUT", f"Update a {api.singular} (omitted fields keep their values)"),
                            ("PATCH", f"Update some fields of a {api.singular}")):
        route(item, [method], summary=summary, tags=tags, params=(ID_PARAM, IF_MATCH_PARAM),
              body=Body(api.schema, partial=True), errors=(400, 404, 409, 412, 413, 415, 422),
              responses={200: Reply(api.component, headers=("ETag",))},
              endpoint=f"{api.name}_{method.lower()}")(requires(api.name, "update")(update_view))

    @route(item, ["DELETE"], summary=f"Delete a {api.singular}", tags=tags, params=(ID_PARAM, IF_MATCH_PARAM),
           responses={204: Reply(None, description="Deleted")}, errors=(404, 409, 412),
           endpoint=f"{api.name}_delete")
    @requires(api.name, "delete")
    def delete_view(id: int):
        def attempt():
            obj = get_record(api, id)
            version = expected_version(obj)
            delete_record(obj, acting_user=current_principal(), expected_version=version)

        conditional_write(api, id, attempt)
        return "", 204
