"""Substring search behind every list's `q`: literal text, case-insensitive, indexed.

Products use an index that serves `%word%` searches: an FTS5 trigram table
(`products_search`, kept in step by triggers) on SQLite (migration
0003_search); on PostgreSQL products and customers have one pg_trgm GIN index
on a lower-cased search document of their columns (migration
0007_search_document, PG_DOCUMENTS below). The models do not declare them,
so the migration drift check skips them (`is_search_object`).
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, Select, or_, select, text
from sqlalchemy.sql import literal_column

SEARCH_COLUMNS = {
    "products": ("sku", "name", "category"),
    "customers": ("name", "email", "company"),
    "users": ("username", "email", "full_name"),
}
SEARCH_TABLE_PREFIX = "products_search"
TRIGRAM_INDEX_SUFFIX = "_trgm"
MIN_TRIGRAM = 3  # a trigram index cannot serve shorter needles
# PostgreSQL: the searched columns joined by the unit separator (in no searched text, so no
# match spans two columns), lower-cased once. Identical to the index expression of migration
# 0007, which PostgreSQL uses only for this very expression.
DOCUMENT_SEPARATOR = "\x1f"
# ({t} is "" in the index and "<table>." in queries: PostgreSQL matches the two alike.)
PG_DOCUMENTS = {
    "products": "lower({t}sku || E'\\x1f' || {t}name || E'\\x1f' || coalesce({t}category, ''))",
    "customers": "lower({t}name || E'\\x1f' || {t}email || E'\\x1f' || coalesce({t}company, ''))",
}


def escape_like(value: str) -> str:
    """Escape LIKE wildcards so `%` and `_` match themselves."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def indexed_matches(resource: str, q: str, dialect: str) -> Select | None:
    """SELECT rowid AS id of the rows containing q, from the FTS5 trigram index alone (rowid order).

    None where that index does not serve q (PostgreSQL, other resources, fewer
    than three characters). A list searching for q alone counts and pages from
    this directly: no row of the table is read but the page's.
    """
    if resource != "products" or dialect != "sqlite" or len(q) < MIN_TRIGRAM:
        return None
    phrase = '"' + q.replace('"', '""') + '"'
    return (
        select(literal_column("rowid").label("id"))
        .select_from(text(SEARCH_TABLE_PREFIX))
        .where(text("products_search MATCH :phrase").bindparams(phrase=phrase))
    )


def search_clause(model, resource: str, q: str, dialect: str) -> ColumnElement[bool]:
    """Return a WHERE clause matching rows whose searchable columns contain q."""
    matches = indexed_matches(resource, q, dialect)
    if matches is not None:
        return model.id.in_(matches)
    pattern = f"%{escape_like(q)}%"
    if dialect == "postgresql" and resource in PG_DOCUMENTS and DOCUMENT_SEPARATOR not in q:
        # lower(document) LIKE lower(pattern): ILIKE's matches on each column, one indexed test.
        document = PG_DOCUMENTS[resource].format(t=f"{model.__tablename__}.")
        return text(f"{document} LIKE lower(:search_pattern) ESCAPE '\\'").bindparams(search_pattern=pattern)
    columns = [getattr(model, column) for column in SEARCH_COLUMNS[resource]]
    if dialect == "sqlite":
        # SQLite's LIKE already ignores ASCII case (its lower() knows no more than ASCII):
        # the same matches as ILIKE's lower() LIKE lower(), about three times faster.
        return or_(*(column.like(pattern, escape="\\") for column in columns))
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))


def is_search_object(name: str | None, type_: str) -> bool:
    """True for the search index objects that migrations own and the models do not declare."""
    if not name:
        return False
    if type_ == "table":
        return name.startswith(SEARCH_TABLE_PREFIX)
    return type_ == "index" and name.endswith(TRIGRAM_INDEX_SUFFIX)
