"""Formula cells: the one pair of functions every CSV exporter and importer uses.

Spreadsheets run a cell starting with = + - @ (or tab / carriage return) as
a formula, so exports prefix such a cell with an apostrophe and imports
remove exactly that apostrophe. A value that itself starts with apostrophes
before such a character gets one more on export, so every value survives the
round trip; anything else formula-looking in an uploaded file stays literal text.
"""
from __future__ import annotations

import re

TRIGGERS = "=+-@\t\r"
_NEEDS_PREFIX = re.compile(r"'*[=+\-@\t\r]")
_PREFIXED = re.compile(r"'+[=+\-@\t\r]")
_FIRST = frozenset(TRIGGERS + "'")


def neutralise_cell(text: str) -> str:
    """Return text safe to open in a spreadsheet (a leading apostrophe where needed)."""
    # The first-character test skips the regex for the usual cell.
    if text and text[0] in _FIRST and _NEEDS_PREFIX.match(text):
        return "'" + text
    return text


def restore_cell(text: str) -> str:
    """Undo neutralise_cell: drop the apostrophe that precedes a formula character."""
    return text[1:] if text[:1] == "'" and _PREFIXED.match(text) else text
