"""Reading a JSON request body strictly: 415 for other media types, 400 for anything malformed."""
from __future__ import annotations

import json
from typing import Any

from flask import current_app, request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

JSON_TYPES = ("application/json",)


def is_json_request() -> bool:
    mimetype = request.mimetype or ""
    return mimetype in JSON_TYPES or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def json_object(*, optional: bool = False) -> dict[str, Any]:
    """Return the request body as a JSON object, or raise 400/413/415.

    optional=True: an empty body (with or without a JSON content type) is {}.
    """
    raw = request.get_data(cache=True)  # over the size limit: 413
    if optional and not raw.strip():
        return {}
    if not is_json_request():
        raise UnsupportedMediaType("The body must be JSON (Content-Type: application/json).")
    return parse_json_object(raw)


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """Parse raw as a JSON object with the API's limits, or raise BadRequest."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("The body is not valid UTF-8.") from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise BadRequest("The JSON body is nested too deeply.") from None
    except ValueError as exc:  # JSONDecodeError, NaN/Infinity, integers beyond Python's digit limit
        raise BadRequest(f"Malformed JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest("The JSON body must be an object.")
    if _depth(data) > current_app.config["API_MAX_JSON_DEPTH"]:
        raise BadRequest("The JSON body is nested too deeply.")
    if not _encodable(data):
        raise BadRequest("The JSON body contains invalid Unicode (a lone surrogate escape).")
    return data


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def _encodable(value: Any) -> bool:
    # "\ud800" is valid JSON but no valid text: no database could store it.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True
