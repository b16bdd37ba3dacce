"""Reading the audit log: one filtered, newest-first query for the API, the panel and the CLI."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Select, select

from erp_admin.models import AuditEntry
from erp_admin.models.audit import ACTIONS

__all__ = ["ACTIONS", "audit_query"]


def audit_query(entity: str | None = None, entity_id: int | None = None, username: str | None = None,
                action: str | None = None, since: datetime | None = None, until: datetime | None = None) -> Select:
    """SELECT audit entries matching every given filter, newest first; page it with limit/offset.

    since and until are inclusive bounds on `at` (naive datetimes count as UTC).
    Each filter has an index: (entity, entity_id), username, action, at; the order is the primary key.
    """
    query = select(AuditEntry)
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    if username is not None:
        query = query.where(AuditEntry.username == username)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if since is not None:
        query = query.where(AuditEntry.at >= _utc(since))
    if until is not None:
        query = query.where(AuditEntry.at <= _utc(until))
    return query.order_by(AuditEntry.id.desc())


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
