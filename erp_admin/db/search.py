"""Substring search behind every list's `q`: literal text, case-insensitive, indexed.

The caller names the columns a resource searches (its declaration). On
PostgreSQL they are searched as one lower-cased document, which migration
0007 indexes with pg_trgm for the tables that need it; on SQLite products
have an FTS5 trigram table (`products_search`, kept in step by triggers,
migration 0003) over exactly FTS_COLUMNS. The models do not declare these
indexes, so the migration drift check skips them (`is_search_object`).
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, or_, select, text
from sqlalchemy.sql import literal_column

# The SQLite FTS5 table of migration 0003 and the columns it indexes.
SEARCH_TABLE_PREFIX = "products_search"
FTS_COLUMNS = {"products": ("sku", "name", "category")}
TRIGRAM_INDEX_SUFFIX = "_trgm"
MIN_TRIGRAM = 3  # a trigram index cannot serve shorter needles
# PostgreSQL: the searched columns joined by the unit separator (in no searched text, so no
# match spans two columns), lower-cased once, nullable ones as ''. PostgreSQL uses an
# expression index only for the identical expression (migration 0007 holds a copy).
DOCUMENT_SEPARATOR = "\x1f"


def pg_document(columns: Sequence, prefix: str = "") -> str:
    """The lower-cased search document of columns (model columns), each name prefixed by prefix."""
    parts = [f"coalesce({prefix}{c.key}, '')" if c.nullable else f"{prefix}{c.key}" for c in columns]
    return "lower(" + " || E'\\x1f' || ".join(parts) + ")"


def escape_like(value: str) -> str:
    """Escape LIKE wildcards so `%` and `_` match themselves."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def indexed_matches(table: str, columns: Sequence[str], q: str, dialect: str) -> Select | None:
    """SELECT rowid AS id of the rows containing q, from the FTS5 trigram index alone (rowid order).

    None where that index does not serve q (PostgreSQL, a table or columns it
    does not cover, fewer than three characters). A list searching for q alone
    counts and pages from this directly: no row of the table is read but the page's.
    """
    if dialect != "sqlite" or FTS_COLUMNS.get(table) != tuple(columns) or len(q) < MIN_TRIGRAM:
        return None
    phrase = '"' + q.replace('"', '""') + '"'
    return (
        select(literal_column("rowid").label("id"))
        .select_from(text(SEARCH_TABLE_PREFIX))
        .where(text("products_search MATCH :phrase").bindparams(phrase=phrase))
    )


def search_clause(model, columns: Sequence[str], q: str, dialect: str) -> ColumnElement[bool]:
    """Return a WHERE clause matching rows of model whose columns (names) contain q."""
    table = model.__tablename__
    matches = indexed_matches(table, columns, q, dialect)
    if matches is not None:
        return model.id.in_(matches)
    pattern = f"%{escape_like(q)}%"
    searched = [getattr(model, column) for column in columns]
    if dialect == "postgresql" and DOCUMENT_SEPARATOR not in q:
        # lower(document) LIKE lower(pattern): ILIKE's matches on each column, one (indexed) test.
        document = pg_document([c.property.columns[0] for c in searched], prefix=f"{table}.")
        return text(f"{document} LIKE lower(:search_pattern) ESCAPE '\\'").bindparams(search_pattern=pattern)
    return or_(*(_like(column, pattern, dialect) for column in searched))


def like_clause(column, needle: str, dialect: str, *, prefix: bool = False) -> ColumnElement[bool]:
    """Return column contains needle (prefix=True: starts with it), literally and case-insensitively, as q does."""
    return _like(column, f"{escape_like(needle)}%" if prefix else f"%{escape_like(needle)}%", dialect)


def _like(column, pattern: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "sqlite":
        # SQLite's LIKE already ignores ASCII case (its lower() knows no more than ASCII):
        # the same matches as ILIKE's lower() LIKE lower(), about three times faster.
        return column.like(pattern, escape="\\")
    return column.ilike(pattern, escape="\\")


def is_search_object(name: str | None, type_: str) -> bool:
    """True for the search index objects that migrations own and the models do not declare."""
    if not name:
        return False
    if type_ == "table":
        return name.startswith(SEARCH_TABLE_PREFIX)
    return type_ == "index" and name.endswith(TRIGRAM_INDEX_SUFFIX)
