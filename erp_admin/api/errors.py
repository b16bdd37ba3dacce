"""The one place that turns every error under /api into an RFC 9457 problem+json response."""
from __future__ import annotations

from http import HTTPStatus

import redis
from flask import Flask, current_app, json, request
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from erp_admin.auth.access import NotAuthenticated
from erp_admin.extensions import db
from erp_admin.schemas import ValidationFailed
from erp_admin.services.errors import ServiceError

PROBLEM_TYPE = "about:blank"
PROBLEM_MEDIA_TYPE = "application/problem+json"
# Headers an HTTPException brings that the problem response keeps (405 Allow, 416 Content-Range...).
_KEPT_HEADERS = {"allow", "retry-after", "www-authenticate", "content-range"}
# What a lost or refused database connection raises.
DATABASE_DOWN = (OperationalError, InterfaceError)


def is_api_request() -> bool:
    """True for every request under /api, routed or not."""
    return request.path == "/api" or request.path.startswith("/api/")


def problem(status: int, detail: str, *, title: str | None = None, errors: list | None = None,
            headers: dict[str, str] | None = None, **extra):
    """Return a problem+json response."""
    body = {
        "type": PROBLEM_TYPE,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    response = current_app.response_class(json.dumps(body), status=status, mimetype=PROBLEM_MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers.setdefault("WWW-Authenticate", "Bearer")
    return response


def _rollback() -> None:
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection itself may be what failed
        current_app.logger.warning("rollback failed after an error", exc_info=True)


def handle_http_exception(exc: HTTPException):
    if not is_api_request():
        return exc  # the panel and the rest of the app keep Flask's own pages
    _rollback()
    headers = {k: v for k, v in exc.get_headers() if k.lower() in _KEPT_HEADERS}
    detail = exc.description or HTTPStatus(exc.code).description
    if exc.code == 404:
        detail = "No such resource or route."
    return problem(exc.code or 500, detail, headers=headers)


def handle_validation_failed(exc: ValidationFailed):
    _rollback()
    return problem(422, "The request has invalid fields.", title="Unprocessable Content", errors=exc.errors)


def handle_service_error(exc: ServiceError):
    _rollback()
    errors = [{"field": exc.field, "message": exc.detail}] if exc.field else None
    headers = getattr(exc, "headers", None)
    return problem(exc.status, exc.detail, title=exc.title, errors=errors, headers=headers)


def handle_integrity_error(exc: IntegrityError):
    # Two writers raced past the service's pre-checks: a conflict, never a 500.
    _rollback()
    current_app.logger.info("integrity error answered as 409: %s", exc.orig)
    return problem(409, "The change conflicts with the stored data (it may already exist).")


def handle_redis_error(exc: redis.RedisError):
    _rollback()
    current_app.logger.error("Redis unavailable: %s", exc)
    return problem(503, "A backing service is unavailable; try again shortly.")


def handle_database_unavailable(exc: DBAPIError):
    # Connection refused / dropped: the client may retry; the app reconnects by itself
    # once the database is back (erp_admin.stale_connections). Only the error class is logged: the
    # statement's parameters could hold personal data.
    _rollback()
    current_app.logger.error("database unavailable: %s", type(exc.orig).__name__)
    return problem(503, "The database is unavailable; try again shortly.", headers={"Retry-After": "5"})


def handle_unexpected(exc: Exception):
    # Logged with its traceback here; the client learns nothing about the internals.
    _rollback()
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return problem(500, "An unexpected error occurred. It has been logged.")


def register_blueprint_handlers(bp) -> None:
    """Register the problem handlers for errors raised while an API view runs (once, at import)."""
    # Flask asks the blueprint's handlers (whole MRO) before the app's: HTTP errors go here too.
    bp.register_error_handler(HTTPException, handle_http_exception)
    bp.register_error_handler(ValidationFailed, handle_validation_failed)
    bp.register_error_handler(NotAuthenticated, handle_service_error)
    bp.register_error_handler(ServiceError, handle_service_error)
    bp.register_error_handler(IntegrityError, handle_integrity_error)
    bp.register_error_handler(redis.RedisError, handle_redis_error)
    for error in DATABASE_DOWN:
        bp.register_error_handler(error, handle_database_unavailable)
    bp.register_error_handler(Exception, handle_unexpected)


def init_app(app: Flask) -> None:
    """Answer HTTP errors outside any view under /api (unknown routes, 405, 413 in hooks) as problems."""
    app.register_error_handler(HTTPException, handle_http_exception)
