"""Errors of the CSV import; each carries the HTTP status a channel answers with.

They are ServiceErrors, so a channel's generic handler for business errors
maps them (400, 413, 422) like any other; ImportRejected also carries the
report, which the 422 body must include.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from erp_admin.errors import ServiceError

if TYPE_CHECKING:
    from erp_admin.csvio.report import ImportReport


class CsvFormatError(ServiceError):
    """The upload is not a readable CSV file (not UTF-8, no header, broken quoting, duplicate column)."""

    status = 400
    title = "Bad Request"


class ImportTooLarge(ServiceError):
    """The file is over IMPORT_MAX_BYTES or has more than IMPORT_MAX_ROWS data rows."""

    status = 413
    title = "Content Too Large"


class ImportRejected(ServiceError):
    """A real import found rejected lines: nothing was written; report says which and why."""

    status = 422
    title = "Unprocessable Content"

    def __init__(self, report: ImportReport):
        count = len({r["line"] for r in report.rejected})
        super().__init__(f"{count} line(s) of the file were rejected; nothing was imported.")
        self.report = report
