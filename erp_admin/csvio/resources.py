"""The resources CSV imports and exports: every declared resource with an import key."""
from __future__ import annotations

from erp_admin.resources import Resource, declared


def csv_resources() -> dict[str, Resource]:
    """{name: resource} of every resource that can be imported and exported as CSV."""
    return {r.name: r for r in declared() if r.import_key is not None and r.schema is not None}


def get_resource(name: str) -> Resource:
    """Return the CSV-capable resource name (one with an import key)."""
    try:
        return csv_resources()[name]
    except KeyError:
        raise ValueError(f"CSV import/export is not available for {name!r}") from None
