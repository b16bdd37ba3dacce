"""The one error family of business operations; each face turns them into its own answer.

Every error says what a channel needs to answer it, so no channel has code
per class: its `status`, its `problem_kind` (a key of the API's
PROBLEM_KINDS, which gives the problem `type`), its `detail`, the
`field_errors` to show beside the fields, and `retry_after` when waiting
helps. The adapters: the API answers a problem+json (erp_admin/api/errors.py),
the panel a flash and the re-rendered form (erp_admin/admin/errors.py), the
CLI `Error: <detail>` and exit status 1 (erp_admin/cli/errors.py).
"""
from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status = 400
    title = "Bad Request"
    problem_kind = "bad-request"
    # Seconds after which trying again may succeed (Retry-After), or None.
    retry_after: int | None = None
    # A one-line headline when detail only lists the field errors (shown beside the fields instead).
    summary: str | None = None

    def __init__(self, detail: str, *, field: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self._headers: dict[str, str] = {}

    @property
    def field_errors(self) -> list[dict[str, Any]]:
        """[{"field", "message"}] to show beside the fields named (the error's own field, if any)."""
        return [{"field": self.field, "message": self.detail}] if self.field else []

    @property
    def headers(self) -> dict[str, str]:
        """Response headers the error calls for: Retry-After, and any a face added (the API's ETag of a 412)."""
        retry = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
        return {**retry, **getattr(self, "_headers", {})}

    @headers.setter
    def headers(self, value: dict[str, str]) -> None:
        self._headers = dict(value)

    @property
    def extra(self) -> dict[str, Any]:
        """More members for the API's problem body."""
        return {}


class ValidationFailed(ServiceError):
    """One or more fields failed validation; errors is [{"field", "message"}]."""

    status = 422
    title = "Unprocessable Content"
    problem_kind = "validation-failed"
    summary = "The request has invalid fields."

    def __init__(self, errors: list[dict[str, str | None]]):
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors

    @property
    def field_errors(self) -> list[dict[str, Any]]:
        return self.errors


class NotAuthenticated(ServiceError):
    """No signed-in user: the channel asks for credentials (API: 401, panel: login page)."""

    status = 401
    title = "Unauthorized"
    problem_kind = "token-missing"


class PermissionDenied(ServiceError):
    status = 403
    title = "Forbidden"
    problem_kind = "forbidden"


class NotFound(ServiceError):
    status = 404
    title = "Not Found"
    problem_kind = "not-found"


class Conflict(ServiceError):
    """Duplicate key, stock below zero, self-delete, last-admin rule."""

    status = 409
    title = "Conflict"
    problem_kind = "conflict"


class PreconditionFailed(ServiceError):
    """The client's version of the record is stale."""

    status = 412
    title = "Precondition Failed"
    problem_kind = "precondition-failed"


class LoginThrottled(ServiceError):
    """Too many failed sign-ins for this client address or username: wait retry_after seconds."""

    status = 429
    title = "Too Many Requests"
    problem_kind = "throttled"

    def __init__(self, retry_after: int):
        super().__init__(f"Too many failed sign-in attempts. Please wait {retry_after} seconds and try again.")
        self.retry_after = retry_after


class ServiceUnavailable(ServiceError):
    """The database stayed too busy (serialization failures, deadlocks, locks) to finish: retry later."""

    status = 503
    title = "Service Unavailable"
    problem_kind = "service-unavailable"

    def __init__(self, detail: str, *, field: str | None = None, retry_after: int = 1):
        super().__init__(detail, field=field)
        self.retry_after = retry_after


# ---- CSV import (erp_admin.csvio) and the legacy import (erp_admin.services.legacy_import) ----

class CsvFormatError(ServiceError):
    """The upload is not a readable CSV file (not UTF-8, no header, broken quoting, duplicate column)."""


class ImportTooLarge(ServiceError):
    """The file is over IMPORT_MAX_BYTES or has more than IMPORT_MAX_ROWS data rows."""

    status = 413
    title = "Content Too Large"
    problem_kind = "payload-too-large"


class ImportRejected(ServiceError):
    """A real import found rejected lines: nothing was written; report says which and why."""

    status = 422
    title = "Unprocessable Content"
    problem_kind = "validation-failed"

    def __init__(self, report):  # a csvio ImportReport (duck-typed: the family sits below csvio)
        count = len({r["line"] for r in report.rejected})
        super().__init__(f"{count} line(s) of the file were rejected; nothing was imported.")
        self.report = report

    @property
    def field_errors(self) -> list[dict[str, Any]]:
        return [{"field": r["field"], "message": f"Line {r['line']}: {r['message']}"} for r in self.report.rejected]

    @property
    def extra(self) -> dict[str, Any]:
        return {"report": self.report.as_dict()}


class LegacyImportError(ServiceError):
    """The legacy file cannot be imported at all (not SQLite, no known table, ...)."""
