"""Synthetic products for trying the app at scale (`flask erp seed --products N`).

Rows are inserted in bulk, bypassing the ORM's per-object flush for speed,
through services.bulk, which writes each product's opening stock movement and
audit entry as the session events would: the ledger stays complete.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import func, select

from erp_admin.extensions import db
from erp_admin.inventory.stock import CREATE_REASON
from erp_admin.models import Product
from erp_admin.services.bulk import bulk_create

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
    done = 0
    rows = synthetic_rows(count, first, rng)
    while done < count:
        batch = [next(rows) for _ in range(min(CHUNK, count - done))]
        bulk_create("products", batch, reason=CREATE_REASON, validated=True, chunk_size=CHUNK)
        db.session.commit()
        done += len(batch)
        if progress:
            progress(len(batch))
    return done
