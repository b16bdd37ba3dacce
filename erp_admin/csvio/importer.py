"""Importing a CSV file: validate every row first, then write everything in one short transaction.

Validation reads on its own read-only connection, so no write lock is held
while a large file is checked. The write goes through the bulk writer of
services.bulk (executemany in chunks, with the same stock movements, reason
"import", and audit entries as the ORM path writes; a record changed since
the check stops everything with a 409), and commits once
(run_in_transaction: retried when the database asks for it): all or nothing.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO

from flask import current_app

from erp_admin.csvio.reader import read_csv
from erp_admin.csvio.report import ImportReport
from erp_admin.csvio.resources import get_resource
from erp_admin.resources import Resource
from erp_admin.csvio.validation import Change, Progress, plan_import
from erp_admin.db.engine import READ_ONLY_OPTION
from erp_admin.extensions import db
from erp_admin.services.bulk import KeyTaken, StaleRecord, bulk_create, bulk_update
from erp_admin.errors import Conflict, ImportRejected
from erp_admin.services.transactions import run_in_transaction

WRITE_CHUNK = 1000
IMPORT_REASON = "import"


def check_csv(resource_name: str, source: bytes | BinaryIO, *,
              progress: Progress | None = None) -> tuple[ImportReport, list[Change]]:
    """Read and validate source as a CSV of resource_name; return the report and the planned changes.

    Writes nothing. Raises CsvFormatError (400) and ImportTooLarge (413).
    """
    resource = get_resource(resource_name)
    config = current_app.config
    table = read_csv(source, resource, max_bytes=config["IMPORT_MAX_BYTES"], max_rows=config["IMPORT_MAX_ROWS"])
    with db.engine.connect() as conn:
        conn.execution_options(**{READ_ONLY_OPTION: True})
        return plan_import(table, resource, conn, progress)


def import_csv(resource_name: str, source: bytes | BinaryIO, *, dry_run: bool = False, acting_user=None,
               progress: Progress | None = None) -> ImportReport:
    """Import source (CSV bytes or binary stream) into resource_name; return the report.

    dry_run=True writes nothing. A real import writes every row or none: any
    rejected line raises ImportRejected (422, carrying the report). Also raises
    CsvFormatError (400), ImportTooLarge (413), Conflict (409, a record
    changed between the check and the write) and ServiceUnavailable (503, the
    database stayed busy). The session's open transaction, if any, is
    committed first; the write is its own transaction (run_in_transaction).
    """
    if db.session().in_transaction():
        # On SQLite the session may hold the write lock since its first query: release it
        # so other writers are not blocked while the file is validated.
        db.session.commit()
    report, changes = check_csv(resource_name, source, progress=progress)
    report.dry_run = dry_run
    if dry_run:
        return report
    if report.rejected:
        raise ImportRejected(report)
    # acting_user needs no rule here (users are not imported); the audit names the current actor.
    _write(get_resource(resource_name), changes, progress)
    report.written = True
    return report


def _write(resource: Resource, changes: Sequence[Change], progress: Progress | None) -> None:
    updates = [c for c in changes if c.record_id is not None]
    creates = [c for c in changes if c.record_id is None]
    total = len(changes)

    def report(done: int) -> None:
        if progress:
            progress("write", done, total)

    def work() -> None:
        # Run again from scratch when the database asks for a retry: it re-reads what it changes.
        try:
            bulk_update(resource.name, [(c.record_id, c.version, c.data) for c in updates], reason=IMPORT_REASON,
                        validated=True, chunk_size=WRITE_CHUNK, progress=report)
        except StaleRecord as exc:
            if exc.index is None:
                raise
            raise _changed_meanwhile(updates[exc.index].line,
                                     f"the {resource.entity} it updates was changed or deleted") from None
        try:
            bulk_create(resource.name, [c.data for c in creates], reason=IMPORT_REASON, validated=True,
                        chunk_size=WRITE_CHUNK, progress=lambda done: report(len(updates) + done))
        except KeyTaken as exc:
            raise _changed_meanwhile(creates[exc.index].line,
                                     f"a {resource.entity} with {resource.import_key} {exc.value!r} was created") from None

    run_in_transaction(work)


def _changed_meanwhile(line: int, what: str) -> Conflict:
    return Conflict(f"Line {line}: {what} after the file was checked. Nothing was imported; import the file again.",
                    field=None)
