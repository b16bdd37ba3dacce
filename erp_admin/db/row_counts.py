"""Exact row counts of the big tables without count(*): on PostgreSQL, triggers keep them (migration 0006).

Every list answers with an exact X-Total-Count (API.md). PostgreSQL's
count(*) must visit every row to know which ones this transaction may see,
so at 100 000 products it is most of an unfiltered list request, and it
grows with the table. Statement-level triggers on the tables below add the
rows each INSERT adds and subtract the rows each DELETE removes (TRUNCATE sets
zero) in a one-row-per-table counter, in the same transaction: the counter is
visible exactly when the rows are, so it is as exact as count(*). Lists
without a filter or search read it; filtered ones still count.

The price: transactions that insert or delete rows of one table queue on its
counter row from that statement until they commit (updates, the common write,
do not touch it). SQLite keeps count(*), which is fast there over the narrow
id index of migration 0004.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.engine import Connection

COUNTS_TABLE = "row_counts"
_READ = text(f"SELECT row_count FROM {COUNTS_TABLE} WHERE table_name = :name")


def counted_total(connection: Connection, table_name: str) -> int | None:
    """The number of rows of a counted table from its counter, or None where none is kept (SQLite, no row)."""
    if connection.dialect.name != "postgresql":
        return None
    return connection.execute(_READ, {"name": table_name}).scalar()


def is_counts_object(name: str | None, type_: str) -> bool:
    """True for the counter table, which migrations own and the models do not declare."""
    return type_ == "table" and name == COUNTS_TABLE


def counter_drift(connection: Connection, tables: Iterable[str]) -> dict[str, tuple[int | None, int]]:
    """{table: (counter, count(*))} for each of tables whose counter is wrong or missing (PostgreSQL).

    Counters drift only if rows were written with the triggers off (for example
    `pg_restore --disable-triggers`); recount() puts them right.
    """
    drift = {}
    for table in tables:
        counter = connection.execute(_READ, {"name": table}).scalar()
        actual = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
        if counter != actual:
            drift[table] = (counter, actual)
    return drift


def recount(connection: Connection, tables: Iterable[str]) -> dict[str, tuple[int | None, int]]:
    """Set every counter to its table's count(*), writers held off meanwhile; return what changed.

    SHARE mode lets readers on and makes writers wait for the caller's commit,
    so no row can be added or removed between the count and the new counter.
    """
    tables = tuple(tables)
    for table in tables:
        connection.execute(text(f"LOCK TABLE {table} IN SHARE MODE"))
    drift = counter_drift(connection, tables)
    for table, (_, actual) in drift.items():
        connection.execute(text(f"INSERT INTO {COUNTS_TABLE} (table_name, row_count) VALUES (:name, :n) "
                                "ON CONFLICT (table_name) DO UPDATE SET row_count = EXCLUDED.row_count"),
                           {"name": table, "n": actual})
    return drift
