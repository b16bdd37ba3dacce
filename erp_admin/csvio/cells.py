"""Turning one CSV cell into an API value and back, so exports import again unchanged."""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from erp_admin.csvio.formulas import neutralise_cell, restore_cell
from erp_admin.schemas.serialize import iso

_INTEGER = re.compile(r"\s*[+-]?\d{1,18}\s*")


def parse_cell(text: str, *, integer: bool = False) -> Any:
    """Return the API value of a cell: None when blank, an int for integer fields, else the text.

    Anything that is not a plain integer is handed on as text, so the shared
    validation reports it ("abc", "1.5") exactly as the API would.
    """
    text = restore_cell(text)
    if not text.strip():
        return None
    if integer and _INTEGER.fullmatch(text):
        return int(text)
    return text


def format_cell(value: Any) -> str:
    """Return the cell text of an API value (2-decimal prices, ISO Z times, true/false, empty for None)."""
    if type(value) is str:
        text = value
    elif value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, Decimal):
        text = f"{value:.2f}"
    elif isinstance(value, datetime):
        text = iso(value)
    else:
        text = str(value)
    return neutralise_cell(text)
