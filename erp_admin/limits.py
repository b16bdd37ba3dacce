"""Request body limits outside /api: panel and login forms are small, uploads may be larger.

The API holds its bodies to API_MAX_BODY itself (api/context.py). Everywhere
else a form post (or any body that is not multipart) may be at most
FORM_MAX_BODY; multipart uploads (a CSV file) may reach MAX_CONTENT_LENGTH.
Beyond the limit the request is refused with 413 before anything reads it.
"""
from __future__ import annotations

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge


def _limit_body() -> None:
    if request.path == "/api" or request.path.startswith("/api/"):
        return
    if request.mimetype == "multipart/form-data":
        limit = current_app.config["MAX_CONTENT_LENGTH"]
    else:
        limit = current_app.config["FORM_MAX_BODY"]
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"The request body is larger than {limit} bytes.")


def init_app(app: Flask) -> None:
    # Registered before CSRF protection, whose own hook reads the form.
    app.before_request(_limit_body)
