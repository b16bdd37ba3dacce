"""The JSON shape of an audit entry (API, panel, CLI)."""
from __future__ import annotations

from typing import Any

from erp_admin.models import AuditEntry
from erp_admin.schemas.serialize import iso

AUDIT_FIELDS = ("id", "at", "user", "channel", "action", "entity", "entity_id", "changes")


def serialize_audit_entry(entry: AuditEntry) -> dict[str, Any]:
    """Return the API representation of an audit entry (`user` is the username; secrets already masked)."""
    return {
        "id": entry.id,
        "at": iso(entry.at),
        "user": entry.username,
        "channel": entry.channel,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "changes": entry.changes or {},
    }
