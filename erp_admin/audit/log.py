"""Writing audit entries: the one function every audit row goes through."""
from __future__ import annotations

from typing import Any

from erp_admin.audit.context import get_actor
from erp_admin.extensions import db
from erp_admin.models import AuditEntry

# Never written to the log in clear.
SECRET_FIELDS = frozenset({"password", "password_hash", "token_version"})
MASK = "***"


def mask(changes: dict[str, Any]) -> dict[str, Any]:
    """Return changes with secret fields' values replaced by a mask."""
    return {k: ([MASK, MASK] if k in SECRET_FIELDS else v) for k, v in changes.items()}


def record(action: str, entity: str, entity_id: int | None, changes: dict[str, Any] | None = None,
           *, user=None, session=None) -> AuditEntry:
    """Add an audit entry for the current actor (or user, for sign-in events) to the session."""
    actor = get_actor()
    entry = AuditEntry(
        user_id=user.id if user is not None else actor.user_id,
        username=user.username if user is not None else actor.username,
        channel=actor.channel,
        action=action,
        entity=entity,
        entity_id=entity_id,
        changes=mask(changes or {}),
        request_id=actor.request_id,
        client_addr=actor.client_addr,
    )
    (session or db.session).add(entry)
    return entry
