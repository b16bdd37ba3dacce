"""Request body limits outside /api: panel and login forms are small, uploads may be larger.

The API holds its bodies to API_MAX_BODY itself (api/context.py). Everywhere
else a form post (or any body that is not multipart) may be at most
FORM_MAX_BODY; multipart uploads may reach MAX_CONTENT_LENGTH, and the
panel's CSV import upload the import limit (IMPORT_MAX_BYTES plus the multipart
envelope). Beyond the limit the request is refused with 413 before anything
(the CSRF check included) reads it.
"""
from __future__ import annotations

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge


# The multipart envelope around a file of IMPORT_MAX_BYTES (the CSV reader holds the file itself to the limit).
MULTIPART_OVERHEAD = 64 * 1024
IMPORT_UPLOAD_ENDPOINT = ".import_view"  # the panel's CSV upload views (admin/csv_views.py)


def _limit_body() -> None:
    if request.path == "/api" or request.path.startswith("/api/"):
        return
    if request.mimetype == "multipart/form-data":
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        if request.method == "POST" and (request.endpoint or "").endswith(IMPORT_UPLOAD_ENDPOINT):
            limit = current_app.config["IMPORT_MAX_BYTES"] + MULTIPART_OVERHEAD
    else:
        limit = current_app.config["FORM_MAX_BODY"]
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"The request body is larger than {limit} bytes.")


def init_app(app: Flask) -> None:
    # Registered before CSRF protection, whose own hook reads the form.
    app.before_request(_limit_body)
