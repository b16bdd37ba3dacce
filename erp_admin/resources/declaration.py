"""The Resource declaration and its registry: what a table is to the API, the panel, CSV, search and audit."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from erp_admin.audit.trail import audit_model, forget_model
from erp_admin.auth.roles import grant, revoke
from erp_admin.schemas import RecordSchema


@dataclass(frozen=True)
class Panel:
    """How the admin panel shows a resource; every part left out has a default derived from the declaration.

    label: the menu entry (default: the name, "audit_log" -> "Audit Log"); url: under /admin/ (default: the
    name with - for _). columns: the list's columns (default: the fields but id and version); details: the
    details page (default: the fields); labels: column -> heading where Flask-Admin's own ("Updated At")
    will not do, also naming the column's filters and form field. sort: (column, descending) of an unsorted
    list. filters: (column, operation) pairs, operation one of FILTER_OPERATIONS, in the order shown.
    editable: columns edited inline on the list. form: the create and edit form's fields (default: the
    schema's writable fields; text longer than 200 characters is a text area).
    """

    label: str | None = None
    url: str | None = None
    columns: tuple[str, ...] | None = None
    details: tuple[str, ...] | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    sort: tuple[str, bool] | None = None
    filters: tuple[tuple[str, str], ...] = ()
    editable: tuple[str, ...] = ()
    form: tuple[str, ...] | None = None


# The kinds of a filterable field (api.filtering.OPERATORS says which operators each takes).
FILTER_KINDS = ("string", "boolean", "decimal", "integer", "datetime")
# The operations a panel filter spec may name (the admin face turns each into a Flask-Admin filter).
FILTER_OPERATIONS = ("equal", "like", "empty", "greater", "smaller", "between")


@dataclass(frozen=True, eq=False)
class Resource:
    """One managed resource. Every face derives what it needs from these fields; nothing is kept beside them.

    name: plural, the URL segment, the role-matrix key and the CSV name ("products").
    entity: singular, as audit entries and messages name a record ("product").
    model: the SQLAlchemy model; schema: its writable fields and their rules (None: read-only resource).
    serialize: the JSON shape of a record (or of a row of its columns); fields: that shape's keys in order.
    read_only: fields of the shape a client may send back but never sets.
    unique: columns a second record may not repeat (a violation is a 409 naming the field).
    import_key: the unique column that says which stored record an imported row updates (None: no CSV).
    search: the columns `q` searches; sortable: fields a list may sort by.
    filters: field -> its kind, which says how a value is read and which operators it takes (api.filtering):
      "string", "boolean" (true/false), "decimal", "integer", "datetime" or a tuple of the values allowed.
    exact: CSV cells taken exactly from the record where the JSON shape rounds (price).
    audited: every create, update and delete leaves an audit entry; masked: fields the trail shows as ***.
    counted: PostgreSQL keeps the table's row count (migration 0006) for unfiltered lists.
    permissions: role -> the verbs of the role matrix; field_grants: field -> the only roles that may set it.
    component: the OpenAPI schema name of a record.
    panel: how the admin panel shows it (see Panel).
    """

    name: str
    entity: str
    model: type
    serialize: Callable[[Any], dict[str, Any]]
    fields: tuple[str, ...]
    permissions: Mapping[str, tuple[str, ...]]
    component: str
    schema: type[RecordSchema] | None = None
    read_only: frozenset[str] = frozenset({"id", "version", "created_at", "updated_at"})
    unique: tuple[str, ...] = ()
    import_key: str | None = None
    search: tuple[str, ...] = ()
    sortable: tuple[str, ...] = ()
    filters: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    exact: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)
    audited: bool = True
    masked: frozenset[str] = frozenset()
    counted: bool = False
    field_grants: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    panel: Panel = Panel()

    def __post_init__(self):
        unknown = [op for _column, op in self.panel.filters if op not in FILTER_OPERATIONS]
        if unknown:
            raise ValueError(f"resource {self.name!r}: unknown panel filter operations {unknown}")
        kinds = [k for k in self.filters.values() if not isinstance(k, tuple) and k not in FILTER_KINDS]
        if kinds:
            raise ValueError(f"resource {self.name!r}: unknown filter kinds {kinds}")

    @property
    def writable(self) -> tuple[str, ...]:
        """The fields of the shape a client may set."""
        return tuple(f for f in self.fields if f not in self.read_only)

    @property
    def integer_fields(self) -> frozenset[str]:
        return frozenset(n for n, f in self.schema.model_fields.items() if f.annotation is int) if self.schema else frozenset()

    def row(self, obj) -> dict[str, Any]:
        """The JSON shape of obj with exact values where the shape rounds (CSV cells)."""
        values = self.serialize(obj)
        for name, getter in self.exact.items():
            values[name] = getter(obj)
        return values


_REGISTRY: dict[str, Resource] = {}
_BY_MODEL: dict[type, Resource] = {}


def declare(declaration: Resource) -> Resource:
    """Register declaration: its row of the role matrix and, if audited, its audit trail come with it."""
    if declaration.name in _REGISTRY and _REGISTRY[declaration.name] is not declaration:
        raise ValueError(f"resource {declaration.name!r} is declared already")
    _REGISTRY[declaration.name] = declaration
    _BY_MODEL[declaration.model] = declaration
    grant(declaration.name, declaration.permissions, declaration.field_grants)
    if declaration.audited:
        audit_model(declaration.model, declaration.entity, declaration.masked)
    return declaration


def undeclare(name: str) -> None:
    """Take the resource declared as name out of the registry, the role matrix and the audit trail (for tests)."""
    declaration = _REGISTRY.pop(name)
    _BY_MODEL.pop(declaration.model, None)
    revoke(name)
    if declaration.audited:
        forget_model(declaration.model)


def resource(name: str) -> Resource:
    """The resource declared as name; ValueError for any other name."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"no resource {name!r}") from None


def resource_of(obj_or_model) -> Resource | None:
    """The resource of a record or a model, None for a table that is no resource."""
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    return _BY_MODEL.get(model)


def declared() -> tuple[Resource, ...]:
    """Every declared resource, in declaration order."""
    return tuple(_REGISTRY.values())


def writable_resources() -> tuple[Resource, ...]:
    return tuple(r for r in declared() if r.schema is not None)


def audited_entities() -> tuple[str, ...]:
    """The entity names audit entries of record changes carry ("product", ...)."""
    return tuple(r.entity for r in _REGISTRY.values() if r.audited)
