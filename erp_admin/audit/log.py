"""Writing audit entries: every audit row's values come from entry_values()."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert

from erp_admin.audit.context import Actor, get_actor
from erp_admin.extensions import db
from erp_admin.models import AuditEntry
from erp_admin.schemas.serialize import iso

# Never written to the log in clear: the masked fields of every audited resource (audit.trail.audit_model).
SECRET_FIELDS: set[str] = set()
MASK = "***"


def mask(changes: dict[str, Any]) -> dict[str, Any]:
    """Return changes with secret fields' values replaced by a mask (a null stays null: "was set")."""
    return {
        k: ([None if x is None else MASK for x in v] if k in SECRET_FIELDS and isinstance(v, (list, tuple))
            else (MASK if k in SECRET_FIELDS else v))
        for k, v in changes.items()
    }


def json_value(value: Any) -> Any:
    """Return value as the audit log stores it: Decimal as a number (like the API), datetimes as ISO text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        # Always a number, as in the API's product shape; Numeric(12, 2) round-trips through a double.
        return float(value)
    if isinstance(value, float):
        return value
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def diff(stored, values: dict[str, Any]) -> dict[str, list]:
    """{field: [old, new]} for the values that differ from stored's attributes: the one "what changed"."""
    return {name: [old, new] for name, new in values.items() if (old := getattr(stored, name)) != new}


def logged_changes(changes: dict[str, Any] | None) -> dict[str, Any]:
    """Return changes as an audit entry stores them: JSON-safe values (json_value), secrets masked."""
    return mask({k: [json_value(x) for x in v] if isinstance(v, (list, tuple)) else json_value(v)
                 for k, v in (changes or {}).items()})


def entry_values(action: str, entity: str, entity_id: int | None, changes: dict[str, Any] | None = None,
                 *, actor: Actor | None = None, user=None) -> dict[str, Any]:
    """Return the columns of an audit entry for actor (default: the current one), or user for sign-ins.

    The one place an entry's values are made: record() below and the bulk
    writer (services.bulk, which inserts many rows at once) both use it.
    """
    actor = actor or get_actor()
    return {
        "user_id": user.id if user is not None else actor.user_id,
        "username": user.username if user is not None else actor.username,
        "channel": actor.channel,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "changes": logged_changes(changes),
        "request_id": actor.request_id,
        "client_addr": actor.client_addr,
    }


def record(action: str, entity: str, entity_id: int | None, changes: dict[str, Any] | None = None,
           *, user=None, session=None) -> AuditEntry:
    """Add an audit entry for the current actor (or user, for sign-in events) to the session."""
    entry = AuditEntry(**entry_values(action, entity, entity_id, changes, user=user))
    (session or db.session).add(entry)
    return entry


def insert_record(action: str, entity: str, entity_id: int | None, changes: dict[str, Any] | None = None,
                  *, user=None, session=None) -> None:
    """Like record(), written at once as a Core INSERT on the session's connection (no ORM object, no flush).

    For writes that make no ORM objects themselves (the stock adjustment): the
    entry is in the same transaction, committed or rolled back with it.
    """
    values = entry_values(action, entity, entity_id, changes, user=user)
    (session or db.session).connection().execute(insert(AuditEntry.__table__), values)
