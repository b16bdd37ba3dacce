"""Per-request plumbing under /api: audit actor, body size limit, query sanity.

The request id itself comes from erp_admin.web.observability, for every page alike.
"""
from __future__ import annotations

from flask import Flask, current_app, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from erp_admin.api.errors import is_api_request
from erp_admin.audit.context import Actor, begin_request_scope, set_actor
from erp_admin.web.observability import current_request_id


def _before_api_request() -> None:
    if not is_api_request():
        return
    begin_request_scope()
    set_actor(Actor(channel="api", request_id=current_request_id(), client_addr=request.remote_addr))

    # JSON bodies are held to API_MAX_BODY; a route may allow more (CSV import) via route(max_body=...).
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    limit = getattr(view, "max_body", None) or current_app.config["API_MAX_BODY"]
    if callable(limit):  # a limit read from the configuration at request time
        limit = limit()
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"The request body is larger than {limit} bytes.")

    for key, values in request.args.lists():
        if "\x00" in key or any("\x00" in v for v in values):
            raise BadRequest("Query parameters must not contain NUL characters.")


def init_app(app: Flask) -> None:
    app.before_request(_before_api_request)
