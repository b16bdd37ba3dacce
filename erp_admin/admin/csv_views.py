"""CSV in the panel: the Import page (upload → preview → Confirm) and the Export download of a list.

The uploaded file is kept server-side between the preview and the Confirm:
a browser cannot re-send a file input, and echoing up to IMPORT_MAX_BYTES
back through a hidden field would be slow and trust the client with the data.
It is stored in the instance folder under a random name that also holds the
uploader's id and the resource, so Confirm only ever opens a file this user
uploaded for this list; the form carries only the random token (checked
against a strict pattern, never used as a path). Files are removed once
imported or rejected, and any left behind longer than UPLOAD_TTL go at the
next upload. Exports stream through the same csvio exporter as the API.
"""
from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from flask import abort, current_app, flash, redirect, request
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup

from erp_admin.csvio import ImportRejected, import_csv
from erp_admin.csvio.download import csv_download
from erp_admin.services.errors import ServiceError

UPLOAD_DIR = "csv-imports"
UPLOAD_TTL = 3600  # seconds an unconfirmed upload is kept
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
CSV_ENDPOINT_VERBS = {"import_view": "import", "import_confirm_view": "import"}


def upload_dir() -> Path:
    path = Path(current_app.instance_path) / UPLOAD_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def _upload_path(resource: str, token: str) -> Path:
    return upload_dir() / f"{current_user.id}-{resource}-{token}.csv"


def _drop_stale_uploads() -> None:
    cutoff = time.time() - UPLOAD_TTL
    for path in upload_dir().glob("*.csv"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:  # another worker got there first
            pass


class CsvViewMixin:
    """Import and Export for a RecordView of an importable resource (products, customers)."""

    import_template = "admin/erp/import.html"

    def _render_import(self, status=200, **context):
        context.setdefault("report", None)
        context.setdefault("token", None)
        context.setdefault("filename", None)
        return self.render(self.import_template, list_url=self.get_url(".index_view"), **context), status

    @expose("/import/", methods=("GET", "POST"))
    def import_view(self):
        """Upload a CSV file and preview what it would do (a dry run: nothing is written)."""
        if request.method == "GET":
            return self._render_import()
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash("Choose a CSV file to upload.", "error")
            return self._render_import(400)
        _drop_stale_uploads()
        token = secrets.token_hex(16)
        upload.save(_upload_path(self.resource, token))
        return self._preview(token, upload.filename)

    def _preview(self, token: str, filename: str | None, status: int = 200):
        """Dry-run the stored upload and show the report; keep the file only when there is something to confirm."""
        path = _upload_path(self.resource, token)
        try:
            with path.open("rb") as source:
                report = import_csv(self.resource, source, dry_run=True, acting_user=current_user)
        except ServiceError as exc:  # not a CSV file, too large
            path.unlink(missing_ok=True)
            flash(exc.detail, "error")
            return self._render_import(exc.status)
        if report.rejected or not (report.created or report.updated):
            path.unlink(missing_ok=True)  # nothing to confirm
            token = None
        return self._render_import(status, report=report, token=token, filename=filename)

    @expose("/import/confirm/", methods=("POST",))
    def import_confirm_view(self):
        """Import the previewed file for real: every row or none."""
        token = request.form.get("token", "")
        if not _TOKEN.match(token):
            abort(400)
        path = _upload_path(self.resource, token)
        if not path.is_file():
            flash("That upload is no longer available (it was imported already or expired). Upload the file again.",
                  "error")
            return redirect(self.get_url(".import_view"))
        try:
            with path.open("rb") as source:
                report = import_csv(self.resource, source, dry_run=False, acting_user=current_user)
        except ImportRejected as exc:
            # The stored data changed since the preview so that some lines no longer pass.
            path.unlink(missing_ok=True)
            flash(exc.detail, "error")
            return self._render_import(422, report=exc.report, filename=request.form.get("filename"))
        except ServiceError as exc:  # changed meanwhile (409), database busy (503): preview it afresh
            flash(exc.detail, "error")
            return self._preview(token, request.form.get("filename"), exc.status)
        path.unlink(missing_ok=True)
        flash(Markup("Imported {}: <strong>{}</strong> created, <strong>{}</strong> updated, {} unchanged.").format(
            self.name, report.created, report.updated, report.unchanged), "success")
        return redirect(self.get_url(".index_view"))

    @expose("/export/<export_type>/")
    def export(self, export_type):
        """The list's current search, filters and sort as CSV, through the API's streamed exporter."""
        if export_type != "csv":
            abort(404)
        view_args = self._get_list_extra_args()
        sort = self._get_column_by_idx(view_args.sort)
        query = self.filtered_query(view_args.search, view_args.filters)
        query, _ = self._apply_sorting(query, {}, sort[0] if sort else None, view_args.sort_desc)
        return csv_download(self.resource, query.order_by(self.model.id).statement)
