"""Validation of incoming records: the one routine the API, the panel, the CSV import and the CLI call.

A resource schema is a pydantic model whose fields carry the rules. Fields
are validated one by one so a partial update checks only what it sends, and
every failing field is reported at once.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from erp_admin.errors import ValidationFailed
from erp_admin.schemas.fields import Id, Timestamp, Version

# The fields the server sets, with their types (the OpenAPI document's read shapes).
READ_ONLY_TYPES: dict[str, Any] = {
    "id": Id, "version": Version, "created_at": Timestamp, "updated_at": Timestamp,
    "low_stock": bool, "last_login_at": Timestamp | None,
}
# Sent back by grids that PUT the row they read: ignored, never stored.
READ_ONLY_FIELDS = frozenset(READ_ONLY_TYPES)


class RecordSchema(BaseModel):
    """Base for resource schemas. Subclasses list their writable fields."""

    model_config = ConfigDict(extra="forbid")

    required_on_create: ClassVar[frozenset[str]] = frozenset()
    # Fields that may never be set to null ...
    not_nullable: ClassVar[frozenset[str]] = frozenset()
    # ... except these on create, where null asks for the default (a generated SKU).
    nullable_on_create: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def adapter(cls, name: str) -> TypeAdapter:
        adapters = cls.__dict__.get("_adapters_cache")
        if adapters is None:
            adapters = {n: TypeAdapter(i.rebuild_annotation()) for n, i in cls.model_fields.items()}
            cls._adapters_cache = adapters
        return adapters[name]

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        cached = cls.__dict__.get("_defaults_cache")
        if cached is not None:
            return dict(cached)  # a copy: callers fill it in
        defaults = {
            name: info.get_default(call_default_factory=True)
            for name, info in cls.model_fields.items()
            if not info.is_required() and name not in cls.required_on_create
        }
        # Plain defaults are immutable values (None, 0): computed once, since a CSV
        # import asks for them per row. A default_factory must run every time.
        if not any(info.default_factory for info in cls.model_fields.values()):
            cls._defaults_cache = defaults
        return dict(defaults)


def validate_record(schema: type[RecordSchema], data: Any, *, partial: bool) -> dict[str, Any]:
    """Return the cleaned fields of data, or raise ValidationFailed listing every bad field.

    partial=False (create): required fields must be present, defaults fill the rest.
    partial=True (update): only the fields present are checked and returned.
    """
    if not isinstance(data, Mapping):
        raise ValidationFailed([{"field": None, "message": "expected an object"}])
    errors: list[dict[str, str | None]] = []
    cleaned: dict[str, Any] = {}
    fields = schema.model_fields
    for name, value in data.items():
        if name in READ_ONLY_FIELDS:
            continue
        if not isinstance(name, str) or name not in fields:
            errors.append({"field": str(name), "message": "unknown field"})
            continue
        if value is None and name in schema.not_nullable and (partial or name not in schema.nullable_on_create):
            errors.append({"field": name, "message": "may not be null"})
            continue
        try:
            cleaned[name] = schema.adapter(name).validate_python(value)
        except ValidationError as exc:
            errors.append({"field": name, "message": _message(exc)})
    if not partial:
        for name in sorted(schema.required_on_create):
            if name not in data:
                errors.append({"field": name, "message": "field required"})
        for name, default in schema.defaults().items():
            cleaned.setdefault(name, default)
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _message(exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    msg = first["msg"]
    # pydantic prefixes messages from our own validators; the field name already says where.
    return msg.removeprefix("Value error, ")
