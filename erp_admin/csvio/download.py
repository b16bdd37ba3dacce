"""An export as an HTTP download: the one response the API and the panel both send for a CSV export."""
from __future__ import annotations

from datetime import datetime, timezone
from itertools import chain

from flask import Response, stream_with_context
from sqlalchemy import Select

from erp_admin.csvio.exporter import export_csv

CSV_MEDIA_TYPE = "text/csv"


def export_filename(resource_name: str) -> str:
    """The download's file name, e.g. products-20261126-134501.csv (UTC)."""
    return f"{resource_name}-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}.csv"


def csv_download(resource_name: str, query: Select | None = None) -> Response:
    """Return a streamed text/csv attachment of export_csv(resource_name, query).

    The first chunk is produced before the response starts, so an error in the
    query (or the database being down) is still answered with a proper error
    status rather than a cut-off file; the rest streams in flat memory.
    """
    chunks = export_csv(resource_name, query)
    first = next(chunks)
    response = Response(stream_with_context(chain([first], chunks)), mimetype=CSV_MEDIA_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{export_filename(resource_name)}"'
    return response
