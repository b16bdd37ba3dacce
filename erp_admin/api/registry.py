"""The API's route registry: every route declares what the OpenAPI document shows; each app gets its blueprint.

A route module writes

    @route("/products/<int:id>", ["GET"], summary="Read a product", tags=["products"],
           responses={200: Reply("Product", headers=("ETag",))})
    @requires("products", "read")
    def read_product(id): ...

`route` authenticates the bearer token (unless auth=None), sets the audit
actor's user, commits a successful write (commit=False leaves the
transaction to the view) and records the route (view and RouteSpec).
Nothing is bound at import: `api.init_app` builds each app a blueprint of
its own (Flask adds no rule to a blueprint once registered) from the routes
recorded at import and those generated then from the resource registry
(`generated`), so a resource declared before create_app has its API.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Callable, Iterable

from flask import Blueprint, Flask, make_response

from erp_admin.extensions import db

NAME = "api"
URL_PREFIX = "/api"

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Param:
    """A query, path or header parameter, documented with a JSON schema."""

    name: str
    location: str = "query"  # query, path, header
    # A function returning the schema when the document is built: a schema naming the declared resources.
    schema: dict[str, Any] | Callable[[], dict[str, Any]] = field(default_factory=lambda: {"type": "string"})
    description: str = ""
    required: bool = False
    # OpenAPI serialization of an array: style "form" with explode False is one comma-separated value.
    style: str | None = None
    explode: bool | None = None


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
    view: Callable | None = field(default=None, repr=False, compare=False)  # None: served by another blueprint


# Recorded at import, in order: a route, or a function generating routes when an app is built.
_RECORDED: list[RouteSpec | Callable[[], Iterable[RouteSpec]]] = []
# While collect() runs, route() records into the innermost list here instead.
_COLLECTING: list[list[RouteSpec]] = []
# Extra OpenAPI component schemas declared by route modules (name -> JSON schema, or a function
# returning it when the document is built: a schema naming the declared resources).
COMPONENTS: dict[str, dict[str, Any] | Callable[[], dict[str, Any]]] = {}


def component(name: str, schema: dict[str, Any] | Callable[[], dict[str, Any]]) -> str:
    """Declare an OpenAPI component schema for a route module's replies; return its name (for Reply)."""
    COMPONENTS[name] = schema
    return name


def route(rule: str, methods: list[str], *, summary: str, tags: list[str], auth: str | None = "access",
          params: tuple[Param, ...] | list[Param] = (), body: Body | None = None,
          responses: dict[int, Reply] | None = None, errors: tuple[int, ...] = (),
          commit: bool | None = None, max_body: int | Callable[[], int] | None = None, description: str = "",
          endpoint: str | None = None):
    """Record view at rule (under /api) with its documentation, for every app's API blueprint.

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
        _record(RouteSpec(
            rule=URL_PREFIX + rule, methods=tuple(methods), endpoint=f"{NAME}.{name}",
            summary=summary, tags=tuple(tags), auth=auth, params=tuple(params), body=body,
            responses=responses or {200: Reply()}, permission=getattr(view, "required_permission", None),
            errors=tuple(errors), description=description or (view.__doc__ or "").strip(), view=handler,
        ))
        return handler

    return decorator


def document(rule: str, methods: list[str], *, summary: str, tags: list[str], responses: dict[int, Reply],
             params: tuple[Param, ...] = (), errors: tuple[int, ...] = ()) -> None:
    """Document a route served by another blueprint under /api (the Swagger UI assets)."""
    _record(RouteSpec(
        rule=rule, methods=tuple(methods), endpoint="", summary=summary, tags=tuple(tags), auth=None,
        params=tuple(params), body=None, responses=responses, permission=None, errors=tuple(errors),
    ))


def _record(spec: RouteSpec) -> None:
    (_COLLECTING[-1] if _COLLECTING else _RECORDED).append(spec)


def generated(generate: Callable[[], Iterable[RouteSpec]]) -> None:
    """Have generate() add its routes, at this point of the recorded ones, to every app built from now on."""
    _RECORDED.append(generate)


def collect(build: Callable[[], Any]) -> list[RouteSpec]:
    """Run build() and return the routes its route() calls made (for a generator; kept out of the recorded list)."""
    _COLLECTING.append([])
    try:
        build()
    finally:
        found = _COLLECTING.pop()
    return found


def app_routes() -> tuple[RouteSpec, ...]:
    """The routes of an app built now: the recorded ones and the generated ones, in recording order."""
    routes: list[RouteSpec] = []
    for item in _RECORDED:
        routes.extend(item() if callable(item) else (item,))
    return tuple(routes)


def blueprint(routes: Iterable[RouteSpec]) -> Blueprint:
    """A fresh API blueprint serving routes (one per app: a registered blueprint takes no new rule)."""
    bp = Blueprint(NAME, __name__, url_prefix=URL_PREFIX)
    for spec in routes:
        if spec.view is not None:
            bp.add_url_rule(spec.rule[len(URL_PREFIX):], endpoint=spec.endpoint.removeprefix(NAME + "."),
                            view_func=spec.view, methods=list(spec.methods))
    return bp


def routes_of(app: Flask) -> tuple[RouteSpec, ...]:
    """Every route of app's API, as api.init_app built it (for its OpenAPI document)."""
    return app.extensions["erp_api_routes"]
