"""Per-request plumbing under /api: request id, audit actor, body size limit, query sanity."""
from __future__ import annotations

import re
import uuid

from flask import Flask, current_app, g, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from erp_admin.api.errors import is_api_request
from erp_admin.audit.context import Actor, begin_request_scope, set_actor

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def request_id() -> str:
    """This request's id (the client's X-Request-ID when sane, else a generated one)."""
    return g.get("erp_request_id") or ""


def _before_api_request() -> None:
    if not is_api_request():
        return
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.erp_request_id = incoming if _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    begin_request_scope()
    set_actor(Actor(channel="api", request_id=g.erp_request_id, client_addr=request.remote_addr))

    # JSON bodies are held to API_MAX_BODY; a route may allow more (CSV import) via route(max_body=...).
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    limit = getattr(view, "max_body", None) or current_app.config["API_MAX_BODY"]
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"The request body is larger than {limit} bytes.")

    for key, values in request.args.lists():
        if "\x00" in key or any("\x00" in v for v in values):
            raise BadRequest("Query parameters must not contain NUL characters.")


def _after_api_request(response):
    if is_api_request() and "erp_request_id" in g:
        response.headers[REQUEST_ID_HEADER] = g.erp_request_id
    return response


def init_app(app: Flask) -> None:
    app.before_request(_before_api_request)
    app.after_request(_after_api_request)
