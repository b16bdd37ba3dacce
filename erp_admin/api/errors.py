"""The one place that turns every error under /api into an RFC 9457 problem+json response."""
from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus

import redis
from flask import Flask, current_app, json, request, url_for
from flask.globals import request_ctx
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from erp_admin.errors import ServiceError
from erp_admin.extensions import db

@dataclass(frozen=True)
class ProblemKind:
    """One kind of problem: its `type` is <API root>/problems/<slug>, which serves a page from description."""

    slug: str
    status: int
    title: str
    description: str
    # WWW-Authenticate of a 401 (RFC 6750 3.1: no error code when no bearer token was presented).
    challenge: str | None = None


_INVALID_TOKEN = 'Bearer error="invalid_token"'
# Every kind of problem the API answers, the one table: a client tells kinds apart by `type`.
PROBLEM_KINDS: dict[str, ProblemKind] = {kind.slug: kind for kind in (
    ProblemKind("bad-request", 400, "Bad Request",
                "The request is malformed: JSON that does not parse or is not an object, or a query value of the "
                "wrong type or range (an unknown or repeated sort field, an unknown filter field or operator, "
                "an operator the field does not take, limit=0, a NUL byte)."),
    ProblemKind("token-missing", 401, "Authentication Required",
                "No bearer token was sent; send the access token as Authorization: Bearer TOKEN.", "Bearer"),
    ProblemKind("invalid-credentials", 401, "Invalid Credentials",
                "Sign-in refused: wrong username or password, or an inactive account (never told apart).", "Bearer"),
    ProblemKind("token-invalid", 401, "Invalid Token",
                "The bearer token is malformed, wrongly signed, of the wrong type (a refresh token as an access "
                "token, or the reverse), or cannot be checked right now; sign in again.", _INVALID_TOKEN),
    ProblemKind("token-expired", 401, "Token Expired",
                "The bearer token has expired; get a new access token from POST /api/auth/refresh.", _INVALID_TOKEN),
    ProblemKind("token-revoked", 401, "Token Revoked",
                "The bearer token was revoked: signed out, or the user's password, role or active flag changed, "
                "or the user was deleted; sign in again.", _INVALID_TOKEN),
    ProblemKind("forbidden", 403, "Forbidden", "The token is valid but the user's role may not do this."),
    ProblemKind("not-found", 404, "Not Found", "No such record or route."),
    ProblemKind("method-not-allowed", 405, "Method Not Allowed", "The route does not take this method; see Allow."),
    ProblemKind("conflict", 409, "Conflict",
                "The change conflicts with the stored data: a duplicate sku, email or username, stock below zero, "
                "deleting or deactivating yourself, or the last active admin."),
    ProblemKind("precondition-failed", 412, "Precondition Failed",
                "If-Match names a stale version; the response's ETag is the current one. Nothing was written."),
    ProblemKind("payload-too-large", 413, "Content Too Large", "The request body is over the size limit."),
    ProblemKind("unsupported-media-type", 415, "Unsupported Media Type", "The body is not in a media type the route takes."),
    ProblemKind("validation-failed", 422, "Unprocessable Content",
                "One or more fields fail validation or are unknown; errors lists each field."),
    ProblemKind("idempotency-key-reused", 422, "Idempotency Key Reused",
                "This Idempotency-Key was already used with a different request body."),
    ProblemKind("throttled", 429, "Too Many Requests", "Too many failed sign-ins; wait for Retry-After seconds."),
    ProblemKind("server-error", 500, "Internal Server Error", "An unexpected error; it has been logged."),
    ProblemKind("service-unavailable", 503, "Service Unavailable",
                "The database or another backing service is unavailable or too busy; retry after Retry-After."),
)}
# The kind a status means when the error names none (the first kind listed with that status).
_KIND_OF_STATUS: dict[int, ProblemKind] = {}
for _kind in PROBLEM_KINDS.values():
    _KIND_OF_STATUS.setdefault(_kind.status, _kind)
PROBLEM_TYPE = "about:blank"  # a status no kind covers: nothing more to say than the status (RFC 9457 4.2.1)
PROBLEM_MEDIA_TYPE = "application/problem+json"
# Headers an HTTPException brings that the problem response keeps (405 Allow, 416 Content-Range...).
_KEPT_HEADERS = {"allow", "retry-after", "www-authenticate", "content-range"}
# What a lost or refused database connection raises.
DATABASE_DOWN = (OperationalError, InterfaceError)


def is_api_request() -> bool:
    """True for every request under /api, routed or not."""
    return request.path == "/api" or request.path.startswith("/api/")


def problem_type_uri(slug: str) -> str:
    """The absolute URI of a problem kind, on this request's scheme and host (as Location is)."""
    if request_ctx.url_adapter is None:  # the Host itself was refused (TRUSTED_HOSTS): no host to name
        return f"{request.script_root}/api/problems/{slug}"
    return url_for("api.problem_type", slug=slug, _external=True)


def problem(status: int, detail: str, *, kind: str | None = None, errors: list | None = None,
            headers: dict[str, str] | None = None, **extra):
    """Return a problem+json response of kind (default: the kind of status; see PROBLEM_KINDS)."""
    known = PROBLEM_KINDS[kind] if kind else _KIND_OF_STATUS.get(status)
    body = {
        "type": problem_type_uri(known.slug) if known else PROBLEM_TYPE,
        "title": known.title if known else HTTPStatus(status).phrase,
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
        response.headers.setdefault("WWW-Authenticate", known.challenge if known and known.challenge else "Bearer")
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


def handle_service_error(exc: ServiceError):
    """Answer any error of the family (erp_admin.errors) from what it says about itself: no code per class."""
    _rollback()
    return problem(exc.status, exc.summary or exc.detail, kind=exc.problem_kind, errors=exc.field_errors or None,
                   headers=exc.headers, **exc.extra)


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
    # once the database is back (erp_admin.db.connection_health). Only the error class is logged: the
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
    """Register the problem handlers for errors raised while an API view runs (on each app's API blueprint)."""
    # Flask asks the blueprint's handlers (whole MRO) before the app's: HTTP errors go here too.
    bp.register_error_handler(HTTPException, handle_http_exception)
    bp.register_error_handler(ServiceError, handle_service_error)
    bp.register_error_handler(IntegrityError, handle_integrity_error)
    bp.register_error_handler(redis.RedisError, handle_redis_error)
    for error in DATABASE_DOWN:
        bp.register_error_handler(error, handle_database_unavailable)
    bp.register_error_handler(Exception, handle_unexpected)


def init_app(app: Flask) -> None:
    """Answer HTTP errors outside any view under /api (unknown routes, 405, 413 in hooks) as problems."""
    app.register_error_handler(HTTPException, handle_http_exception)
