"""The Flask-Admin panel at /admin/: sign-in, role-checked views, dashboard and security headers.

Everything is built inside init_app (never at import time), so every app
from the factory gets its own Admin and views.
"""
from __future__ import annotations

from flask import Flask, render_template, request
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from erp_admin.audit.context import Actor, begin_request_scope, set_actor
from erp_admin.web.observability import current_request_id

PANEL_PREFIX = "/admin"

# One policy for every panel page. Flask-Admin's templates use inline event
# handlers (delete confirmation, bulk actions), so scripts allow 'unsafe-inline';
# everything is still loaded from this site only (no CDN) and the page may not be framed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    """Build the panel and its views for app."""
    from erp_admin.admin import login
    from erp_admin.admin.dashboard import DashboardView
    from erp_admin.admin.declared import view_for
    from erp_admin.admin.views import custom_views
    from erp_admin.resources import declared

    ensure_babel(app)
    admin = Admin(
        app,
        name="ERP Admin",
        theme=Bootstrap4Theme(base_template="admin/erp_base.html", fluid=True),
        index_view=DashboardView(name="Dashboard", url=PANEL_PREFIX, endpoint="admin"),
    )
    # One view per declared resource, in declaration order; a custom class only where one is registered.
    custom = custom_views()
    for declaration in declared():
        admin.add_view(view_for(declaration, custom.get(declaration.name)))
    app.register_blueprint(login.bp, url_prefix=PANEL_PREFIX)
    app.before_request(_panel_request)
    app.after_request(_panel_headers)
    app.register_error_handler(CSRFError, _csrf_error)


def ensure_babel(app: Flask) -> None:
    """Initialise Flask-Babel when it is installed: Flask-Admin then uses it and crashes without it."""
    try:
        import flask_babel
    except ImportError:
        return
    if "babel" not in app.extensions:
        flask_babel.Babel(app)


def is_panel_request() -> bool:
    return request.path == PANEL_PREFIX or request.path.startswith(PANEL_PREFIX + "/")


def _panel_request():
    from erp_admin.admin.sessions import drop_dead_session

    if not is_panel_request():
        return None
    # NUL bytes reach PostgreSQL as an error (a 500): refuse them up front.
    if any("\x00" in v for v in request.args.values()) or any("\x00" in v for v in request.form.values()):
        return render_template("panel_auth/bad_request.html", message="The request contains a NUL character."), 400
    # Before Flask-Login reads the cookie: a session ended by logout stays ended.
    drop_dead_session()
    begin_request_scope()
    user = current_user if current_user.is_authenticated else None
    set_actor(Actor(
        channel="admin",
        user_id=user.id if user else None,
        username=user.username if user else None,
        request_id=current_request_id(),
        client_addr=request.remote_addr,
    ))
    return None


def _panel_headers(response):
    if not is_panel_request():
        return response
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("Referrer-Policy", "same-origin")
    static = request.endpoint is not None and request.endpoint.endswith(".static")
    if not static:
        # Signed-in pages (and the login form with its token) must not sit in any cache.
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
    return response


def _csrf_error(exc: CSRFError):
    if not is_panel_request():
        return exc
    return render_template(
        "panel_auth/bad_request.html",
        message="This form has expired or did not come from this site. Go back, reload the page and try again.",
    ), 400
