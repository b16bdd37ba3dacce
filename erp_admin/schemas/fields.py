"""Field types with their validation rules, shared by every resource schema."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, WithJsonSchema

INT32_MAX = 2_147_483_647
PRICE_MAX = Decimal("9999999999.99")  # Numeric(12, 2)


def _no_nul(value: Any) -> Any:
    # PostgreSQL rejects NUL in text: refuse it here as a validation error.
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _parse_price(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError("must be a number")
    try:
        # str() of a float is its shortest repr: 19.99 stays 19.99, never 19.989999...
        amount = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ValueError("must be a number") from None
    if not amount.is_finite():
        raise ValueError("must be a finite number")
    if amount < 0:
        raise ValueError("must be at least 0")
    if amount > PRICE_MAX:
        raise ValueError(f"must be at most {PRICE_MAX}")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("must have at most 2 decimal places")
    # copy_abs: -0 passes the checks above but must be stored and returned as 0, never -0.0.
    return amount.quantize(Decimal("0.01")).copy_abs()


def _normalise_email(value: str) -> str:
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"is not a valid email address: {exc}") from None
    # Lower-cased so uniqueness is case-insensitive with a plain unique index.
    return result.normalized.lower()


def text(max_length: int, *, min_length: int = 0, strip: bool = True):
    """A strict string of bounded length, free of NUL characters."""
    return Annotated[
        str,
        StringConstraints(strict=True, strip_whitespace=strip, min_length=min_length, max_length=max_length),
        BeforeValidator(_no_nul),
    ]


def optional_text(max_length: int, *, strip: bool = True):
    """Like text(), but null or blank means 'no value'."""
    return Annotated[text(max_length, strip=strip) | None, BeforeValidator(_blank_to_none)]


def identifier(min_length: int, max_length: int):
    """A strict string of letters, digits, dot, underscore and hyphen."""
    return Annotated[
        str,
        StringConstraints(strict=True, min_length=min_length, max_length=max_length, pattern=r"^[A-Za-z0-9._-]+$"),
    ]


Sku = identifier(1, 64)
Username = identifier(3, 50)
Email = Annotated[text(254, min_length=3), AfterValidator(_normalise_email), WithJsonSchema({"type": "string", "format": "email", "maxLength": 254})]
Price = Annotated[
    Decimal,
    BeforeValidator(_parse_price),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": float(PRICE_MAX), "multipleOf": 0.01}),
]
Count = Annotated[int, Field(strict=True, ge=0, le=INT32_MAX)]
Password = Annotated[str, StringConstraints(strict=True, min_length=8, max_length=256), BeforeValidator(_no_nul)]
Role = Literal["admin", "manager", "user"]
StrictBool = Annotated[bool, Field(strict=True)]
# Types of the read-only fields the server sets (RecordSchema.read_only).
Id = Annotated[int, Field(ge=1, le=INT32_MAX)]
Version = Annotated[int, Field(ge=1)]
Timestamp = datetime  # sent as ISO 8601 UTC with a Z suffix (serialize.iso)
