"""Writing many records of a resource at once, with their stock movements and audit entries.

The ORM's unit of work sends one INSERT per new row when the database makes
the ids, and one UPDATE per changed row: with the session events of the
ledger and the audit trail, a 100 000-row CSV import took minutes. These
functions write a chunk at a time with executemany (INSERT ... RETURNING id
for creates; one version-checked UPDATE statement per set of changed fields
for updates), then insert the movements and audit entries of the chunk in
two more statements. The rows of those come from the functions the session
events use (inventory.stock.movement_values, audit.log.entry_values): the
ledger and the trail are the same as services.records writes, row for row.

- bulk_create(resource, rows, ...) -> ids, in the order of rows
- bulk_update(resource, updates, ...) -> how many records changed
- errors (409): StaleRecord (changed or deleted since the caller read its
  version), KeyTaken (a new row's key is stored already), other unique
  violations as services.records maps them. On any of them the session is
  rolled back: nothing is written.

Resources with an import key only (users need password hashing and the admin
rules of services.records). The caller commits: run these inside
services.transactions.run_in_transaction, which also rolls back on errors.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any, NamedTuple

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from erp_admin.audit.context import Actor, get_actor
from erp_admin.audit.log import diff, entry_values
from erp_admin.audit.trail import AUDITED, logged_fields
from erp_admin.extensions import db
from erp_admin.inventory.stock import (CREATE_REASON, SELF_RECORDED, current_movement_reason, labelled_reason,
                                       movement_values)
from erp_admin.models import AuditEntry, StockMovement
from erp_admin.models.base import utcnow
from erp_admin.resources import resource as declared_resource
from erp_admin.schemas import validate_record
from erp_admin.errors import Conflict
from erp_admin.services.records import integrity_conflict
from erp_admin.services.skus import number_new_products

# Rows per statement: large enough that statement overhead vanishes, small
# enough for SQLite's bound-parameter limit and for progress reports.
CHUNK = 1000


@dataclass(frozen=True, eq=False)
class _Spec:
    name: str
    model: type
    schema: type
    key: str  # the unique column a new row is refused for when already stored

    @property
    def table(self) -> Table:
        return self.model.__table__

    @property
    def entity(self) -> str:
        return AUDITED[self.model]

    @cached_property
    def fields(self) -> tuple[str, ...]:
        return logged_fields(self.model)

    @cached_property
    def defaults(self) -> dict[str, Any]:
        """Each field's value when a new row leaves it out: its column's scalar default, else None."""
        columns = self.table.c
        return {f: columns[f].default.arg if columns[f].default is not None and columns[f].default.is_scalar
                else None for f in self.fields}




class RecordUpdate(NamedTuple):
    """Change record id (seen at version; None: unchecked) to the values in data."""

    id: int
    version: int | None
    data: Mapping[str, Any]


class StaleRecord(Conflict):
    """A record to update was changed or deleted since its version was read (409).

    index: its position in the updates given, or None when the database only
    said that some row of a statement had moved.
    """

    def __init__(self, detail: str, *, index: int | None = None):
        super().__init__(detail)
        self.index = index


class KeyTaken(Conflict):
    """A new row's key (SKU, email) is stored already (409); index: its position in the rows given."""

    def __init__(self, detail: str, *, index: int, value: Any, field: str):
        super().__init__(detail, field=field)
        self.index = index
        self.value = value


def bulk_create(resource: str, rows: Sequence[Mapping[str, Any]], *, reason: str | None = None,
                actor: Actor | None = None, validated: bool = False, chunk_size: int = CHUNK,
                progress: Callable[[int], None] | None = None) -> list[int]:
    """Insert rows as new records of resource with their movements and audit entries; return their ids.

    rows are validated with the shared schema (validated=True: they already
    are cleaned dicts of validate_record(partial=False)). Products without a
    SKU get one as the API gives it. A product with stock gets a movement
    with reason (default: the movement_reason() label, else "create"). actor
    defaults to the current one. progress(n) is called after each chunk with
    the rows written so far. The caller commits.
    """
    spec = _spec(resource)
    actor = actor or get_actor()
    reason = reason or labelled_reason(db.session) or CREATE_REASON
    complete = [_complete(spec, row if validated else validate_record(spec.schema, row, partial=False))
                for row in rows]
    if spec.name == "products":
        _give_skus(complete)
    table, key_column = spec.table, spec.table.c[spec.key]
    statement = insert(table).returning(table.c.id, key_column).execution_options(**SELF_RECORDED)
    ids: list[int] = []
    for start in range(0, len(complete), chunk_size):
        chunk = complete[start:start + chunk_size]
        _refuse_taken_keys(spec, chunk, start)
        now = utcnow()
        inserted = _execute(spec, statement, [{**row, "created_at": now, "updated_at": now, "version": 1}
                                              for row in chunk]).all()
        id_of = {key: record_id for record_id, key in inserted}
        chunk_ids = [id_of[row[spec.key]] for row in chunk]
        movements = [movement_values(record_id, row["sku"], row["name"], row["quantity"], row["quantity"], reason,
                                     actor)
                     for record_id, row in zip(chunk_ids, chunk) if spec.name == "products" and row["quantity"]]
        entries = [entry_values("create", spec.entity, record_id, {f: [None, row[f]] for f in spec.fields},
                                actor=actor)
                   for record_id, row in zip(chunk_ids, chunk)]
        _append_to_logs(movements, entries, now)
        ids.extend(chunk_ids)
        if progress:
            progress(len(ids))
    return ids


def bulk_update(resource: str, updates: Sequence[RecordUpdate | tuple], *, reason: str | None = None,
                actor: Actor | None = None, validated: bool = False, chunk_size: int = CHUNK,
                progress: Callable[[int], None] | None = None) -> int:
    """Apply updates (id, version, data) to records of resource with movements and audit entries.

    data is validated as a partial update (validated=True: already cleaned).
    Only fields whose value really changes are written and logged, [old,
    new]; each changed record gets version + 1 and a new updated_at, like an
    ORM update. A record missing, or at another version than the one given,
    raises StaleRecord (409) and nothing is written. A quantity change writes
    a movement with reason (default: the movement_reason() label, else
    "edit"). progress(n) is called after each chunk with the updates done so
    far. Returns how many records changed. The caller commits.
    """
    spec = _spec(resource)
    actor = actor or get_actor()
    reason = reason or current_movement_reason()
    table = spec.table
    columns = [table.c.id, table.c.version, *(table.c[f] for f in spec.fields)]
    changed_count = 0
    for start in range(0, len(updates), chunk_size):
        chunk = [RecordUpdate(*u) for u in updates[start:start + chunk_size]]
        # FOR UPDATE (PostgreSQL): the rows read here stay as read until the commit.
        stored = {row.id: row for row in db.session.execute(
            select(*columns).where(table.c.id.in_([u.id for u in chunk])).with_for_update())}
        now = utcnow()
        by_fields: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        movements, entries = [], []
        for offset, change in enumerate(chunk):
            row = stored.get(change.id)
            if row is None or (change.version is not None and row.version != change.version):
                _fail(StaleRecord(f"The {spec.name[:-1]} with id {change.id} was changed or deleted meanwhile; "
                                  "nothing was written.", index=start + offset))
            data = change.data if validated else validate_record(spec.schema, change.data, partial=True)
            changes = diff(row, data)
            if not changes:
                continue
            by_fields[tuple(changes)].append({"b_id": row.id, "b_version": row.version,
                                              **{f"v_{f}": new for f, (_old, new) in changes.items()}})
            if "quantity" in changes:
                old, new = changes["quantity"]
                after = {**row._mapping, **data}  # the record as this update leaves it
                movements.append(movement_values(row.id, after["sku"], after["name"], new - old, new, reason, actor))
            entries.append(entry_values("update", spec.entity, row.id, changes, actor=actor))
        for fields, params in by_fields.items():
            statement = (
                update(table)
                .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
                .values(version=table.c.version + 1, updated_at=now, **{f: bindparam(f"v_{f}") for f in fields})
                .execution_options(**SELF_RECORDED)
            )
            if _execute(spec, statement, params).rowcount != len(params):
                _fail(StaleRecord(f"A {spec.name[:-1]} was changed or deleted meanwhile; nothing was written."))
        _append_to_logs(movements, entries, now)
        _expire_loaded(spec, [p["b_id"] for params in by_fields.values() for p in params])
        changed_count += len(entries)
        if progress:
            progress(start + len(chunk))
    return changed_count


@cache
def _spec(resource: str) -> _Spec:
    # Resources with an import key (users are written one by one: passwords, the admin rules).
    declaration = declared_resource(resource)
    if declaration.import_key is None or declaration.schema is None:
        raise ValueError(f"bulk writes need a resource with an import key, not {resource!r}")
    return _Spec(declaration.name, declaration.model, declaration.schema, declaration.import_key)


def _complete(spec: _Spec, row: Mapping[str, Any]) -> dict[str, Any]:
    """Return row with every logged field, a missing one as its column default (what the ORM would store)."""
    if len(row) == len(spec.fields) and all(f in row for f in spec.fields):
        return dict(row)
    unknown = set(row) - set(spec.fields)
    if unknown:
        raise ValueError(f"not a writable field of {spec.name}: {sorted(unknown)}")
    return {**spec.defaults, **row}


def _give_skus(rows: list[dict[str, Any]]) -> None:
    if any(row["sku"] is None for row in rows):
        # Every row gets its id here: one executemany needs the same columns in each row.
        number_new_products(rows, reserved={row["sku"] for row in rows if row["sku"] is not None})


def _refuse_taken_keys(spec: _Spec, chunk: list[dict[str, Any]], start: int) -> None:
    # One query per chunk says which row is refused; the unique index still catches a race (below).
    key_column = spec.table.c[spec.key]
    taken = db.session.scalars(select(key_column).where(key_column.in_([row[spec.key] for row in chunk]))).first()
    if taken is not None:
        index = start + next(i for i, row in enumerate(chunk) if row[spec.key] == taken)
        _fail(KeyTaken(f"A {spec.name[:-1]} with this {spec.key} already exists.", index=index, value=taken,
                       field=spec.key))


def _execute(spec: _Spec, statement, params: list[dict[str, Any]]):
    try:
        return db.session.execute(statement, params)
    except IntegrityError as exc:
        # Another writer won a race the pre-checks could not see: still a 409, never a 500.
        db.session.rollback()
        raise integrity_conflict(spec.name, exc) from None


def _append_to_logs(movements: list[dict], entries: list[dict], now) -> None:
    if movements:
        db.session.execute(insert(StockMovement.__table__), [{**m, "created_at": now} for m in movements])
    if entries:
        db.session.execute(insert(AuditEntry.__table__), [{**e, "at": now} for e in entries])


def _expire_loaded(spec: _Spec, ids: list[int]) -> None:
    # Objects of these records already in the session hold the old values and version.
    loaded = [obj for obj in db.session.identity_map.values() if isinstance(obj, spec.model)]
    if loaded:
        changed = set(ids)
        for obj in loaded:
            if obj.id in changed:
                db.session.expire(obj)


def _fail(error: Conflict):
    # PostgreSQL refuses every statement after an error until the rollback; and half a batch is never kept.
    db.session.rollback()
    raise error
