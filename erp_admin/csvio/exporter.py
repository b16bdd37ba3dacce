"""The one CSV exporter of the API and the panel: streamed, in flat memory, importable again."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy import Select, select

from erp_admin.csvio.cells import format_cell
from erp_admin.csvio.resources import get_resource
from erp_admin.extensions import db
from erp_admin.schemas.rows import iter_records

EXPORT_CHUNK_ROWS = 1000


def export_csv(resource_name: str, query: Select | None = None, *, chunk_rows: int = EXPORT_CHUNK_ROWS) -> Iterator[str]:
    """Yield CSV text of resource_name's records selected by query (default: all, by id), chunk by chunk.

    query is a select() of the resource's model, with the list's filters and
    sort applied (its columns are replaced by the model's). The header holds exactly the API field names in contract
    order; cells are formatted so the file imports back unchanged, formula
    cells neutralised. Rows are fetched yield_per (a server-side cursor on
    PostgreSQL), so a million rows need no more memory than a thousand.
    """
    resource = get_resource(resource_name)
    if query is None:
        query = select(resource.model).order_by(resource.model.id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(resource.fields)
    # Plain rows of the model's columns (the query's filters and order kept), as namedtuples:
    # no identity map and no ORM objects, so the memory stays flat and a million rows stream fast.
    model = resource.model
    columns = [getattr(model, attr.key) for attr in model.__mapper__.column_attrs]
    rows = db.session.execute(
        query.with_only_columns(*columns, maintain_column_froms=True).execution_options(yield_per=chunk_rows)
    )
    count = 0
    for record in iter_records(rows):
        values = resource.row(record)
        writer.writerow([format_cell(values[f]) for f in resource.fields])
        count += 1
        if count % chunk_rows == 0:
            yield _take(buffer)
    yield _take(buffer)


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
