"""CSV in the panel: the Import page (upload → preview → Confirm, with live progress) and the Export download.

The uploaded file is kept server-side between the preview and the Confirm:
a browser cannot re-send a file input, and echoing up to IMPORT_MAX_BYTES
back through a hidden field would be slow and trust the client with the data.
It is kept in the database (csv_uploads), so the Confirm may reach any worker
on any host: a row holds the bytes, the uploader's id and the resource under
a random token, so Confirm only ever opens a file this user uploaded for this
list; the form carries only the token (checked against a strict pattern).
Only a preview with something to confirm is kept; the row is deleted once
imported or rejected, and rows older than UPLOAD_TTL are refused and purged
at the next upload. Exports stream through the same csvio exporter as the API.

Progress: the page's script (static/js/csv-import.js) sends a random progress
id with each form and polls import/progress/<id>/ (csvio.progress) while the
request runs; without JavaScript the forms post as plain forms.
"""
from __future__ import annotations

import re
import secrets
from datetime import timedelta

from flask import abort, current_app, flash, jsonify, redirect, request
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import delete, select

from erp_admin.admin.errors import answer
from erp_admin.admin.records import link_args
from erp_admin.csvio import ImportRejected, import_csv
from erp_admin.csvio.download import csv_download
from erp_admin.csvio.progress import (ProgressReporter, ProgressUnavailable, estimate_rows, is_progress_id,
                                      read_progress)
from erp_admin.extensions import db
from erp_admin.models import PendingUpload
from erp_admin.models.base import utcnow
from erp_admin.errors import ServiceError

UPLOAD_TTL = 3600  # seconds an unconfirmed upload is kept
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
CSV_ENDPOINT_VERBS = {"import_view": "import", "import_confirm_view": "import", "import_progress_view": "import"}
NO_LONGER_AVAILABLE = "That upload is no longer available (it was imported already or expired). Upload the file again."


def _upload_cutoff():
    return utcnow() - timedelta(seconds=UPLOAD_TTL)


def _keep_upload(resource: str, filename: str, data: bytes) -> str:
    """Store data for this user's Confirm; return its token. Purges expired uploads first."""
    db.session.execute(delete(PendingUpload).where(PendingUpload.created_at < _upload_cutoff()))
    token = secrets.token_hex(16)
    db.session.add(PendingUpload(token=token, user_id=current_user.id, resource=resource, filename=filename,
                                 size=len(data), data=data, created_at=utcnow()))
    db.session.commit()
    return token


def _pending_upload(resource: str, token: str) -> PendingUpload | None:
    """This user's unexpired upload for resource under token, or None."""
    return db.session.scalars(select(PendingUpload).where(
        PendingUpload.token == token, PendingUpload.user_id == current_user.id,
        PendingUpload.resource == resource, PendingUpload.created_at >= _upload_cutoff(),
    )).first()


def _drop_upload(token: str) -> None:
    db.session.execute(delete(PendingUpload).where(PendingUpload.token == token,
                                                   PendingUpload.user_id == current_user.id))
    db.session.commit()


def _reporter(data: bytes) -> ProgressReporter | None:
    """A progress reporter when the form came from the page's script (it sends a progress id), else None."""
    progress_id = request.form.get("progress")
    if not is_progress_id(progress_id):
        return None
    return ProgressReporter(current_user.id, progress_id, rows_hint=estimate_rows(data))


def _clean_filename(name: str) -> str:
    # Shown on the page and stored: no control characters (PostgreSQL refuses NUL in text).
    return "".join(c for c in name if c.isprintable())[:255] or "upload.csv"


def _finish(reporter: ProgressReporter | None) -> None:
    if reporter is not None:
        reporter.finish()


class CsvViewMixin:
    """Import and Export for a RecordView of an importable resource (one with an import key)."""

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
        # One byte over the limit is enough for the reader to refuse the file (413).
        data = upload.stream.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
        reporter = _reporter(data)
        if reporter is not None:
            reporter.phase("read")
        try:
            return self._preview(data, _clean_filename(upload.filename), reporter=reporter)
        finally:
            _finish(reporter)

    def _preview(self, data: bytes, filename: str, *, token: str | None = None, status: int = 200,
                 reporter: ProgressReporter | None = None):
        """Dry-run data and show the report; keep the upload (under token, or a new one) only when there is something to confirm."""
        try:
            report = import_csv(self.resource, data, dry_run=True, acting_user=current_user, progress=reporter)
        except ServiceError as exc:  # not a CSV file, too large
            status, _ = answer(exc)
            if token:
                _drop_upload(token)
            return self._render_import(status)
        if report.rejected or not (report.created or report.updated):
            if token:
                _drop_upload(token)  # nothing to confirm
            token = None
        elif token is None:
            token = _keep_upload(self.resource, filename, data)
        return self._render_import(status, report=report, token=token, filename=filename)

    @expose("/import/confirm/", methods=("POST",))
    def import_confirm_view(self):
        """Import the previewed file for real: every row or none."""
        token = request.form.get("token", "")
        if not _TOKEN.match(token):
            abort(400)
        upload = _pending_upload(self.resource, token)
        if upload is None:
            flash(NO_LONGER_AVAILABLE, "error")
            return redirect(self.get_url(".import_view"))
        data, filename = upload.data, upload.filename
        reporter = _reporter(data)
        if reporter is not None:
            reporter.phase("read")
        try:
            report = import_csv(self.resource, data, dry_run=False, acting_user=current_user, progress=reporter)
        except ImportRejected as exc:
            # The stored data changed since the preview so that some lines no longer pass: show which.
            status, _ = answer(exc)
            _drop_upload(token)
            return self._render_import(status, report=exc.report, filename=filename)
        except ServiceError as exc:  # changed meanwhile (409), database busy (503): preview it afresh
            status, _ = answer(exc)
            return self._preview(data, filename, token=token, status=status, reporter=reporter)
        finally:
            _finish(reporter)
        _drop_upload(token)
        flash(Markup("Imported {}: <strong>{}</strong> created, <strong>{}</strong> updated, {} unchanged.").format(
            self.name, report.created, report.updated, report.unchanged), "success")
        return redirect(self.get_url(".index_view"))

    @expose("/import/progress/<progress_id>/")
    def import_progress_view(self, progress_id):
        """How far this user's running upload or import has got, as JSON for the page's script."""
        try:
            state = read_progress(current_user.id, progress_id)
        except ProgressUnavailable:  # the page keeps polling and shows the answer when it comes
            return jsonify(error="progress is unavailable right now"), 503
        if state is None:  # unknown, expired, malformed, or another user's
            return jsonify(error="no such import in progress"), 404
        return jsonify(state)

    def export_url(self) -> str:
        """The list's Export link: the page's search, filters and sort, and nothing url_for would misread."""
        return self.get_url(".export", export_type="csv", **link_args(request.args))

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
