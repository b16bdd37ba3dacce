"""Build an SQLite file shaped like the old FastAPI backend's database, for the import-legacy tests."""
from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE products (
    id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, description TEXT, price REAL NOT NULL,
    quantity INTEGER DEFAULT 0, category VARCHAR, created_at DATETIME
);
CREATE TABLE customers (
    id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, email VARCHAR, phone VARCHAR, address TEXT,
    company VARCHAR, created_at DATETIME
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY, username VARCHAR UNIQUE, email VARCHAR UNIQUE, password_hash VARCHAR,
    full_name VARCHAR, is_active BOOLEAN DEFAULT 1, role VARCHAR DEFAULT 'user', created_at DATETIME
);
"""
CREATED = "2024-03-01 09:30:00.123456"


def sha256(password: str) -> str:
    """The old backend's password hash: unsalted SHA-256, hex."""
    return hashlib.sha256(password.encode()).hexdigest()


# (id, name, description, price, quantity, category)
PRODUCTS = [
    (1, "Laptop", "14-inch", 999.99, 10, "Electronics"),
    (2, "Mouse", None, 19.99, 50, "Electronics"),
    (3, "Cable", None, 0.1 + 0.2, 5, None),  # 0.30000000000000004 in the old file
    (4, "Refund voucher", None, -5.0, 1, None),  # negative price: skipped
    (5, "", None, 1.0, 1, None),  # empty name: skipped
]
# (id, name, email, phone, address, company)
CUSTOMERS = [
    (1, "Alice Johnson", "Alice@Acme.example", "+1 555 0100", "1 Main St", "Acme"),
    (2, "Bob Smith", "not-an-email", None, None, None),  # invalid email: skipped
    (3, "Alice again", "alice@acme.example", None, None, None),  # same email, other case: skipped
    (4, "Dan Brown", "dan@example.org", None, None, None),
]
# (id, username, email, password, full_name, is_active, role)
USERS = [
    (1, "olduser", "old@example.com", "oldpass123", "Old Admin", 1, "admin"),
    (2, "gone", "gone@example.com", "gonepass123", "Gone Away", 0, "user"),
    (3, "bad name!", "bad@example.com", "whatever123", None, 1, "user"),  # invalid username: skipped
    (4, "copycat", "OLD@example.com", "copycat123", None, 1, "user"),  # email of user 1: skipped
    (5, "manny", "manny@example.com", "mannypass1", "Manny", 1, "manager"),
]


def build_legacy_db(path: Path, products=PRODUCTS, customers=CUSTOMERS, users=USERS) -> Path:
    """Write an old-backend database with the given rows to path and return path."""
    conn = sqlite3.connect(path)
    with conn:
        conn.executescript(SCHEMA)
        conn.executemany(
            "INSERT INTO products (id, name, description, price, quantity, category, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(*row, CREATED) for row in products],
        )
        conn.executemany(
            "INSERT INTO customers (id, name, email, phone, address, company, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(*row, CREATED) for row in customers],
        )
        conn.executemany(
            "INSERT INTO users (id, username, email, password_hash, full_name, is_active, role, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(i, u, e, sha256(p) if p else None, f, a, r, CREATED) for i, u, e, p, f, a, r in users],
        )
    conn.close()
    return path
