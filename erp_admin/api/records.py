"""The API of every declared resource with a schema: CRUD under /api/<name>, CSV where it has an import key.

The routes are generated when an app is built, from the resources declared
then; each declaration's views are made once and reused by every later app.
"""
from __future__ import annotations

from weakref import WeakKeyDictionary

from erp_admin.api.csv_routes import register_csv_routes
from erp_admin.api.listing import Filter, ListSpec
from erp_admin.api.registry import RouteSpec, collect, generated
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
    return Filter(column, kind=kind, description=f"Exact {name}.")


def resource_api(declaration: Resource) -> ResourceAPI:
    return ResourceAPI(name=declaration.name, model=declaration.model, schema=declaration.schema,
                       serialize=declaration.serialize, component=declaration.component,
                       list_spec=list_spec(declaration))


# Per declaration object (an undeclared one's entries go with it; a new declaration of the name gets its own).
_APIS: WeakKeyDictionary[Resource, ResourceAPI] = WeakKeyDictionary()
_ROUTES: WeakKeyDictionary[Resource, tuple[RouteSpec, ...]] = WeakKeyDictionary()


def api_of(declaration: Resource) -> ResourceAPI:
    """The ResourceAPI of a declaration (made once)."""
    api = _APIS.get(declaration)
    if api is None:
        api = _APIS[declaration] = resource_api(declaration)
    return api


def routes_of_resource(declaration: Resource) -> tuple[RouteSpec, ...]:
    """The CRUD routes of a declaration, and its CSV routes when it has an import key (made once)."""
    routes = _ROUTES.get(declaration)
    if routes is None:
        api = api_of(declaration)

        def build():
            register_resource(api)
            if declaration.import_key is not None:
                register_csv_routes(api)

        routes = _ROUTES[declaration] = tuple(collect(build))
    return routes


def record_routes() -> list[RouteSpec]:
    """The routes of every writable resource declared now, in declaration order."""
    return [spec for declaration in writable_resources() for spec in routes_of_resource(declaration)]


generated(record_routes)
