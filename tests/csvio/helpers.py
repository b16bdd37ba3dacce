"""Small helpers for the CSV tests: build files, read back records."""
from __future__ import annotations

from sqlalchemy import select

from erp_admin.extensions import db
from erp_admin.models import Customer, Product


def csv_bytes(*lines: str, bom: bool = False) -> bytes:
    """Join lines into a CSV file's bytes (UTF-8, optionally with a BOM)."""
    text = "\n".join(lines) + "\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def products() -> dict[str, Product]:
    db.session.expire_all()
    return {p.sku: p for p in db.session.scalars(select(Product))}


def customers() -> dict[str, Customer]:
    db.session.expire_all()
    return {c.email: c for c in db.session.scalars(select(Customer))}
