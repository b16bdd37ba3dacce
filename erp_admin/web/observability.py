"""Request ids and the access log: one structured line per request, never a secret.

Every response carries `X-Request-ID` (the client's, when it is a sane token,
else a fresh one); the same id is in the log line and the audit trail.
"""
from __future__ import annotations

import logging
import re
import sys
import time
import uuid

import orjson

from flask import Flask, g, request

access_log = logging.getLogger("erp_admin.access")
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def init_app(app: Flask) -> None:
    """Assign request ids and log every request on app."""
    if not access_log.handlers and app.config.get("ACCESS_LOG", True):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False
    app.before_request(_start)
    app.after_request(_finish)


def current_request_id() -> str | None:
    """The id of the request being served (None outside a request)."""
    return g.get("request_id")


def _start() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish(response):
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers["X-Request-ID"] = request_id
    started = g.get("request_started")
    user = g.get("erp_actor")
    # Only the path: query strings and bodies may carry tokens or passwords.
    access_log.info(orjson.dumps({
        "event": "request",
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
        "request_id": request_id,
        "user": getattr(user, "username", None),
        "addr": request.remote_addr,
    }).decode())
    return response
