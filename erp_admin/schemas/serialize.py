"""Serialisation helpers shared by every resource's JSON shape."""
from __future__ import annotations

from datetime import datetime, timezone


def iso(value: datetime | None) -> str | None:
    """Format a datetime as ISO 8601 UTC with a Z suffix (millisecond precision)."""
    if value is None:
        return None
    if value.tzinfo is not timezone.utc:  # the models hand back UTC already: this is the rare path
        value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return value.isoformat(timespec="milliseconds")[:-6] + "Z"
