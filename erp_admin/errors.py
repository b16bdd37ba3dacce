"""The one error family of business operations; each face turns them into its own answer.

The API answers a problem+json with the error's status, the panel a flash
message and the re-rendered form, the CLI a message and a non-zero exit.
"""
from __future__ import annotations


class ServiceError(Exception):
    status = 400
    title = "Bad Request"

    def __init__(self, detail: str, *, field: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.field = field


class ValidationFailed(ServiceError):
    """One or more fields failed validation; errors is [{"field", "message"}]."""

    status = 422
    title = "Unprocessable Content"

    def __init__(self, errors: list[dict[str, str | None]]):
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


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
