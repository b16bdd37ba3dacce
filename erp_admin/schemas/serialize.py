"""Serialisation helpers shared by every resource's JSON shape."""
from __future__ import annotations

from datetime import datetime, timezone


def iso(value: datetime | None) -> str | None:
    """Format a datetime as ISO 8601 UTC with a Z suffix (millisecond precision)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
