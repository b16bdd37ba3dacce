"""JSON responses through orjson (erp_admin/web/json.py) read exactly as Flask's own would."""
from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from flask import jsonify
from flask.json.provider import DefaultJSONProvider

from erp_admin.web.json import FastJSONProvider


@dataclasses.dataclass
class Point:
    x: int
    y: str


VALUES = [
    {"b": 1, "a": [1.5, None, True, "ü€😀"], "c": {"nested": "x"}},
    {"price": Decimal("12.30"), "when": datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc), "day": date(2026, 1, 2)},
    {"id": uuid.UUID("12345678-1234-5678-1234-567812345678"), "point": Point(1, "a")},
    {"huge": 2**70, "negative": -(2**65)},  # beyond orjson's 64 bits: the standard library encodes it
    {2: "int keys", 1: "become strings"},
    [],
]


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("sort_keys", [True, False])
def test_responses_decode_to_what_flask_sends(app, value, sort_keys):
    assert isinstance(app.json, FastJSONProvider)
    reference = DefaultJSONProvider(app)
    app.json.sort_keys = reference.sort_keys = sort_keys
    with app.test_request_context():
        ours = jsonify(value)
        theirs = reference.response(value)
    assert ours.mimetype == "application/json"
    assert json.loads(ours.get_data()) == json.loads(theirs.get_data())
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        keys = list(json.loads(ours.get_data()))
        assert keys == (sorted(value) if sort_keys else list(value))


def test_dumps_with_options_uses_the_standard_library(app):
    assert app.json.dumps({"a": 1}, indent=2) == '{\n  "a": 1\n}'
    assert app.json.dumps({"a": 1}) == '{"a":1}'

