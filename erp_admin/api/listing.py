"""Paged, sorted, searched and filtered lists: the query parameters and headers every list shares.

    spec = ListSpec(sort_fields={"id": Product.id, ...}, search=(Product.sku, ...),
                    filters={"category": Filter(Product.category)})
    return list_response(Product, spec, serialize_product)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlencode

from flask import current_app, jsonify, request
from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.sql.elements import ColumnElement
from werkzeug.exceptions import BadRequest

# BOOLEANS, MAX_FILTER_LENGTH and Filter are imported from here by the list routes too.
from erp_admin.api.filtering import (  # noqa: F401
    BOOLEANS, MAX_FILTER_LENGTH, NO_NUL, Filter, filter_conditions, filter_params,
)
from erp_admin.api.registry import Param
from erp_admin.extensions import db
from erp_admin.db.row_counts import counted_total
from erp_admin.schemas.rows import records
from erp_admin.db.search import indexed_matches, search_clause
from erp_admin.schemas.fields import INT32_MAX

MAX_OFFSET = INT32_MAX  # an offset PostgreSQL's 32-bit bind still takes
_UINT = re.compile(r"^[0-9]+$")


@dataclass(frozen=True)
class ListSpec:
    sort_fields: dict[str, Any]  # public name -> column
    search: tuple[Any, ...] = ()  # columns of one model q searches (case-insensitive substring, db.search)
    filters: dict[str, Filter] = field(default_factory=dict)
    tiebreak: Any = None  # a unique column appended to every sort (the primary key)
    default_sort: str = "id"
    search_description: str = ""
    counted: bool = False  # PostgreSQL keeps the table's row count (db.row_counts): unfiltered totals read it

    def sort_pattern(self) -> str:
        """The regular expression of a valid `sort`: known fields, comma-separated, none twice."""
        field = "(?:" + "|".join(re.escape(name) for name in self.sort_fields) + ")"
        key = rf"\s*-?{field}\s*"
        # The lookahead refuses a field named twice (in either direction); sort_keys() says why.
        repeated = rf"(?!(?:[^,]*,)*\s*-?({field})\s*,(?:[^,]*,)*\s*-?\1\s*(?:,|$))"
        return f"^{repeated}{key}(?:,{key})*$"

    def params(self, *, paged: bool = True) -> tuple[Param, ...]:
        """The documented query parameters of this list (paged=False: without limit and offset)."""
        params = list(page_params()) if paged else []
        params.append(Param("sort", schema={"type": "string", "pattern": self.sort_pattern(),
                                            "default": self.default_sort},
                            description="One or more fields, comma-separated, each -field for descending order "
                                        "(AG Grid's multi-column sort, e.g. `sort=category,-price`); each field at "
                                        "most once; ties end in id order. Fields: " + ", ".join(self.sort_fields) + "."))
        if self.search:
            params.append(Param("q", schema={"type": "string", "maxLength": 200, "pattern": NO_NUL},
                                description=self.search_description or "Case-insensitive substring search."))
        for name, flt in self.filters.items():
            params.extend(flt.params(name))
        return tuple(params)


def page_params() -> tuple[Param, ...]:
    """The documented limit and offset of every paged list."""
    cfg_default, cfg_max = _limits_for_docs()
    return (
        Param("limit", schema={"type": "integer", "minimum": 1, "default": cfg_default},
              description=f"Page size (values above {cfg_max} are clamped to {cfg_max})."),
        Param("offset", schema={"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
              description="Rows to skip."),
    )


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


def search_condition(spec: ListSpec, q: str) -> ColumnElement[bool]:
    """The WHERE clause for q over the spec's search columns (db.search: indexed where it can be)."""
    model = spec.search[0].class_
    return search_clause(model, [c.key for c in spec.search], q, db.engine.dialect.name)


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
    conditions = filter_conditions(args, spec.filters)
    return query.where(*conditions) if conditions else query


SortKeys = tuple[tuple[str, bool], ...]  # (field, descending) in order


def sort_keys(spec: ListSpec) -> SortKeys:
    """Read `sort`: fields, comma-separated, -field descending (400 for an unknown, repeated or empty one)."""
    keys: list[tuple[str, bool]] = []
    for part in request.args.get("sort", spec.default_sort).split(","):
        part = part.strip()
        descending = part.startswith("-")
        name = part[1:] if descending else part
        if not name:
            raise BadRequest("sort has an empty field; send fields separated by commas, e.g. sort=name,-id.")
        if name not in spec.sort_fields:
            raise BadRequest(f"Unknown sort field {name!r}; one of: {', '.join(spec.sort_fields)}.")
        if any(name == seen for seen, _ in keys):
            raise BadRequest(f"sort names {name!r} more than once.")
        keys.append((name, descending))
    return tuple(keys)


def ordering(spec: ListSpec, keys: SortKeys | None = None) -> list:
    """The ORDER BY of keys (default: the request's `sort`), ending with the tiebreak in the last key's direction."""
    keys = sort_keys(spec) if keys is None else keys
    columns = [spec.sort_fields[name] for name, _ in keys]
    order = [column.desc() if descending else column.asc() for column, (_, descending) in zip(columns, keys)]
    if spec.tiebreak is not None and not any(column is spec.tiebreak for column in columns):
        order.append(spec.tiebreak.desc() if keys[-1][1] else spec.tiebreak.asc())
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
    keys = sort_keys(spec)
    order = ordering(spec, keys)
    connection = db.session.connection()
    table = model.__table__
    matches = _search_only(spec, keys)
    if matches is not None:
        total = connection.scalar(select(func.count()).select_from(matches.subquery()))
        rowid = matches.selected_columns.id
        ids = matches.order_by(rowid.desc() if keys[0][1] else rowid.asc())
    elif query.whereclause is None:  # no q, no filter: the SPA's default view, statements built once
        count, page_of_rows = _unfiltered_statements(model, keys, order)
        total = counted_total(connection, table.name) if spec.counted else None
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


def query_response(query: Select, serialize: Callable[[Any], dict]):
    """List the rows of query (in its own order) a page at a time: the JSON array with paging headers."""
    page = parse_page()
    rows, total = paginated(query, page)
    return _list_reply(rows, serialize, page, total)


def _list_reply(rows, serialize: Callable[[Any], dict], page: Page, total: int):
    response = jsonify([serialize(row) for row in rows])
    response.headers.update(paging_headers(page, total))
    return response


# Per (model, sort keys): the count and the page of an unfiltered list, the page bounds as bound
# parameters. Reusing one statement object spares rebuilding it and recomputing its cache key
# (SQLAlchemy's compiled-statement cache needs one per request), a tenth of a list's CPU.
# Bounded: multi-column sorts make the possible keys countless.
_UNFILTERED: dict[tuple, tuple[Select, Select]] = {}
UNFILTERED_CACHE_SIZE = 256


def _unfiltered_statements(model, keys: SortKeys, order: list) -> tuple[Select, Select]:
    key = (model, keys)
    statements = _UNFILTERED.get(key)
    if statements is None:
        if len(_UNFILTERED) >= UNFILTERED_CACHE_SIZE:
            del _UNFILTERED[next(iter(_UNFILTERED))]  # the oldest entry
        table = model.__table__
        ids = (select(model).with_only_columns(table.c.id).order_by(*order)
               .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer)))
        statements = (select(func.count()).select_from(select(model).subquery()),
                      select(table).where(table.c.id.in_(ids)).order_by(*order))
        _UNFILTERED[key] = statements
    return statements


def _search_only(spec: ListSpec, keys: SortKeys) -> Select | None:
    """The search index's matches when q is the list's only condition and the order is by id alone, else None."""
    args = request.args
    q = args.get("q")
    if not q or not spec.search or filter_params(args, spec.filters):
        return None
    if len(keys) != 1 or spec.sort_fields[keys[0][0]] is not spec.tiebreak:
        return None
    model = spec.search[0].class_
    return indexed_matches(model.__tablename__, [c.key for c in spec.search], q, db.engine.dialect.name)
