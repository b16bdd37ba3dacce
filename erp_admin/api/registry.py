"""The API blueprint and its route registry: every route declares what the OpenAPI document shows.

A route module writes

    @route("/products/<int:id>", ["GET"], summary="Read a product", tags=["products"],
           responses={200: Reply("Product", headers=("ETag",))})
    @requires("products", "read")
    def read_product(id): ...

`route` authenticates the bearer token (unless auth=None), sets the audit
actor's user, commits a successful write (commit=False leaves the
transaction to the view) and records the route for /api/openapi.json.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Callable

from flask import Blueprint, make_response

from erp_admin.extensions import db

bp = Blueprint("api", __name__, url_prefix="/api")

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Param:
    """A query, path or header parameter, documented with a JSON schema."""

    name: str
    location: str = "query"  # query, path, header
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    description: str = ""
    required: bool = False


@dataclass(frozen=True)
class Body:
    """A request body: a RecordSchema subclass (create or partial update) or a plain JSON schema."""

    schema: Any
    partial: bool = False
    media_types: tuple[str, ...] = ("application/json",)
    required: bool = True
    description: str = ""
    # Further media types with their own schema, e.g. {"multipart/form-data": {...}}.
    per_media: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """A success response: a component schema name (or an inline schema), the headers it carries."""

    schema: Any = None  # "Product", {"type": "array", "items": "Product"}, an inline schema or None
    description: str = "Success"
    headers: tuple[str, ...] = ()
    media_type: str = "application/json"


@dataclass
class RouteSpec:
    rule: str
    methods: tuple[str, ...]
    endpoint: str
    summary: str
    tags: tuple[str, ...]
    auth: str | None
    params: tuple[Param, ...]
    body: Body | None
    responses: dict[int, Reply]
    permission: tuple[str, str] | None
    errors: tuple[int, ...]
    description: str = ""


ROUTES: list[RouteSpec] = []
# Extra OpenAPI component schemas declared by route modules (name -> JSON schema).
COMPONENTS: dict[str, dict[str, Any]] = {}


def component(name: str, schema: dict[str, Any]) -> str:
    """Declare an OpenAPI component schema for a route module's replies; return its name (for Reply)."""
    COMPONENTS[name] = schema
    return name


def route(rule: str, methods: list[str], *, summary: str, tags: list[str], auth: str | None = "access",
          params: tuple[Param, ...] | list[Param] = (), body: Body | None = None,
          responses: dict[int, Reply] | None = None, errors: tuple[int, ...] = (),
          commit: bool | None = None, max_body: int | Callable[[], int] | None = None, description: str = "",
          endpoint: str | None = None):
    """Register view on the API blueprint at rule and document it.

    auth: "access" (bearer access token), "refresh" (bearer refresh token) or None.
    errors: extra problem statuses this route can answer (401/403/500 are added as they apply).
    commit: commit the session after a response below 400 (default: for writes).
    max_body: a larger request body limit than API_MAX_BODY (e.g. a CSV upload): bytes, or a
      callable returning them at request time (a limit taken from the configuration).
    endpoint: the endpoint name under "api." (default: the view's name).
    """

    def decorator(view):
        from erp_admin.api.tokens import authenticate_request
        from erp_admin.db.engine import read_phase

        name = endpoint or view.__name__
        write = any(m not in READ_METHODS for m in methods)
        do_commit = write if commit is None else commit

        @wraps(view)
        def handler(*args, **kwargs):
            if auth:
                # Checking the token reads only: on SQLite, not under the write lock of a write request.
                with read_phase():
                    authenticate_request(refresh=auth == "refresh")
            response = view(*args, **kwargs)
            if do_commit:
                response = make_response(response)
                if response.status_code < 400:
                    db.session.commit()
                else:
                    db.session.rollback()
            return response

        if max_body is not None:
            handler.max_body = max_body
        bp.add_url_rule(rule, endpoint=name, view_func=handler, methods=methods)
        ROUTES.append(RouteSpec(
            rule=bp.url_prefix + rule, methods=tuple(methods), endpoint=f"{bp.name}.{name}",
            summary=summary, tags=tuple(tags), auth=auth, params=tuple(params), body=body,
            responses=responses or {200: Reply()}, permission=getattr(view, "required_permission", None),
            errors=tuple(errors), description=description or (view.__doc__ or "").strip(),
        ))
        return handler

    return decorator


def document(rule: str, methods: list[str], *, summary: str, tags: list[str], responses: dict[int, Reply],
             params: tuple[Param, ...] = (), errors: tuple[int, ...] = ()) -> None:
    """Document a route served by another blueprint under /api (the Swagger UI assets)."""
    ROUTES.append(RouteSpec(
        rule=rule, methods=tuple(methods), endpoint="", summary=summary, tags=tuple(tags), auth=None,
        params=tuple(params), body=None, responses=responses, permission=None, errors=tuple(errors),
    ))
