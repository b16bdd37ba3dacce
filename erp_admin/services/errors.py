"""Errors raised by business operations; each channel turns them into its own answer."""
from __future__ import annotations


class ServiceError(Exception):
    status = 400
    title = "Bad Request"

    def __init__(self, detail: str, *, field: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.field = field


class NotFound(ServiceError):
    status = 404
    title = "Not Found"


class PermissionDenied(ServiceError):
    status = 403
    title = "Forbidden"


class Conflict(ServiceError):
    """Duplicate key, stock below zero, self-delete, last-admin rule."""

    status = 409
    title = "Conflict"


class PreconditionFailed(ServiceError):
    """The client's version of the record is stale."""

    status = 412
    title = "Precondition Failed"


class ServiceUnavailable(ServiceError):
    """The database stayed too busy (serialization failures, deadlocks, locks) to finish: retry later."""

    status = 503
    title = "Service Unavailable"

    def __init__(self, detail: str, *, field: str | None = None, retry_after: int = 1):
        super().__init__(detail, field=field)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}
