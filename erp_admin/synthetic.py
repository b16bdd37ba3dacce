"""Synthetic products for trying the app at scale (`flask erp seed --products N`).

Rows are inserted in bulk, bypassing the ORM's per-object flush for speed, so
this module writes each product's opening stock movement and audit entry
itself, exactly as adjust_stock does: the ledger stays complete.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import func, insert, select

from erp_admin.audit.context import get_actor
from erp_admin.extensions import db
from erp_admin.models import AuditEntry, Product, StockMovement
from erp_admin.models.base import utcnow

CATEGORIES = [
    "Electronics", "Furniture", "Office Supplies", "Tools", "Kitchen", "Garden", "Lighting",
    "Networking", "Storage", "Cleaning", "Safety", "Packaging", "Audio", "Cables", "Paper",
]
ADJECTIVES = [
    "Compact", "Heavy-Duty", "Wireless", "Ergonomic", "Stainless", "Portable", "Premium", "Eco",
    "Smart", "Classic", "Industrial", "Modular", "Foldable", "Digital", "Rugged", "Slim",
]
NOUNS = [
    "Drill", "Chair", "Lamp", "Router", "Shelf", "Kettle", "Stapler", "Monitor", "Hose", "Cable",
    "Speaker", "Cabinet", "Scanner", "Desk", "Toolbox", "Printer", "Switch", "Fan", "Ladder", "Tape",
]
CHUNK = 5_000


def synthetic_rows(count: int, first_number: int, rng: random.Random):
    """Yield product dicts with varied names, categories, prices and stock."""
    for number in range(first_number, first_number + count):
        category = rng.choice(CATEGORIES)
        yield {
            "sku": f"SYN-{number:07d}",
            "name": f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {rng.randint(100, 9999)}",
            "description": f"Synthetic {category.lower()} item #{number}",
            "category": category,
            "price": Decimal(rng.randint(99, 250_000)) / 100,
            "quantity": rng.choice([0, 0, rng.randint(1, 20), rng.randint(1, 500)]),
            "reorder_level": rng.randint(0, 30),
        }


def add_synthetic_products(count: int, *, seed: int = 1, progress: Callable[[int], None] | None = None) -> int:
    """Insert count synthetic products with their movements and audit entries; return how many."""
    rng = random.Random(seed)
    first = (db.session.scalar(select(func.max(Product.id))) or 0) + 1
    actor = get_actor()
    done = 0
    rows = synthetic_rows(count, first, rng)
    while done < count:
        batch = [next(rows) for _ in range(min(CHUNK, count - done))]
        now = utcnow()
        for row in batch:
            row.update(created_at=now, updated_at=now, version=1)
        inserted = db.session.execute(
            insert(Product)
            .returning(Product.id, Product.sku, Product.name, Product.quantity)
            .execution_options(erp_self_recorded=True),  # its movements and audit entries follow
            batch,
        ).all()
        movements = [
            {"product_id": pid, "sku": sku, "product_name": name, "delta": qty, "quantity_after": qty,
             "reason": "create", "user_id": actor.user_id, "username": actor.username, "created_at": now}
            for pid, sku, name, qty in inserted if qty
        ]
        if movements:
            db.session.execute(insert(StockMovement), movements)
        by_sku = {row["sku"]: row for row in batch}
        db.session.execute(insert(AuditEntry), [
            {"at": now, "user_id": actor.user_id, "username": actor.username, "channel": actor.channel,
             "action": "create", "entity": "product", "entity_id": pid,
             "changes": _creation_changes(by_sku[sku]), "request_id": actor.request_id,
             "client_addr": actor.client_addr}
            for pid, sku, _name, _qty in inserted
        ])
        db.session.commit()
        done += len(batch)
        if progress:
            progress(len(batch))
    return done


def _creation_changes(row: dict) -> dict:
    fields = ("sku", "name", "description", "category", "price", "quantity", "reorder_level")
    return {f: [None, float(row[f]) if isinstance(row[f], Decimal) else row[f]] for f in fields}
