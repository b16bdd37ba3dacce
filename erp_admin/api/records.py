"""The API of every declared resource with a schema: CRUD under /api/<name>, CSV where it has an import key."""
from __future__ import annotations

from erp_admin.api.csv_routes import register_csv_routes
from erp_admin.api.listing import Filter, ListSpec
from erp_admin.api.resources import ResourceAPI, register_resource
from erp_admin.resources import Resource, writable_resources


def list_spec(declaration: Resource) -> ListSpec:
    """Sorting, search and filters of the resource's list, as its declaration names them."""
    model = declaration.model
    searched = declaration.search
    described = ", ".join(searched[:-1]) + f" or {searched[-1]}" if len(searched) > 1 else "".join(searched)
    return ListSpec(
        sort_fields={name: getattr(model, name) for name in declaration.sortable},
        search=tuple(getattr(model, name) for name in searched),
        search_description=f"Case-insensitive substring of {described} (% and _ match themselves).",
        filters={name: _filter(getattr(model, name), name, kind) for name, kind in declaration.filters.items()},
        tiebreak=model.id,
        counted=declaration.counted,
    )


def _filter(column, name: str, kind: str | tuple[str, ...]) -> Filter:
    if isinstance(kind, tuple):
        return Filter(column, kind="choice", choices=kind, description=f"Exact {name}.")
    if kind == "boolean":
        return Filter(column, kind="boolean", description="true or false.")
    return Filter(column, description=f"Exact {name}.")


def resource_api(declaration: Resource) -> ResourceAPI:
    return ResourceAPI(name=declaration.name, model=declaration.model, schema=declaration.schema,
                       serialize=declaration.serialize, component=declaration.component,
                       list_spec=list_spec(declaration))


RECORD_APIS: dict[str, ResourceAPI] = {}
for _declaration in writable_resources():
    RECORD_APIS[_declaration.name] = api = resource_api(_declaration)
    register_resource(api)
    if _declaration.import_key is not None:
        register_csv_routes(api)
