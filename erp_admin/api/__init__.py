"""The JSON API blueprint at /api: JWT auth, the resources, stats, OpenAPI and Swagger UI.

Adding a route module: write `erp_admin/api/<name>.py` using
`registry.route` (+ `auth.access.requires`, `listing`, `idempotency`) and add
its name to ROUTE_MODULES; importing it records its routes. Each app gets
them, with the routes of the resources declared at that moment, on a
blueprint of its own (init_app).
"""
from __future__ import annotations

from functools import wraps
from importlib import import_module

from flask import Flask, request

from erp_admin.api import errors, registry

# Their order is the order of the routes (and of the methods under an OpenAPI path).
ROUTE_MODULES = ("auth", "records", "stats", "stock", "audit_log", "csv_routes", "openapi", "docs", "problems")
for _name in ROUTE_MODULES:
    import_module(f"erp_admin.api.{_name}")

ALLOWED_HEADERS = ["Authorization", "Content-Type", "If-Match", "Idempotency-Key", "X-Request-ID"]
EXPOSED_HEADERS = ["X-Total-Count", "Link", "ETag", "Location", "Retry-After", "X-Request-ID"]


def init_app(app: Flask) -> None:
    """Register the API blueprint (the recorded routes and the declared resources') and its error handling,
    JWT, CORS and per-request context on app."""
    from erp_admin.api import context, docs, tokens
    from erp_admin.extensions import cors, csrf

    app.json.sort_keys = False  # records keep the contract's field order
    tokens.init_app(app)
    context.init_app(app)
    errors.init_app(app)
    routes = registry.app_routes()
    bp = registry.blueprint(routes)
    errors.register_blueprint_handlers(bp)
    # Tokens travel in the Authorization header, never in cookies: no CSRF exposure.
    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.extensions["erp_api_routes"] = routes
    docs.init_app(app)
    cors.init_app(app, resources={r"/api/*": {
        "origins": app.config["CORS_ORIGINS"],
        "allow_headers": ALLOWED_HEADERS,
        "expose_headers": EXPOSED_HEADERS,
        "methods": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        "max_age": 600,
        # Only a browser's cross-origin request (it sends Origin) gets CORS headers; by default
        # flask-cors would list the allowed origins on every response.
        "always_send": False,
    }})
    _cors_only_for_cross_origin_requests(app)


def _cors_only_for_cross_origin_requests(app: Flask) -> None:
    """Run flask-cors's response hook only for requests that send Origin; every API answer varies on Origin.

    With always_send off the hook adds nothing to any other response, but it
    takes about 6 % of a small API read to find that out (path matching and
    option evaluation on every response). flask-cors 6.0.5 has no public handle
    on its hook, so it is found by name (tests/api/test_cors.py pins the version).

    `Vary: Origin` goes on every /api answer: flask-cors adds it only when several
    origins are configured, yet with one origin a request with Origin still gets the
    grant and one without gets none, so a shared cache must key on Origin either way.
    """
    hooks = app.after_request_funcs.setdefault(None, [])
    found = [i for i, hook in enumerate(hooks) if getattr(hook, "__name__", "") == "cors_after_request"]
    if len(found) != 1:  # a flask-cors release that registers its hook differently: fail at startup
        raise RuntimeError(f"expected one flask-cors after_request hook, found {len(found)}")
    cors_hook = hooks[found[0]]

    @wraps(cors_hook)
    def cors_after_request(response):
        if "Origin" in request.headers:
            response = cors_hook(response)
        if errors.is_api_request():
            _vary_on_origin(response)
        return response

    hooks[found[0]] = cors_after_request


def _vary_on_origin(response) -> None:
    """Merge Origin into the response's Vary (flask-cors may have added a second Vary line)."""
    values = [v.strip() for line in response.headers.getlist("Vary") for v in line.split(",") if v.strip()]
    if "origin" not in {v.lower() for v in values}:
        values.append("Origin")
    response.headers["Vary"] = ", ".join(dict.fromkeys(values))
