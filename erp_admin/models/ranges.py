"""What a column's type can hold: values outside it are refused before a query binds them.

SQLite raises OverflowError for integers beyond 64 bits and PostgreSQL an
"integer out of range" error beyond the column's 32 bits: either is a 500.
"""
from __future__ import annotations

import math

from sqlalchemy import BigInteger, Integer, SmallInteger

# Most specific first: BigInteger and SmallInteger are Integers too.
_INTEGER_BITS = ((BigInteger, 64), (SmallInteger, 16), (Integer, 32))


def integer_bounds(sqltype) -> tuple[int, int] | None:
    """(lowest, highest) an integer column of sqltype holds, or None when it is no integer type."""
    for kind, bits in _INTEGER_BITS:
        if isinstance(sqltype, kind):
            return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return None


def fits_column(column, value) -> bool:
    """True when value (or each item of a list of values) can be compared with column on every database."""
    bounds = integer_bounds(getattr(column, "type", None))
    for item in value if isinstance(value, (list, tuple)) else (value,):
        if isinstance(item, bool):
            continue
        if isinstance(item, float) and not math.isfinite(item):
            return False
        if isinstance(item, int) and not (-(2 ** 63) <= item < 2 ** 63):
            return False
        if bounds is not None and isinstance(item, int) and not bounds[0] <= item <= bounds[1]:
            return False
    return True
