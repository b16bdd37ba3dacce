"""The audit trail's one mechanism: SQLAlchemy session events that log every ORM write.

Registered once per process on the Session class, so every session of every
app (API, panel, CLI, `flask shell`, scripts) is covered. Each create, update
and delete of an audited resource's record becomes one AuditEntry with
`changes` = {field: [old, new]}, written in the same transaction:

- creates: [null, value] for every field; deletes: [value, null] for every
  field, so the entry keeps the deleted record;
- updates: only fields whose value really changed; a no-op writes nothing;
- bookkeeping (User.last_login_at, a password rehash marked with
  mark_bookkeeping) is not an edit: sign-ins are logged as "login" instead;
- secrets go through audit.log.record, which masks them.

The same module keeps the log (and the stock ledger) append-only and refuses
bulk ORM statements that would change audited tables behind these hooks'
back; the stock adjustment, which records its own entry, says so with the
execution option in inventory.stock.SELF_RECORDED.
"""
from __future__ import annotations

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session

from erp_admin.audit.log import SECRET_FIELDS, record
from erp_admin.models import AuditEntry, StockMovement, User

# model -> entity, for every audited resource (filled by audit_model as resources are declared).
AUDITED: dict[type, str] = {}
AUDITED_TABLES: set[str] = set()
APPEND_ONLY = (AuditEntry, StockMovement)
APPEND_ONLY_TABLES = frozenset(model.__tablename__ for model in APPEND_ONLY)
# Maintained by the ORM itself, not changes anyone made.
UNLOGGED_FIELDS = frozenset({"id", "version", "created_at", "updated_at", "identity_key"})
# Changed by routine bookkeeping only; never logged as an edit.
BOOKKEEPING_FIELDS = {User: frozenset({"last_login_at"})}
_BOOKKEEPING_KEY = "erp_audit_bookkeeping"


class AppendOnlyViolation(RuntimeError):
    """The application tried to update or delete an audit entry or a stock movement."""


class UnauditedWrite(RuntimeError):
    """A bulk statement would change an audited table without an audit entry."""


def logged_fields(model) -> tuple[str, ...]:
    """The columns of model that audit entries show, in table order."""
    return tuple(attr.key for attr in inspect(model).column_attrs if attr.key not in UNLOGGED_FIELDS)


_FIELDS: dict[type, tuple[str, ...]] = {}


def audit_model(model, entity: str, masked: frozenset[str] = frozenset()) -> None:
    """Log every create, update and delete of model's records as entity, masked fields as ***."""
    if model in AUDITED:
        return
    AUDITED[model] = entity
    AUDITED_TABLES.add(model.__tablename__)
    SECRET_FIELDS.update(masked)
    _FIELDS[model] = logged_fields(model)
    # With active history an assignment to an expired attribute (e.g. after a
    # commit) loads the stored value first, so updates always know [old, new]
    # and the stock ledger always knows the quantity it replaces.
    for key in _FIELDS[model]:
        event.listen(getattr(model, key), "set", _remember_old_values, active_history=True, retval=True)


def forget_model(model) -> None:
    """Stop logging model's records (a resource taken out of the registry); its listeners stay, inert."""
    AUDITED.pop(model, None)
    _FIELDS.pop(model, None)
    AUDITED_TABLES.discard(model.__tablename__)


def mark_bookkeeping(obj, *fields: str) -> None:
    """Treat the next flush's changes of these fields of obj as bookkeeping, not an edit."""
    inspect(obj).info.setdefault(_BOOKKEEPING_KEY, set()).update(fields)


def _entity(obj) -> str | None:
    return AUDITED.get(type(obj))


def _old_value(state, key):
    history = state.attrs[key].history
    return history.deleted[0] if history.deleted else state.attrs[key].value


def update_changes(obj) -> dict[str, list]:
    """Return {field: [old, new]} for obj's pending, non-bookkeeping changes (empty for a no-op)."""
    state = inspect(obj)
    ignored = BOOKKEEPING_FIELDS.get(type(obj), frozenset()) | state.info.get(_BOOKKEEPING_KEY, set())
    changes = {}
    for key in _FIELDS[type(obj)]:
        if key in ignored:
            continue
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old != new:
            changes[key] = [old, new]
    return changes


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush_context, instances) -> None:
    for obj in session.deleted:
        if isinstance(obj, APPEND_ONLY):
            raise AppendOnlyViolation(f"{type(obj).__name__} rows are never deleted by the application.")
    for obj in session.dirty:
        if isinstance(obj, APPEND_ONLY) and session.is_modified(obj):
            raise AppendOnlyViolation(f"{type(obj).__name__} rows are never updated by the application.")
    # Deletes are logged now, while the row (and any expired attribute) can still be loaded.
    for obj in session.deleted:
        entity = _entity(obj)
        if entity is not None:
            state = inspect(obj)
            record("delete", entity, obj.id,
                   {key: [_old_value(state, key), None] for key in _FIELDS[type(obj)]}, session=session)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context) -> None:
    # New objects have their ids now; history still shows what this flush wrote.
    # Entries added here are flushed by the next flush (commit flushes until clean).
    for obj in session.new:
        entity = _entity(obj)
        if entity is not None:
            record("create", entity, obj.id, {key: [None, getattr(obj, key)] for key in _FIELDS[type(obj)]},
                   session=session)
    for obj in session.dirty:
        entity = _entity(obj)
        if entity is None:
            continue
        changes = update_changes(obj)
        inspect(obj).info.pop(_BOOKKEEPING_KEY, None)
        if changes:
            record("update", entity, obj.id, changes, session=session)


@event.listens_for(Session, "do_orm_execute")
def _guard_bulk_statements(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table in APPEND_ONLY_TABLES and not state.is_insert:
        raise AppendOnlyViolation(f"{table} rows are never updated or deleted by the application.")
    if table in AUDITED_TABLES and not state.execution_options.get("erp_self_recorded"):
        raise UnauditedWrite(
            f"A bulk statement on {table} bypasses the audit trail and the stock ledger: "
            "change the objects through the session instead."
        )


def _remember_old_values(target, value, oldvalue, initiator):
    return value
