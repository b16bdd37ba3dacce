"""App-wide error pages outside the API: a database outage is a 503, never a traceback."""
from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy.exc import DBAPIError

from erp_admin.api.errors import DATABASE_DOWN, handle_database_unavailable, is_api_request
from erp_admin.extensions import db


def database_unavailable(exc: DBAPIError):
    """Answer a lost database: a problem body under /api, a plain page elsewhere."""
    if is_api_request():
        return handle_database_unavailable(exc)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001  (the connection itself is what failed)
        pass
    current_app.logger.error("database unavailable: %s", type(exc.orig).__name__)
    # Rendered without Flask's context processors: Flask-Login's would load the signed-in
    # user from the database that just failed, turning the 503 page into a 500.
    page = current_app.jinja_env.get_template("errors/503.html").render()
    return page, 503, {"Retry-After": "5", "Content-Type": "text/html; charset=utf-8"}


def init_app(app: Flask) -> None:
    for error in DATABASE_DOWN:
        app.register_error_handler(error, database_unavailable)
