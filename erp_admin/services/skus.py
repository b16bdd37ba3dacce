"""The server's product SKUs: P-<the new row's own id>, drawn so that concurrent creates cannot collide.

A product created without a SKU gets `P-000123` where 123 is its id, and the
id is chosen here, before the INSERT, from a source no other transaction can
hand out again: on PostgreSQL the products' id sequence (`nextval` never
returns a number twice, whatever runs concurrently); on SQLite the next
number after the highest id (and after `sqlite_sequence`, where the table
has one), which is safe because every write transaction holds the database's
write lock from its first statement (BEGIN IMMEDIATE, see erp_admin.db.engine).
A number whose SKU a product already holds (a client chose `P-000007`
before id 7 existed) or another row of the same batch carries is skipped:
that id is left unused.
"""
from __future__ import annotations

from collections.abc import Collection, MutableMapping, Sequence
from typing import Any

from sqlalchemy import func, select, text

from erp_admin.extensions import db
from erp_admin.models import Product

SKU_FORMAT = "P-{:06d}"
_BATCH = 1000  # numbers checked per query (SQLite's bound-parameter limit)


def number_new_products(rows: Sequence[MutableMapping[str, Any]], reserved: Collection[str] = ()) -> None:
    """Give each new product row an "id"; one whose "sku" is None gets the SKU P-<that id>.

    reserved: SKUs other rows being written together carry (a generated SKU
    never equals one). Run it in the transaction that inserts the rows.
    """
    reserved = set(reserved)
    draw = _number_source()
    done = 0
    while done < len(rows):
        # One number per row at most, so a batch never outruns the rows.
        numbers = draw(min(len(rows) - done, _BATCH))
        needing = any(row["sku"] is None for row in rows[done:done + len(numbers)])
        held = _held_skus(numbers) | reserved if needing else reserved
        for number in numbers:
            row = rows[done]
            if row["sku"] is None:
                sku = SKU_FORMAT.format(number)
                if sku in held:
                    continue  # a client's SKU: this id stays unused
                row["sku"] = sku
            row["id"] = number
            done += 1


def _number_source():
    """Return draw(n) -> n new product ids, increasing, each never handed out before in this database."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        statement = text("SELECT nextval(pg_get_serial_sequence('products', 'id')) FROM generate_series(1, :n)")
        return lambda n: sorted(session.scalars(statement, {"n": n}))

    last = session.scalar(select(func.max(Product.id))) or 0
    if session.scalar(text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")):
        # An AUTOINCREMENT table remembers ids of deleted rows: never hand one out again.
        last = max(last, session.scalar(text("SELECT seq FROM sqlite_sequence WHERE name = 'products'")) or 0)

    def draw(n: int) -> list[int]:
        nonlocal last
        last += n
        return list(range(last - n + 1, last + 1))

    return draw


def _held_skus(numbers: list[int]) -> set[str]:
    candidates = [SKU_FORMAT.format(n) for n in numbers]
    return set(db.session.scalars(select(Product.sku).where(Product.sku.in_(candidates))))
