"""Column filters of a list: `field=value` (exact) and `field[op]=value`, each value read with the field's type.

The operators are those of AG Grid's column filters; which a field takes follows
its kind (OPERATORS). `in` takes comma-separated values, `\\,` standing for a
comma inside a value and `\\\\` for a backslash. A range is two parameters
(`price[gte]=10&price[lt]=50`); every parameter given applies (AND).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import not_, or_
from sqlalchemy.sql.elements import ColumnElement
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from erp_admin.api.registry import Param
from erp_admin.db.search import like_clause
from erp_admin.extensions import db
from erp_admin.schemas.fields import INT32_MAX

MAX_FILTER_LENGTH = 200
NO_NUL = "^[^\\x00]*$"  # NUL in a query value is a 400
BOOLEANS = {"true": True, "false": False}
INT32 = (-INT32_MAX - 1, INT32_MAX)
DECIMAL_LIMIT = Decimal("1e15")  # beyond every stored amount (Numeric(12, 2))
MAX_IN_VALUES = 100
_COMPARISONS = ("eq", "ne", "gt", "gte", "lt", "lte", "in")
_EXACT = ("eq", "ne", "in")
OPERATORS: dict[str, tuple[str, ...]] = {
    "decimal": _COMPARISONS, "integer": _COMPARISONS, "datetime": _COMPARISONS,
    "string": ("eq", "ne", "contains", "startswith", "in"),
    "boolean": _EXACT, "choice": _EXACT,
}
ALL_OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "contains", "startswith", "in")
KINDS = tuple(OPERATORS)
_MEANING = {"eq": "equal to", "ne": "not equal to (rows without a value included)", "gt": "greater than",
            "gte": "at least", "lt": "less than", "lte": "at most", "contains": "containing (case-insensitive, "
            "% and _ literal)", "startswith": "starting with (case-insensitive, % and _ literal)",
            "in": "one of these comma-separated values (\\, for a comma inside a value)"}
_BRACKETED = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\[([A-Za-z_]*)\]$")
_INTEGER = re.compile(r"^[+-]?[0-9]{1,10}$")
_DECIMAL = re.compile(r"^[+-]?(?:[0-9]{1,30}(?:\.[0-9]{0,40})?|\.[0-9]{1,40})(?:[eE][+-]?[0-9]{1,4})?$")


def parse_time(name: str, raw: str) -> datetime:
    """Read an ISO 8601 / RFC 3339 time (400 otherwise), as an aware UTC datetime."""
    text = raw.strip()
    # RFC 3339 allows a lower-case t and z; Python's parser wants them upper-case.
    if len(text) > 10 and text[10] == "t":
        text = text[:10] + "T" + text[11:]
    if text.endswith("z"):
        text = text[:-1] + "Z"
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{name} must be an ISO 8601 time, e.g. 2026-11-26T12:00:00Z.") from None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:  # an offset pushing year 1 or 9999 out of range: the nearest representable time
        return (datetime.min if value.year == 1 else datetime.max).replace(tzinfo=timezone.utc)


def split_values(raw: str) -> list[str]:
    """Split an `in` value at commas; `\\,` is a comma inside a value, `\\\\` a backslash, any other `\\` itself."""
    values, current, i = [], [], 0
    while i < len(raw):
        char = raw[i]
        if char == "\\" and i + 1 < len(raw) and raw[i + 1] in ",\\":
            current.append(raw[i + 1])
            i += 2
            continue
        if char == ",":
            values.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    values.append("".join(current))
    return values


@dataclass(frozen=True)
class Filter:
    """A filterable field: its column (or SQL expression), its kind (KINDS) and, for a choice, the values allowed."""

    column: Any
    kind: str = "string"
    choices: tuple[str, ...] = ()
    description: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown filter kind {self.kind!r}; one of {KINDS}")

    @property
    def operators(self) -> tuple[str, ...]:
        return OPERATORS[self.kind]

    def value_schema(self) -> dict[str, Any]:
        """The JSON schema of one value of this field in a query string."""
        if self.kind == "boolean":
            return {"type": "string", "enum": ["true", "false"]}
        if self.kind == "choice":
            return {"type": "string", "enum": list(self.choices)}
        if self.kind == "integer":
            return {"type": "integer", "minimum": INT32[0], "maximum": INT32[1]}
        if self.kind == "decimal":
            return {"type": "number", "minimum": -int(DECIMAL_LIMIT), "maximum": int(DECIMAL_LIMIT)}
        if self.kind == "datetime":
            return {"type": "string", "format": "date-time"}
        return {"type": "string", "maxLength": MAX_FILTER_LENGTH, "pattern": NO_NUL}

    def schema(self) -> dict[str, Any]:
        return self.value_schema()

    def params(self, name: str) -> list[Param]:
        """The documented parameters: `name` (exact, as ever) and `name[op]` for each operator of the kind."""
        params = [Param(name, schema=self.value_schema(), description=self.description or f"Exact {name}.")]
        for op in self.operators:
            if op == "in":
                schema = {"type": "array", "items": self.value_schema(), "minItems": 1, "maxItems": MAX_IN_VALUES}
                params.append(Param(f"{name}[in]", schema=schema, style="form", explode=False,
                                    description=f"{name} {_MEANING['in']}."))
            else:
                params.append(Param(f"{name}[{op}]", schema=self.value_schema(), description=f"{name} {_MEANING[op]}."))
        return params

    def value(self, name: str, raw: str) -> Any:
        """Read raw as a value of this field (400 for anything else)."""
        if "\x00" in raw:
            raise BadRequest(f"{name} must not contain a NUL byte.")
        if len(raw) > MAX_FILTER_LENGTH:
            raise BadRequest(f"{name} must be at most {MAX_FILTER_LENGTH} characters.")
        if self.kind == "boolean":
            if raw not in BOOLEANS:
                raise BadRequest(f"{name} must be true or false.")
            return BOOLEANS[raw]
        if self.kind == "choice":
            if raw not in self.choices:
                raise BadRequest(f"{name} must be one of: {', '.join(self.choices)}.")
            return raw
        if self.kind == "integer":
            if not _INTEGER.match(raw) or not INT32[0] <= int(raw) <= INT32[1]:
                raise BadRequest(f"{name} must be a whole number between {INT32[0]} and {INT32[1]}.")
            return int(raw)
        if self.kind == "decimal":
            try:
                number = Decimal(raw) if _DECIMAL.match(raw) else None
            except InvalidOperation:
                number = None
            if number is None or abs(number) > DECIMAL_LIMIT:
                raise BadRequest(f"{name} must be a decimal number between -{DECIMAL_LIMIT:f} and {DECIMAL_LIMIT:f}.")
            return number
        if self.kind == "datetime":
            return parse_time(name, raw)
        return raw

    def condition(self, name: str, raw: str, op: str = "eq") -> ColumnElement[bool]:
        """The WHERE clause of `name[op]=raw` (400 for a bad value)."""
        column = self.column
        if op == "in":
            values = split_values(raw)
            if len(values) > MAX_IN_VALUES:
                raise BadRequest(f"{name} takes at most {MAX_IN_VALUES} values.")
            parsed = [self.value(name, v) for v in values]
            if self.kind == "boolean":
                return or_(*(column if v else not_(column) for v in set(parsed)))
            return column.in_(parsed)
        value = self.value(name, raw)
        if op in ("contains", "startswith"):
            return like_clause(column, value, db.engine.dialect.name, prefix=op == "startswith")
        if self.kind == "boolean":
            return column if value == (op == "eq") else not_(column)
        if op == "eq":
            return column == value
        if op == "ne":
            return column.is_distinct_from(value)  # a row without a value is not equal to it either
        return {"gt": column > value, "gte": column >= value, "lt": column < value, "lte": column <= value}[op]


def filter_params(args: MultiDict, filters: dict[str, Filter]) -> list[tuple[str, str, Filter]]:
    """The filter parameters of args as (parameter, operator, filter); 400 for an unknown field or operator.

    A plain parameter that names no filter is left alone (other list parameters, a cache-buster);
    a bracketed one must name a filterable field and one of its operators.
    """
    found = []
    for key in args:
        match = _BRACKETED.match(key)
        if match:
            name, op = match.groups()
        elif "[" in key or "]" in key:
            raise BadRequest(f"Malformed filter parameter {key!r}; write field[operator]=value, e.g. price[gte]=10.")
        elif key in filters:
            name, op = key, "eq"
        else:
            continue
        flt = filters.get(name)
        if flt is None:
            known = ", ".join(filters) or "none"
            raise BadRequest(f"Unknown filter field {name!r}; filterable fields: {known}.")
        if op not in ALL_OPERATORS:
            raise BadRequest(f"Unknown filter operator {op!r} in {key!r}; operators: {', '.join(ALL_OPERATORS)}.")
        if op not in flt.operators:
            raise BadRequest(f"{name} takes no operator {op!r} (a {flt.kind} field); "
                             f"its operators: {', '.join(flt.operators)}.")
        found.append((key, op, flt))
    return found


def filter_conditions(args: MultiDict, filters: dict[str, Filter]) -> list[ColumnElement[bool]]:
    """Every filter of args as a WHERE clause (all apply); 400 for an unknown field, operator or a bad value."""
    return [flt.condition(key, raw, op) for key, op, flt in filter_params(args, filters) for raw in args.getlist(key)]
