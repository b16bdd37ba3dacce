"""Reading an uploaded CSV file: decoding, delimiter, header matching, limits, numbered rows.

The file is read as a stream: rows come out one at a time with the line of
the file they start on (the header is line 1), and the size and row limits
stop the reading as soon as they are passed.
"""
from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from erp_admin.errors import CsvFormatError, ImportTooLarge
from erp_admin.resources import Resource
from erp_admin.schemas import READ_ONLY_FIELDS

_SPACING = re.compile(r"[\s_\-]+")


def header_key(name: str) -> str:
    """Normalise a column name: case, spaces, underscores and hyphens do not matter."""
    return _SPACING.sub("", name).lower()


@dataclass
class CsvRow:
    line: int  # line of the file the row starts on
    cells: dict[str, str]  # API field name -> cell text, for the columns the file has
    error: str | None = None  # a row that cannot be read as a record (wrong number of cells)


@dataclass
class CsvTable:
    columns: dict[str, int]  # writable API field -> column index
    ignored_columns: list[str]  # header names that match no field of the resource
    delimiter: str
    rows: Iterator[CsvRow] = field(repr=False)


class _CountingReader(io.RawIOBase):
    """A byte stream that raises ImportTooLarge once more than max_bytes were read."""

    def __init__(self, raw: BinaryIO, max_bytes: int):
        self._raw = raw
        self._max = max_bytes
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        self.bytes_read += n
        if self.bytes_read > self._max:
            raise ImportTooLarge(f"The file is larger than the limit of {self._max} bytes.")
        buffer[:n] = data
        return n


def read_csv(source: bytes | BinaryIO, resource: Resource, *, max_bytes: int, max_rows: int) -> CsvTable:
    """Open source (bytes or a binary stream) as a CSV table of resource; rows are read lazily.

    Raises CsvFormatError for a file that is not UTF-8 or has no usable header,
    ImportTooLarge (here or while iterating rows) beyond the limits.
    """
    if isinstance(source, (bytes, bytearray)):
        if len(source) > max_bytes:
            raise ImportTooLarge(f"The file is larger than the limit of {max_bytes} bytes.")
        source = io.BytesIO(source)
    counter = _CountingReader(source, max_bytes)
    # utf-8-sig drops a BOM when there is one; newline="" lets csv see quoted line breaks.
    text = io.TextIOWrapper(io.BufferedReader(counter), encoding="utf-8-sig", newline="")
    header_line = _decode(lambda: text.readline(), line=1)
    if not header_line.strip():
        raise CsvFormatError("The file is empty: the first line must name the columns.")
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    lines = itertools.chain([header_line], _decoded_lines(text))
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    header = _next_record(reader)
    columns, ignored = _match_header(header, resource)
    return CsvTable(columns=columns, ignored_columns=ignored, delimiter=delimiter,
                    rows=_rows(reader, columns, len(header), max_rows))


def _match_header(header: list[str], resource: Resource) -> tuple[dict[str, int], list[str]]:
    known = {header_key(f): f for f in resource.fields}
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for index, name in enumerate(header):
        if not name.strip():
            continue  # an unnamed column, e.g. from a trailing delimiter
        field_name = known.get(header_key(name))
        if field_name is None:
            ignored.append(name.strip())
        elif field_name in READ_ONLY_FIELDS:
            continue  # exports carry them; an import never sets them
        elif field_name in columns:
            raise CsvFormatError(f"The column {field_name!r} appears twice in the header.")
        else:
            columns[field_name] = index
    if not columns:
        # Most likely another kind of file (or no header row at all): say so rather than
        # reporting every line as missing its required fields.
        raise CsvFormatError(
            f"The first line names none of the {resource.name}' columns ({', '.join(resource.writable)})."
        )
    return columns, ignored


def _rows(reader, columns: dict[str, int], width: int, max_rows: int) -> Iterator[CsvRow]:
    count = 0
    while True:
        start = reader.line_num + 1
        cells = _next_record(reader, default=None)
        if cells is None:
            return
        if not any(c.strip() for c in cells):
            continue  # blank lines are not rows
        count += 1
        if count > max_rows:
            raise ImportTooLarge(f"The file has more than the limit of {max_rows} rows.")
        if len(cells) != width and (len(cells) < width or any(c.strip() for c in cells[width:])):
            yield CsvRow(start, {}, f"expected {width} cells like the header, found {len(cells)}")
            continue
        yield CsvRow(start, {name: cells[index] for name, index in columns.items()})


_MISSING = object()


def _next_record(reader, default=_MISSING):
    try:
        return next(reader)
    except StopIteration:
        if default is _MISSING:
            raise CsvFormatError("The file is empty: the first line must name the columns.") from None
        return default
    except csv.Error as exc:
        raise CsvFormatError(f"Line {reader.line_num}: the file is not valid CSV ({exc}).") from None


def _decoded_lines(text: io.TextIOWrapper) -> Iterator[str]:
    line = 1
    while True:
        line += 1
        chunk = _decode(text.readline, line=line)
        if not chunk:
            return
        yield chunk


def _decode(read, *, line: int) -> str:
    try:
        return read()
    except UnicodeDecodeError:
        raise CsvFormatError(
            f"Near line {line}: the file is not UTF-8 text. Save it as \"CSV UTF-8\" and upload it again."
        ) from None
