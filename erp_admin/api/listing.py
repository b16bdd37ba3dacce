"""Paged, sorted, searched and filtered lists: the query parameters and headers every list shares.

    spec = ListSpec(sort_fields={"id": Product.id, ...}, search=(Product.sku, ...),
                    search_resource="products", filters={"category": Filter(Product.category)})
    return list_response(Product, spec, serialize_product)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlencode

from flask import current_app, jsonify, request
from sqlalchemy import Integer, Select, bindparam, func, not_, or_, select
from sqlalchemy.sql.elements import ColumnElement
from werkzeug.exceptions import BadRequest

from erp_admin.api.registry import Param
from erp_admin.extensions import db
from erp_admin.row_counts import counted_total
from erp_admin.schemas.rows import records
from erp_admin.search import SEARCH_COLUMNS, indexed_matches, search_clause

MAX_OFFSET = 2_147_483_647
_UINT = re.compile(r"^[0-9]+$")
MAX_FILTER_LENGTH = 200
NO_NUL = "^[^\\x00]*$"  # NUL in a query value is a 400
BOOLEANS = {"true": True, "false": False}


@dataclass(frozen=True)
class Filter:
    """An exact-match query filter: a string, a boolean (true/false) or one of fixed choices."""

    column: Any  # a column or SQL expression
    kind: str = "string"  # string, boolean, choice
    choices: tuple[str, ...] = ()
    description: str = ""

    def schema(self) -> dict[str, Any]:
        if self.kind == "boolean":
            return {"type": "string", "enum": ["true", "false"]}
        if self.kind == "choice":
            return {"type": "string", "enum": list(self.choices)}
        return {"type": "string", "maxLength": MAX_FILTER_LENGTH, "pattern": NO_NUL}

    def condition(self, name: str, raw: str) -> ColumnElement:
        if len(raw) > MAX_FILTER_LENGTH:
            raise BadRequest(f"{name} must be at most {MAX_FILTER_LENGTH} characters.")
        if self.kind == "boolean":
            if raw not in BOOLEANS:
                raise BadRequest(f"{name} must be true or false.")
            return self.column if BOOLEANS[raw] else not_(self.column)
        if self.kind == "choice" and raw not in self.choices:
            raise BadRequest(f"{name} must be one of: {', '.join(self.choices)}.")
        return self.column == raw


@dataclass(frozen=True)
class ListSpec:
    sort_fields: dict[str, Any]  # public name -> column
    search: tuple[Any, ...] = ()  # columns q searches (case-insensitive substring)
    # The resource whose indexed search (erp_admin.search.search_clause) serves q; it
    # searches the columns search.SEARCH_COLUMNS names, which must be the ones above.
    search_resource: str = ""
    filters: dict[str, Filter] = field(default_factory=dict)
    tiebreak: Any = None  # a unique column appended to every sort (the primary key)
    default_sort: str = "id"
    search_description: str = ""

    def __post_init__(self):
        if self.search_resource and tuple(c.key for c in self.search) != SEARCH_COLUMNS[self.search_resource]:
            raise ValueError(f"search columns differ from SEARCH_COLUMNS[{self.search_resource!r}]")

    def params(self, *, paged: bool = True) -> tuple[Param, ...]:
        """The documented query parameters of this list (paged=False: without limit and offset)."""
        cfg_default, cfg_max = _limits_for_docs()
        sort_values = [v for name in self.sort_fields for v in (name, "-" + name)]
        params = [
            Param("limit", schema={"type": "integer", "minimum": 1, "default": cfg_default},
                  description=f"Page size (values above {cfg_max} are clamped to {cfg_max})."),
            Param("offset", schema={"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
                  description="Rows to skip."),
        ] if paged else []
        params.append(Param("sort", schema={"type": "string", "enum": sort_values},
                            description="A field, or -field for descending order."))
        if self.search:
            params.append(Param("q", schema={"type": "string", "maxLength": 200, "pattern": NO_NUL},
                                description=self.search_description or "Case-insensitive substring search."))
        for name, flt in self.filters.items():
            params.append(Param(name, schema=flt.schema(), description=flt.description or f"Exact {name}."))
        return tuple(params)


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


def _limits_for_docs() -> tuple[int, int]:
    try:
        return current_app.config["API_DEFAULT_LIMIT"], current_app.config["API_MAX_LIMIT"]
    except RuntimeError:  # documented outside an app context
        return 1000, 1000


def parse_page() -> Page:
    """Read limit and offset (400 unless whole numbers in range; limit clamped to API_MAX_LIMIT)."""
    cfg = current_app.config
    limit = _uint_arg("limit", cfg["API_DEFAULT_LIMIT"])
    if limit < 1:
        raise BadRequest("limit must be at least 1.")
    offset = _uint_arg("offset", 0)
    if offset > MAX_OFFSET:
        raise BadRequest(f"offset must be at most {MAX_OFFSET}.")
    return Page(limit=min(limit, cfg["API_MAX_LIMIT"]), offset=offset)


def _uint_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not _UINT.match(raw):
        raise BadRequest(f"{name} must be a whole number of at least {1 if name == 'limit' else 0}.")
    # Beyond 18 digits the value is above every cap anyway (and int() refuses > 4300 digits).
    return int(raw) if len(raw) <= 18 else 10**18


def escape_like(text: str) -> str:
    """Escape LIKE wildcards so % and _ match themselves (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column, pattern: str):
    """Case-insensitive LIKE with a backslash escape.

    SQLite's LIKE already ignores ASCII case (and its lower() knows no more than ASCII), so
    plain LIKE there gives the same matches as ILIKE about three times faster.
    """
    if db.engine.dialect.name == "sqlite":
        return column.like(pattern, escape="\\")
    return column.ilike(pattern, escape="\\")


def search_condition(spec: ListSpec, q: str) -> ColumnElement[bool]:
    """The WHERE clause for q: the resource's indexed search, else LIKE on the spec's columns."""
    if spec.search_resource:
        model = spec.search[0].class_
        return search_clause(model, spec.search_resource, q, db.engine.dialect.name)
    pattern = f"%{escape_like(q)}%"
    return or_(*(contains(col, pattern) for col in spec.search))


def filter_and_sort(query: Select, spec: ListSpec) -> Select:
    """Apply q, the filters and sort from the query string to query (400 for bad values); no paging."""
    return filtered(query, spec).order_by(*ordering(spec))


def filtered(query: Select, spec: ListSpec) -> Select:
    """Apply q and the filters from the query string to query (400 for bad values); no order, no paging."""
    args = request.args
    q = args.get("q")
    if q is not None and spec.search:
        if len(q) > 200:
            raise BadRequest("q must be at most 200 characters.")
        if q:
            query = query.where(search_condition(spec, q))
    for name, flt in spec.filters.items():
        raw = args.get(name)
        if raw is not None:
            query = query.where(flt.condition(name, raw))
    return query


def ordering(spec: ListSpec) -> list:
    """The ORDER BY of the request's `sort` (400 for an unknown field), with the tiebreak."""
    sort = request.args.get("sort", spec.default_sort)
    descending = sort.startswith("-")
    name = sort[1:] if descending else sort
    if name not in spec.sort_fields:
        raise BadRequest(f"Unknown sort field {name!r}; one of: {', '.join(spec.sort_fields)}.")
    column = spec.sort_fields[name]
    order = [column.desc() if descending else column.asc()]
    if spec.tiebreak is not None and column is not spec.tiebreak:
        order.append(spec.tiebreak.desc() if descending else spec.tiebreak.asc())
    return order


def paginated(query: Select, page: Page) -> tuple[list, int]:
    """Return (the rows of page, the total number of matches)."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(page.limit).offset(page.offset)).all()
    return rows, total


def paging_headers(page: Page, total: int) -> dict[str, str]:
    """X-Total-Count and Link (rel next / prev) for a page of total matches."""
    headers = {"X-Total-Count": str(total)}
    links = []
    if page.offset + page.limit < total:
        links.append(f'<{_page_url(page.offset + page.limit, page.limit)}>; rel="next"')
    if page.offset > 0:
        links.append(f'<{_page_url(max(0, page.offset - page.limit), page.limit)}>; rel="prev"')
    if links:
        headers["Link"] = ", ".join(links)
    return headers


def _page_url(offset: int, limit: int) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("offset", "limit")]
    args += [("limit", str(limit)), ("offset", str(offset))]
    return f"{request.base_url}?{urlencode(args)}"


def list_response(model, spec: ListSpec, serialize: Callable[[Any], dict]):
    """List model's records with the request's list arguments: the JSON array with paging headers.

    Rows are read with Core, as namedtuples (the serializers read attributes;
    see schemas.rows), and with a deferred join: first the ids of the page, from the narrowest index
    that serves the order (skipping `offset` small index entries instead of whole
    rows), then those rows by primary key. A search for q alone, in id order,
    counts and pages from the search index itself (`search.indexed_matches`); a list
    without conditions takes its total from the row counter on PostgreSQL (`row_counts`).
    """
    page = parse_page()
    query = filtered(select(model), spec)  # checks every argument first (400s)
    order = ordering(spec)
    sort = request.args.get("sort", spec.default_sort)  # valid: ordering() checked it
    connection = db.session.connection()
    table = model.__table__
    matches = _search_only(spec)
    if matches is not None:
        total = connection.scalar(select(func.count()).select_from(matches.subquery()))
        rowid = matches.selected_columns.id
        ids = matches.order_by(rowid.desc() if sort.startswith("-") else rowid.asc())
    elif query.whereclause is None:  # no q, no filter: the SPA's default view, statements built once
        count, page_of_rows = _unfiltered_statements(model, sort, order)
        total = counted_total(connection, table.name)
        if total is None:
            total = connection.scalar(count)
        rows = records(connection.execute(page_of_rows, {"limit": page.limit, "offset": page.offset}))
        return _list_reply(rows, serialize, page, total)
    else:
        total = connection.scalar(select(func.count()).select_from(query.subquery()))
        ids = query.with_only_columns(table.c.id).order_by(*order)
    ids = ids.limit(page.limit).offset(page.offset)
    rows = records(connection.execute(select(table).where(table.c.id.in_(ids)).order_by(*order)))
    return _list_reply(rows, serialize, page, total)


def _list_reply(rows, serialize: Callable[[Any], dict], page: Page, total: int):
    response = jsonify([serialize(row) for row in rows])
    response.headers.update(paging_headers(page, total))
    return response


# Per (model, sort): the count and the page of an unfiltered list, the page bounds as bound
# parameters. Reusing one statement object spares rebuilding it and recomputing its cache key
# (SQLAlchemy's compiled-statement cache needs one per request), a tenth of a list's CPU.
_UNFILTERED: dict[tuple, tuple[Select, Select]] = {}


def _unfiltered_statements(model, sort: str, order: list) -> tuple[Select, Select]:
    key = (model, sort)
    statements = _UNFILTERED.get(key)
    if statements is None:
        table = model.__table__
        ids = (select(model).with_only_columns(table.c.id).order_by(*order)
               .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer)))
        statements = (select(func.count()).select_from(select(model).subquery()),
                      select(table).where(table.c.id.in_(ids)).order_by(*order))
        _UNFILTERED[key] = statements
    return statements


def _search_only(spec: ListSpec) -> Select | None:
    """The search index's matches when q is the list's only condition and the order is by id, else None."""
    args = request.args
    q = args.get("q")
    if not q or not spec.search_resource or any(name in args for name in spec.filters):
        return None
    sort = args.get("sort", spec.default_sort)
    if spec.sort_fields.get(sort.removeprefix("-")) is not spec.tiebreak:
        return None
    return indexed_matches(spec.search_resource, q, db.engine.dialect.name)
