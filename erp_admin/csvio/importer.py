"""Importing a CSV file: validate every row first, then write everything in one short transaction.

Validation reads on its own read-only connection, so no write lock is held
while a large file is checked. The write goes through the shared record
services (so audit and ledger rules apply) inside movement_reason("import"),
flushing in chunks, and commits once (run_in_transaction: retried when the
database asks for it): all or nothing.
"""
from __future__ import annotations

from collections.abc import Sequence
from itertools import islice
from typing import BinaryIO

from flask import current_app
from sqlalchemy import select

from erp_admin.csvio.errors import ImportRejected
from erp_admin.csvio.reader import read_csv
from erp_admin.csvio.report import ImportReport
from erp_admin.csvio.resources import CsvResource, get_resource
from erp_admin.csvio.validation import Change, Progress, plan_import
from erp_admin.database import READ_ONLY_OPTION
from erp_admin.extensions import db
from erp_admin.inventory.stock import movement_reason
from erp_admin.services.errors import Conflict
from erp_admin.services.records import create_record, flush_records, generate_skus, update_record
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
    _write(get_resource(resource_name), changes, acting_user, progress)
    report.written = True
    return report


def _write(resource: CsvResource, changes: Sequence[Change], acting_user, progress: Progress | None) -> None:
    def work() -> None:
        # Run again from scratch when the database asks for a retry: it re-reads what it changes.
        with movement_reason(IMPORT_REASON):
            skus = iter(_generated_skus(resource, changes))
            done = 0
            iterator = iter(changes)
            while chunk := list(islice(iterator, WRITE_CHUNK)):
                stored = _current_records(resource, chunk)
                for change in chunk:
                    if change.record_id is None:
                        data = change.data
                        if resource.name == "products" and data.get("sku") is None:
                            data = {**data, "sku": next(skus)}
                        create_record(resource.name, data, acting_user=acting_user, batch=True)
                    else:
                        update_record(stored[change.record_id], change.data, acting_user=acting_user,
                                      expected_version=change.version, batch=True)
                flush_records(resource.name)
                done += len(chunk)
                if progress:
                    progress("write", done, len(changes))

    run_in_transaction(work)


def _generated_skus(resource: CsvResource, changes: Sequence[Change]) -> list[str]:
    if resource.name != "products":
        return []
    missing = sum(1 for c in changes if c.record_id is None and c.data.get("sku") is None)
    if not missing:
        return []
    reserved = {c.data["sku"] for c in changes if c.record_id is None and c.data.get("sku") is not None}
    return generate_skus(missing, reserved)


def _current_records(resource: CsvResource, chunk: list[Change]) -> dict[int, object]:
    """Load the chunk's records to update; refuse when the stored data moved since the check."""
    model = resource.model
    key_column = getattr(model, resource.key)
    ids = [c.record_id for c in chunk if c.record_id is not None]
    stored = {obj.id: obj for obj in db.session.scalars(select(model).where(model.id.in_(ids)))} if ids else {}
    for change in chunk:
        if change.record_id is not None:
            obj = stored.get(change.record_id)
            if obj is None or obj.version != change.version:
                raise _changed_meanwhile(change.line, f"the {resource.label} it updates was changed or deleted")
    new_keys = {c.data[resource.key]: c.line for c in chunk if c.record_id is None and c.data.get(resource.key)}
    if new_keys:
        taken = db.session.scalars(select(key_column).where(key_column.in_(list(new_keys)))).first()
        if taken is not None:
            raise _changed_meanwhile(new_keys[taken], f"a {resource.label} with {resource.key} {taken!r} was created")
    return stored


def _changed_meanwhile(line: int, what: str) -> Conflict:
    return Conflict(f"Line {line}: {what} after the file was checked. Nothing was imported; import the file again.",
                    field=None)
