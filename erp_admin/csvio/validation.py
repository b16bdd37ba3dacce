"""Checking every row of a CSV table with the API's rules, and planning the writes.

Rows are checked in chunks: one query per chunk finds the stored records
their keys name, so no query runs per row. The outcome is the report and the
list of changes to write; nothing here writes.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any, NamedTuple

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.engine import Connection

from erp_admin.csvio.cells import parse_cell
from erp_admin.csvio.reader import CsvRow, CsvTable
from erp_admin.csvio.report import ImportReport
from erp_admin.audit.log import diff
from erp_admin.resources import Resource
from erp_admin.schemas import ValidationFailed, validate_record

CHUNK_ROWS = 1000

Progress = Callable[[str, int, int | None], None]


class Change(NamedTuple):
    """One record to write: record_id None creates, else updates the record seen at version."""

    line: int
    record_id: int | None
    version: int | None
    data: dict[str, Any]


def plan_import(table: CsvTable, resource: Resource, conn: Connection,
                progress: Progress | None = None) -> tuple[ImportReport, list[Change]]:
    """Validate every row of table; return the report and the changes a real import would write."""
    report = ImportReport(ignored_columns=list(table.ignored_columns))
    changes: list[Change] = []
    first_line_of_key: dict[Any, int] = {}
    integer_fields = resource.integer_fields
    done = 0
    for chunk in _chunks(table.rows, CHUNK_ROWS):
        parsed = [(row, {f: parse_cell(t, integer=f in integer_fields) for f, t in row.cells.items()})
                  for row in chunk]
        keys = {k: _key(resource, data) for k, (_, data) in enumerate(parsed)}
        stored = _stored_records(conn, resource, {k for k in keys.values() if k is not None})
        for index, (row, data) in enumerate(parsed):
            if row.error:
                report.reject(row.line, None, row.error)
                continue
            key = keys[index]
            if key is not None:
                if key in first_line_of_key:
                    report.reject(row.line, resource.import_key,
                                  f"duplicate {resource.import_key} {key!r}: already on line {first_line_of_key[key]}")
                    continue
                first_line_of_key[key] = row.line
            change = _check_row(resource, row, data, stored.get(key) if key is not None else None, report)
            if change is not None:
                changes.append(change)
        done += len(chunk)
        if progress:
            progress("validate", done, None)
    return report, changes


def _check_row(resource: Resource, row: CsvRow, data: dict[str, Any], stored, report: ImportReport):
    try:
        if stored is None:
            cleaned = validate_record(resource.schema, data, partial=False)
            report.created += 1
            return Change(row.line, None, None, cleaned)
        cleaned = validate_record(resource.schema, data, partial=True)
    except ValidationFailed as exc:
        for error in exc.errors:
            report.reject(row.line, error["field"], error["message"])
        return None
    changed = {name: new for name, (_old, new) in diff(stored, cleaned).items()}
    if not changed:
        report.unchanged += 1
        return None
    report.updated += 1
    return Change(row.line, stored.id, stored.version, changed)


def _key(resource: Resource, data: dict[str, Any]):
    """Return the row's key as stored (emails lower-cased by the shared rule), or None."""
    value = data.get(resource.import_key)
    if not isinstance(value, str):
        return None
    try:
        return resource.schema.adapter(resource.import_key).validate_python(value)
    except ValidationError:
        return value  # still a key for duplicate detection; validation reports the error


def _stored_records(conn: Connection, resource: Resource, keys: set) -> dict[Any, Any]:
    if not keys:
        return {}
    model = resource.model
    columns = [model.id, model.version, *(getattr(model, f) for f in resource.writable)]
    key_column = getattr(model, resource.import_key)
    # Emails are stored lower-cased (the shared validation normalises them), so the
    # unique index answers the case-insensitive match.
    rows = conn.execute(select(*columns).where(key_column.in_(list(keys))))
    return {getattr(r, resource.import_key): r for r in rows}


def _chunks(rows: Iterable[CsvRow], size: int) -> Iterator[list[CsvRow]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk
